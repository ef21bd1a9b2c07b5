"""Single sign-on per organization: its configuration (allauth SocialApp rows) and just-in-time membership.

Each organization has at most one OpenID Connect app and one SAML app. Their allauth `provider_id` carries the
organization's id ("oidc-org-<id>", "saml-org-<id>"), so the identities of two organizations' identity providers live
in separate namespaces: a subject "alice" asserted by one organization's IdP never matches the social account made by
another's. The SAML app's `client_id` is the organization's slug, which allauth puts in the SAML URLs
(/accounts/saml/<slug>/acs/ ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mentorship.accounts.models import OrganizationSSO
from mentorship.audit.models import Action
from mentorship.audit.services import record
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import tenant_scope

OIDC = "openid_connect"
SAML = "saml"

# A DNS name of two labels or more, as typed in an email address after the @.
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

# Claims our SP reads from a SAML assertion, besides allauth's defaults: the names Entra ID, Okta and ADFS send.
SAML_ATTRIBUTE_MAPPING = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
    ],
    "first_name": ["urn:oid:2.5.4.42", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
    "last_name": ["urn:oid:2.5.4.4", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"],
}


@dataclass(frozen=True)
class OidcConfig:
    server_url: str
    client_id: str
    secret: str


@dataclass(frozen=True)
class SamlConfig:
    entity_id: str
    sso_url: str = ""
    x509cert: str = ""
    metadata_url: str = ""


def oidc_provider_id(organization: Organization) -> str:
    return f"oidc-org-{organization.pk}"


def saml_provider_id(organization: Organization) -> str:
    return f"saml-org-{organization.pk}"


def sso_of(organization: Organization) -> OrganizationSSO | None:
    return OrganizationSSO.objects.select_related("oidc_app", "saml_app").filter(organization=organization).first()


def sso_for_app(app: SocialApp | None) -> OrganizationSSO | None:
    """The organization configuration that owns an allauth app; None for an app no organization owns."""
    if app is None or app.pk is None:
        return None
    return (
        OrganizationSSO.objects.select_related("organization")
        .filter(Q(oidc_app_id=app.pk) | Q(saml_app_id=app.pk))
        .first()
    )


def sso_for_email_domain(email: str) -> OrganizationSSO | None:
    """The organization whose SSO covers this address's domain and has an app to sign in with."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return (
        OrganizationSSO.objects.select_related("organization", "oidc_app", "saml_app")
        .filter(email_domains__contains=[domain])
        .filter(Q(oidc_app__isnull=False) | Q(saml_app__isnull=False))
        .first()
    )


def clean_email_domains(organization: Organization, domains: list[str]) -> list[str]:
    """Lower-cased, de-duplicated domains; a malformed one or one another organization claims is an error."""
    cleaned: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN_RE.match(domain):
            raise ValidationError({"email_domains": f"“{raw.strip()}” is not an email domain (like example.com)."})
        if domain not in cleaned:
            cleaned.append(domain)
    taken = (
        OrganizationSSO.objects.exclude(organization=organization)
        .filter(email_domains__overlap=cleaned)
        .values_list("email_domains", flat=True)
    )
    claimed = sorted({domain for row in taken for domain in row} & set(cleaned))
    if claimed:
        raise ValidationError(
            {
                "email_domains": f"{', '.join(claimed)} already belong{'s' if len(claimed) == 1 else ''} to another "
                "organization's single sign-on."
            }
        )
    return cleaned


def _save_app(
    current: SocialApp | None,
    *,
    provider: str,
    provider_id: str,
    name: str,
    client_id: str,
    secret: str,
    settings: dict,
) -> SocialApp:
    app = current or SocialApp(provider=provider, provider_id=provider_id)
    app.name = name
    app.client_id = client_id
    app.secret = secret
    app.settings = settings
    app.save()
    return app


@transaction.atomic
def organization_sso_save(
    *, organization: Organization, email_domains: list[str], oidc: OidcConfig | None, saml: SamlConfig | None
) -> OrganizationSSO:
    """Create, update or remove the organization's apps. Removing an app keeps the people's social accounts, so
    switching it back on (same provider_id) lets them in again."""
    sso = OrganizationSSO.objects.select_for_update().filter(organization=organization).first()
    sso = sso or OrganizationSSO(organization=organization)
    sso.email_domains = clean_email_domains(organization, email_domains)
    name = f"{organization.name} SSO"
    old_apps = []
    if oidc is None:
        old_apps.append(sso.oidc_app)
        sso.oidc_app = None
    else:
        sso.oidc_app = _save_app(
            sso.oidc_app,
            provider=OIDC,
            provider_id=oidc_provider_id(organization),
            name=name,
            client_id=oidc.client_id,
            secret=oidc.secret,
            # PKCE on: identity providers that do not know it ignore the parameters.
            settings={"server_url": oidc.server_url, "oauth_pkce_enabled": True},
        )
    if saml is None:
        old_apps.append(sso.saml_app)
        sso.saml_app = None
    else:
        idp = {"entity_id": saml.entity_id}
        if saml.metadata_url:
            idp["metadata_url"] = saml.metadata_url
        else:
            idp.update(sso_url=saml.sso_url, x509cert=saml.x509cert)
        sso.saml_app = _save_app(
            sso.saml_app,
            provider=SAML,
            provider_id=saml_provider_id(organization),
            name=name,
            client_id=organization.slug,
            secret="",
            settings={
                "idp": idp,
                "attribute_mapping": SAML_ATTRIBUTE_MAPPING,
                # Without this python3-saml accepts an unsigned response: anyone could post an assertion.
                "advanced": {"want_assertion_signed": True, "reject_idp_initiated_sso": True},
            },
        )
    sso.save()
    for app in old_apps:
        if app is not None:
            app.delete()
    # What changed, never a secret or a certificate. (The SSO rows are global; the log is the organization's.)
    with tenant_scope(organization):
        record(
            action=Action.SSO_CHANGED,
            target=organization,
            details={"email_domains": sso.email_domains, "oidc": oidc is not None, "saml": saml is not None},
        )
    return sso


def grant_sso_membership(*, sso: OrganizationSSO, user, email: str | None) -> Membership | None:
    """Just-in-time membership: a plain member of the SSO's organization when `email` is in its domains.

    An existing membership is left as it is: one an org admin deactivated stays deactivated, and roles are not
    touched. Never writes outside `sso.organization`.
    """
    if not sso.covers(email):
        return None
    organization = sso.organization
    with tenant_scope(organization):
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            membership = Membership.objects.create(user=user, roles=[], joined_at=timezone.now())
    return membership
