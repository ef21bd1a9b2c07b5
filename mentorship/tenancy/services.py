"""Writes of the tenancy kernel. Keyword-only, validated, transactional; user-fixable errors are ValidationErrors
keyed by field, which forms show next to the field and the API returns as a 400 naming it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mentorship.audit.models import Action
from mentorship.audit.services import record
from mentorship.tenancy.models import Department, Invitation, Membership, Organization, Role
from mentorship.tenancy.scope import tenant_scope


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_roles(roles) -> list[str]:
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ValidationError({"roles": f"Unknown role(s): {', '.join(unknown)}."})
    return sorted(set(roles))


# --- Organization settings ---


@transaction.atomic
def organization_set_private_note_retention(*, organization: Organization, days: int | None) -> Organization:
    """How long private notes of closed cohorts are kept (None: for good); the nightly
    `programs.private_notes_expire` task deletes older ones."""
    before = organization.private_note_retention_days
    organization.private_note_retention_days = days
    organization.full_clean()
    organization.save(update_fields=["private_note_retention_days"])
    if days != before:
        record(action=Action.RETENTION_CHANGED, target=organization, details={"days": [before, days]})
    return organization


# --- Departments ---


def department_create(*, name: str) -> Department:
    department = Department(name=name.strip())
    department.full_clean()
    department.save()
    return department


def department_rename(*, department: Department, name: str) -> Department:
    department.name = name.strip()
    department.full_clean()
    department.save(update_fields=["name"])
    return department


def department_delete(*, department: Department) -> None:
    if department.memberships.exists():
        raise ValidationError(
            {"department": f"{department.name} still has members; move them to another department first."}
        )
    department.delete()


# --- Members ---


def _check_manager(membership: Membership, manager: Membership | None) -> None:
    if manager is None:
        return
    if manager.organization_id != membership.organization_id:
        raise ValidationError({"manager": "No such member."})
    cursor: Membership | None = manager
    seen: set[int] = set()
    while cursor is not None and cursor.pk not in seen:
        if cursor.pk == membership.pk:
            raise ValidationError({"manager": "That would make a reporting cycle."})
        seen.add(cursor.pk)
        cursor = cursor.manager


@transaction.atomic
def membership_update(
    *,
    membership: Membership,
    actor: Membership,
    roles: list[str] | None = None,
    department: Department | None = None,
    job_title: str | None = None,
    manager: Membership | None = None,
    fields: set[str] | None = None,
) -> Membership:
    """Change the given fields (all four when `fields` is None)."""
    fields = fields if fields is not None else {"roles", "department", "job_title", "manager"}
    roles_before = list(membership.roles)
    if "roles" in fields:
        new_roles = _clean_roles(roles or [])
        if membership.pk == actor.pk and Role.ORG_ADMIN in membership.roles and Role.ORG_ADMIN not in new_roles:
            raise ValidationError({"roles": "You cannot remove your own org admin role; ask another org admin."})
        membership.roles = new_roles
    if "department" in fields:
        membership.department = department
    if "job_title" in fields:
        membership.job_title = (job_title or "").strip()
    if "manager" in fields:
        _check_manager(membership, manager)
        membership.manager = manager
    membership.full_clean(exclude=["user"])
    membership.save()
    _record_role_changes(membership, actor=actor, before=roles_before)
    return membership


def _record_role_changes(membership: Membership, *, actor: Membership, before: list[str]) -> None:
    """One event per role granted or revoked, each with the roles before and after."""
    after = list(membership.roles)
    for action, roles in (
        (Action.ROLE_GRANTED, sorted(set(after) - set(before))),
        (Action.ROLE_REVOKED, sorted(set(before) - set(after))),
    ):
        for role in roles:
            details = {"role": role, "roles_before": sorted(before), "roles_after": sorted(after)}
            record(action=action, target=membership, actor=actor, details=details)


@transaction.atomic
def membership_set_active(*, membership: Membership, actor: Membership, active: bool) -> Membership:
    """Deactivation takes effect on the member's next request: every request checks `is_active`."""
    if not active and membership.pk == actor.pk:
        raise ValidationError({"is_active": "You cannot deactivate yourself."})
    if membership.is_active != active:
        action = Action.MEMBER_REACTIVATED if active else Action.MEMBER_DEACTIVATED
        record(action=action, target=membership, actor=actor)
    membership.is_active = active
    membership.deactivated_at = None if active else timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    return membership


