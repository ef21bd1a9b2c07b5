from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from mentorship.tenancy.services import InvitationError, invitation_by_token

INVITATION_SESSION_KEY = "invitation_token"


def pending_invitation(request):
    """The valid invitation this browser arrived with, or None."""
    token = request.session.get(INVITATION_SESSION_KEY)
    if not token:
        return None
    try:
        return invitation_by_token(token)
    except InvitationError:
        return None


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Sign-up is open only to a browser holding a valid invitation, and only for the invited address."""

    def is_open_for_signup(self, request):
        return pending_invitation(request) is not None

    def clean_email(self, email):
        email = super().clean_email(email)
        invitation = pending_invitation(self.request) if getattr(self, "request", None) else None
        if invitation is not None and email.lower() != invitation.email.lower():
            raise forms.ValidationError(f"Sign up with the address the invitation was sent to: {invitation.email}.")
        return email
