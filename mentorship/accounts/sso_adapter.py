"""allauth's social account adapter for per-organization single sign-on (mentorship/accounts/sso.py).

- Only apps an organization owns sign anyone in.
- An SSO identity never logs into an existing local account because the addresses match: that person is told to log
  in with their password and connect the SSO from their connections page (allauth's email authentication is off too,
  settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION).
- Sign-up is open only to an address in the organization's email domains; the new account is a plain member of that
  organization and of no other. Addresses in those domains count as verified: the organization's identity provider
  is the directory of its own domains.
"""

from __future__ import annotations

from allauth.account.utils import filter_users_by_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.db.models import Q
from django.shortcuts import render

from mentorship.accounts.models import OrganizationSSO
from mentorship.accounts.sso import grant_sso_membership, sso_for_app
from mentorship.tenancy.models import Membership


def asserted_email(sociallogin) -> str:
    if sociallogin.email_addresses:
        return sociallogin.email_addresses[0].email
    return (sociallogin.user.email if sociallogin.user else "") or ""


def refuse(request, sso: OrganizationSSO | None, reason: str, *, status: int = 403):
    raise ImmediateHttpResponse(
        render(
            request,
            "accounts/sso_refused.html",
            {"sso_organization": sso.organization if sso else None, "reason": reason},
            status=status,
        )
    )


class OrganizationSSOAdapter(DefaultSocialAccountAdapter):
    def _sso(self, request, sociallogin) -> OrganizationSSO:
        sso = sso_for_app(sociallogin.provider.app)
        if sso is None:
            refuse(request, None, "This sign-in method belongs to no organization.")
        return sso

    def pre_social_login(self, request, sociallogin) -> None:
        sso = self._sso(request, sociallogin)
        email = asserted_email(sociallogin)
        for address in sociallogin.email_addresses:
            if sso.covers(address.email):
                address.verified = True
        if sociallogin.is_existing:
            # A returning SSO user (the identity is bound to their account already): JIT adds the membership if
            # they have none, for example after connecting before the domain was listed; a deactivated one stays so.
            grant_sso_membership(sso=sso, user=sociallogin.user, email=email)
            return
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            return  # connecting to the logged-in account: allauth checks it; membership follows the connection
        if email and filter_users_by_email(email):
            refuse(
                request,
                sso,
                f"An account with the address {email} already exists. Log in with your password, then connect "
                f"{sso.organization.name} single sign-on from your account's connections page; after that you can "
                "sign in with it.",
                status=409,
            )

    def is_open_for_signup(self, request, sociallogin) -> bool:
        sso = self._sso(request, sociallogin)
        email = asserted_email(sociallogin)
        if not sso.covers(email):
            refuse(
                request,
                sso,
                f"{email or 'Your identity provider gave no email address; it'} is not in an email domain of "
                f"{sso.organization.name}, so no account is created for it. Ask an administrator of "
                f"{sso.organization.name} for an invitation.",
            )
        return True

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form=form)
        grant_sso_membership(sso=self._sso(request, sociallogin), user=user, email=asserted_email(sociallogin))
        return user

    def list_providers(self, request):
        """The connections page offers only the SSO of organizations the user belongs to or whose domains cover
        their address; anonymous visitors get none (the login page asks for a work email instead), so the list of
        customers stays private."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        domain = user.email.rpartition("@")[2].lower()
        # Cross-organization read by design: the user's own memberships, as in tenancy.access.user_memberships.
        member_of = Membership.all_organizations.filter(user=user, is_active=True).values("organization_id")
        ssos = OrganizationSSO.objects.filter(Q(organization__in=member_of) | Q(email_domains__contains=[domain]))
        app_ids = {app_id for pair in ssos.values_list("oidc_app_id", "saml_app_id") for app_id in pair if app_id}
        return [provider for provider in super().list_providers(request) if provider.app and provider.app.pk in app_ids]
