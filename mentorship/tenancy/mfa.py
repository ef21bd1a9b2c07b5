"""Two-factor authentication required per organization (Organization.require_mfa).

A member of such an organization who has no TOTP authenticator (allauth.mfa) may not use its pages or API until
they set one up: pages redirect to allauth's setup page with a message, the API answers 403 saying so. Pages outside
/o/ (account, MFA setup, organization list) stay open, so the member can always reach the setup page.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Exists, OuterRef

from mentorship.audit.models import Action
from mentorship.audit.services import record
from mentorship.tenancy.models import Membership, Organization

MFA_REQUIRED_MESSAGE = "{organization} requires two-factor authentication. Set up an authenticator app to continue."


def mfa_missing(membership) -> bool:
    """True when the member's organization requires MFA and the member has no authenticator app (one query)."""
    if not membership.organization.require_mfa:
        return False
    return not Authenticator.objects.filter(user_id=membership.user_id, type=Authenticator.Type.TOTP).exists()


def mfa_required_message(membership) -> str:
    return MFA_REQUIRED_MESSAGE.format(organization=membership.organization.name)


@transaction.atomic
def organization_require_mfa(*, organization: Organization, require_mfa: bool) -> Organization:
    """Switch the requirement on or off (org admins on the security page, in the organization's scope)."""
    before = organization.require_mfa
    organization.require_mfa = require_mfa
    organization.full_clean()
    organization.save(update_fields=["require_mfa"])
    if require_mfa != before:
        record(action=Action.MFA_REQUIREMENT_CHANGED, target=organization, details={"require_mfa": require_mfa})
    return organization


def members_without_authenticator() -> int:
    """Active members of the current organization who have no authenticator app yet (one query)."""
    has_totp = Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP)
    return Membership.objects.filter(is_active=True).exclude(Exists(has_totp)).count()
