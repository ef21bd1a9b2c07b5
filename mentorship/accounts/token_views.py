"""Pages of personal API tokens: every member manages their own at /o/<slug>/account/tokens/; org admins see and
revoke every token of the organization at /o/<slug>/admin/tokens/.

The secret of a new token is rendered in the response to the POST that created it and nowhere else: it is not
stored, not put in the session, and not in a redirect.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mentorship.accounts import api_tokens
from mentorship.accounts.models import ApiToken
from mentorship.tenancy.access import fetch_or_404, roles_required
from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What the token is for, e.g. “HR dashboard sync”.")
    role = forms.ChoiceField(help_text="The token acts with this role only, and never beyond your current roles.")
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        required=False,
        help_text=f"1 to {api_tokens.MAX_EXPIRY_DAYS} days; leave empty for a token that does not expire.",
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(ApiToken.ROLE_CHOICES)
        self.fields["role"].choices = [(role, labels[role]) for role in api_tokens.roles_for(membership)]


def api_token_list(request, org_slug):
    membership = request.membership
    form = ApiTokenForm(request.POST if request.method == "POST" else None, membership=membership)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_tokens.api_token_create(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            form = ApiTokenForm(membership=membership)
    tokens = ApiToken.objects.filter(membership=membership).order_by("-created_at", "-pk")
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens, "created": created},
        status=400 if form.errors else 200,
    )


@require_POST
def api_token_revoke(request, org_slug, token_id):
    token = fetch_or_404(ApiToken.objects.filter(membership=request.membership), token_id, "API token")
    api_tokens.api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("api_token_list", org_slug=org_slug)


@roles_required(Role.ORG_ADMIN)
def admin_api_token_list(request, org_slug):
    tokens = ApiToken.objects.select_related("membership__user").order_by("-created_at", "-pk")
    return render(request, "accounts/admin_api_tokens.html", {"tokens": tokens})


@require_POST
@roles_required(Role.ORG_ADMIN)
def admin_api_token_revoke(request, org_slug, token_id):
    token = fetch_or_404(ApiToken.objects.select_related("membership__user"), token_id, "API token")
    api_tokens.api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” of {token.membership.user} is revoked.")
    return redirect("admin_api_token_list", org_slug=org_slug)
