from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from mentorship.tenancy.access import resolve_membership
from mentorship.tenancy.mfa import mfa_missing, mfa_required_message
from mentorship.tenancy.scope import tenant_scope

PAGE_PREFIX = "/o/"


class OrganizationMiddleware:
    """Pages under /o/<org_slug>/ run inside that organization's scope, for members only.

    A member of an organization that requires two-factor authentication is sent to set it up first
    (mentorship/tenancy/mfa.py).

    The scope covers the whole response, template rendering included, and is cleared when it ends. The API
    (/api/orgs/<org_slug>/) does the same in its base view, after DRF has authenticated the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PAGE_PREFIX):
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        slug = request.path_info[len(PAGE_PREFIX) :].split("/", 1)[0]
        membership = resolve_membership(request.user, slug)
        if mfa_missing(membership):
            messages.warning(request, mfa_required_message(membership))
            if request.htmx:  # the whole page goes to the setup page, not a fragment of it
                return HttpResponseClientRedirect(reverse("mfa_activate_totp"))
            return redirect("mfa_activate_totp")
        request.membership = membership
        request.organization = membership.organization
        with tenant_scope(membership.organization):
            return self.get_response(request)
