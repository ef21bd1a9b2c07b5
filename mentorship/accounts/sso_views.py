"""Single sign-on pages: the org admin's configuration page, and the anonymous start of an organization's SSO."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mentorship.accounts import sso as sso_services
from mentorship.accounts.sso_forms import SSODiscoveryForm, SSOSettingsForm
from mentorship.tenancy.access import roles_required
from mentorship.tenancy.models import Organization, Role
from mentorship.tenancy.views import apply_errors


def service_provider_urls(request, organization: Organization) -> dict:
    """What the org admin copies into their identity provider."""
    oidc_id = sso_services.oidc_provider_id(organization)
    return {
        "oidc_redirect_uri": request.build_absolute_uri(reverse("openid_connect_callback", args=[oidc_id])),
        "saml_acs_url": request.build_absolute_uri(reverse("saml_acs", args=[organization.slug])),
        "saml_metadata_url": request.build_absolute_uri(reverse("saml_metadata", args=[organization.slug])),
    }


@roles_required(Role.ORG_ADMIN)
def sso_settings(request, org_slug):
    organization = request.organization
    sso = sso_services.sso_of(organization)
    form = SSOSettingsForm(request.POST if request.method == "POST" else None, sso=sso)
    if request.method == "POST" and form.is_valid():
        try:
            sso_services.organization_sso_save(
                organization=organization,
                email_domains=form.domain_list(),
                oidc=form.oidc_config(),
                saml=form.saml_config(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Single sign-on of {organization.name} saved.")
            return redirect("sso_settings", org_slug=org_slug)
    return render(
        request,
        "accounts/sso_settings.html",
        {"form": form, "sso": sso, **service_provider_urls(request, organization)},
        status=400 if form.errors else 200,
    )


@require_POST
def sso_discover(request):
    """The login page's "single sign-on" box: a work email leads to the SSO of the organization owning its domain."""
    form = SSODiscoveryForm(request.POST)
    sso = sso_services.sso_for_email_domain(form.cleaned_data["email"]) if form.is_valid() else None
    if form.is_valid() and sso is None:
        form.add_error("email", "No organization signs in with single sign-on for this email domain.")
    if sso is None:
        return render(request, "accounts/sso_discover.html", {"form": form}, status=400)
    return redirect("sso_start", org_slug=sso.organization.slug)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def sso_start(request, org_slug):
    """ "Sign in with <Org> SSO": one button per configured protocol, each posting to allauth's provider login."""
    organization = get_object_or_404(Organization, slug=org_slug)
    sso = sso_services.sso_of(organization)
    if sso is None or not sso.apps():
        raise Http404("This organization does not sign in with single sign-on.")
    buttons, idp_origins = [], set()
    if sso.oidc_app:
        buttons.append(("OpenID Connect", reverse("openid_connect_login", args=[sso.oidc_app.provider_id])))
        idp_origins.add(origin(sso.oidc_app.settings["server_url"]))
    if sso.saml_app:
        buttons.append(("SAML", reverse("saml_login", args=[sso.saml_app.client_id])))
        idp = sso.saml_app.settings["idp"]
        idp_origins.add(origin(idp.get("sso_url") or idp["metadata_url"]))
    response = render(
        request,
        "accounts/sso_start.html",
        {"sso_organization": organization, "buttons": buttons, "next": request.GET.get("next", "")},
    )
    # The button's POST is answered with a redirect to the identity provider; CSP form-action covers redirects.
    response._csp_update = {"form-action": sorted(idp_origins)}
    return response
