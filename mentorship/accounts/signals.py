import contextlib

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from mentorship.accounts.adapters import INVITATION_SESSION_KEY
from mentorship.tenancy.services import InvitationError, invitation_accept


@receiver(user_signed_up, dispatch_uid="accounts.accept_invitation_on_signup")
def accept_invitation_on_signup(sender, request, user, **kwargs):
    token = request.session.pop(INVITATION_SESSION_KEY, None)
    if token:
        # A race (revoked a second ago) leaves an account without organization; the home page explains that.
        with contextlib.suppress(InvitationError):
            invitation_accept(token=token, user=user)
