"""The organization's security page: org admins require two-factor authentication for every member and set how
long private notes of closed cohorts are kept."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from mentorship.tenancy import mfa, services
from mentorship.tenancy.access import roles_required
from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors


class SecuritySettingsForm(forms.Form):
    require_mfa = forms.BooleanField(
        label="Require two-factor authentication",
        required=False,
        help_text="Members without an authenticator app are asked to set one up before they can use the organization.",
    )
    private_note_retention_days = forms.IntegerField(
        label="Keep private notes for (days)",
        required=False,
        help_text="Private notes of sessions in closed cohorts are deleted this many days after the cohort ended, "
        "by a nightly task. Leave empty to keep them for good.",
    )


@roles_required(Role.ORG_ADMIN)
def security_settings(request, org_slug):
    organization = request.organization
    form = SecuritySettingsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "require_mfa": organization.require_mfa,
            "private_note_retention_days": organization.private_note_retention_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_set_private_note_retention(
                organization=organization, days=form.cleaned_data["private_note_retention_days"]
            )
            mfa.organization_require_mfa(organization=organization, require_mfa=form.cleaned_data["require_mfa"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            state = "now required" if organization.require_mfa else "no longer required"
            messages.success(request, f"Two-factor authentication is {state} in {organization.name}.")
            return redirect("security_settings", org_slug=org_slug)
    return render(
        request,
        "tenancy/security_settings.html",
        {"form": form, "without_authenticator": mfa.members_without_authenticator()},
        status=400 if form.errors else 200,
    )