# --- Invitations ---


def invitation_build(
    *, email: str, roles: list[str], department: Department | None, job_title: str, invited_by: Membership | None
) -> tuple[Invitation, str]:
    """An unsaved invitation and its token; only the token's hash is stored, the token goes into the email."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        roles=roles,
        department=department,
        job_title=job_title,
        invited_by=invited_by,
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
    )
    return invitation, token


def invitation_email(
    *, organization: Organization, invitation: Invitation, token: str, base_url: str, inviter
) -> EmailMessage:
    link = base_url.rstrip("/") + reverse("invitation_accept", kwargs={"token": token})
    body = render_to_string(
        "tenancy/email/invitation.txt",
        {"organization": organization, "invitation": invitation, "link": link, "inviter": inviter},
    )
    return EmailMessage(f"You are invited to {organization.name} on Mentorship", body, None, [invitation.email])


@transaction.atomic
def invitation_create(
    *,
    organization: Organization,
    invited_by: Membership,
    email: str,
    roles: list[str],
    department: Department | None = None,
    job_title: str = "",
    base_url: str,
) -> Invitation:
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if Membership.objects.filter(user__email__iexact=email, is_active=True).exists():
        raise ValidationError({"email": f"{email} is already a member of {organization.name}."})
    if Invitation.objects.pending().filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already has a pending invitation; revoke it to send a new one."})
    invitation, token = invitation_build(
        email=email,
        roles=_clean_roles(roles),
        department=department,
        job_title=job_title.strip(),
        invited_by=invited_by,
    )
    invitation.full_clean(exclude=["invited_by"])
    invitation.save()
    record(
        action=Action.INVITATION_SENT,
        target=invitation,
        actor=invited_by,
        details={"roles": invitation.roles, "department": str(department or ""), "job_title": invitation.job_title},
    )
    message = invitation_email(
        organization=organization, invitation=invitation, token=token, base_url=base_url, inviter=invited_by.user
    )
    transaction.on_commit(message.send)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.status != "pending":
        raise ValidationError({"invitation": f"This invitation is already {invitation.status}."})
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(action=Action.INVITATION_REVOKED, target=invitation)
    return invitation


class InvitationError(Exception):
    """An invitation link that cannot be used; the message is shown to the visitor as is."""


def invitation_by_token(token: str) -> Invitation:
    # Cross-organization read by design: the token is all the visitor has, before any scope exists.
    invitation = (
        Invitation.all_organizations.select_related("organization").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationError("This invitation link is not valid. Check that you copied the whole link.")
    if invitation.status == "accepted":
        raise InvitationError("This invitation has already been used. Log in to reach your organization.")
    if invitation.status == "revoked":
        raise InvitationError("This invitation was withdrawn. Ask your organization's admin for a new one.")
    if invitation.status == "expired":
        raise InvitationError("This invitation has expired. Ask your organization's admin for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> Membership:
    """Single use: the row is locked, checked and marked accepted in one transaction."""
    invitation = invitation_by_token(token)
    if user.email.lower() != invitation.email.lower():
        raise InvitationError(
            f"This invitation is for {invitation.email}, but you are logged in as {user.email}. "
            f"Log out and open the link again."
        )
    with tenant_scope(invitation.organization):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != "pending":
            raise InvitationError("This invitation has already been used.")
        membership = Membership.objects.filter(user=user).first()
        if membership is None:
            membership = Membership(user=user, joined_at=timezone.now())
        membership.roles = sorted(set(membership.roles) | set(invitation.roles))
        membership.department = membership.department or invitation.department
        membership.job_title = membership.job_title or invitation.job_title
        membership.is_active = True
        membership.deactivated_at = None
        membership.save()
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record(action=Action.INVITATION_ACCEPTED, target=invitation, actor=user, details={"roles": invitation.roles})
    return membership


def invitations_expire(*, older_than_days: int = 90) -> int:
    """Delete invitations that ended (expired, revoked or accepted) long ago; returns how many."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Invitation.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
