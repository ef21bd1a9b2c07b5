import contextlib

from allauth.account.signals import user_signed_up
from allauth.socialaccount.signals import social_account_added
from django.dispatch import receiver

from mentorship.accounts.adapters import INVITATION_SESSION_KEY
from mentorship.accounts.sso import grant_sso_membership, sso_for_app
from mentorship.accounts.sso_adapter import asserted_email
from mentorship.tenancy.services import InvitationError, invitation_accept


@receiver(user_signed_up, dispatch_uid="accounts.accept_invitation_on_signup")
def accept_invitation_on_signup(sender, request, user, **kwargs):
    token = request.session.pop(INVITATION_SESSION_KEY, None)
    if token:
        # A race (revoked a second ago) leaves an account without organization; the home page explains that.
        with contextlib.suppress(InvitationError):
            invitation_accept(token=token, user=user)


@receiver(social_account_added, dispatch_uid="accounts.sso_membership_on_connect")
def sso_membership_on_connect(sender, request, sociallogin, **kwargs):
    """An existing account connected to an organization's SSO joins it as if it had signed up through it."""
    sso = sso_for_app(sociallogin.provider.app)
    if sso is not None:
        grant_sso_membership(sso=sso, user=sociallogin.user, email=asserted_email(sociallogin))
