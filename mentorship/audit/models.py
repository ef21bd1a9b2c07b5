"""The audit log: one row per security-relevant action in an organization, append-only.

PostgreSQL enforces the "append-only" (migration 0001): the application role may only SELECT and INSERT on the
table, and a trigger refuses UPDATE and DELETE for every role, owner included. One exception is erasure (migration
0003, `services.person_redact`): the app role may UPDATE three columns, and the trigger lets them change only to
erasure markers while the transaction has `audit.redacting` on. The other two are the database's
own referential actions: deleting the organization deletes its events (ON DELETE CASCADE), and deleting a user's
account clears `actor` (ON DELETE SET NULL) while `actor_label` keeps who it was. Django leaves both to the database
(DO_NOTHING), since its collector would otherwise try to delete or update the rows itself.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from mentorship.tenancy.models import TenantModel


class Action(models.TextChoices):
    ROLE_GRANTED = "role.granted", "Role granted"
    ROLE_REVOKED = "role.revoked", "Role revoked"
    MEMBER_DEACTIVATED = "member.deactivated", "Member deactivated"
    MEMBER_REACTIVATED = "member.reactivated", "Member reactivated"
    MEMBER_ERASED = "member.erased", "Member erased"
    INVITATION_SENT = "invitation.sent", "Invitation sent"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    IMPORT_APPLIED = "import.applied", "People import applied"
    PROGRAM_CREATED = "program.created", "Program created"
    PROGRAM_UPDATED = "program.updated", "Program updated"
    PROGRAM_STATUS_CHANGED = "program.status_changed", "Program status changed"
    COHORT_CREATED = "cohort.created", "Cohort created"
    COHORT_UPDATED = "cohort.updated", "Cohort updated"
    MATCH_PUBLISHED = "match.published", "Matches published"
    EXPORT_DOWNLOADED = "export.downloaded", "Export downloaded"
    DATA_EXPORTED = "data.exported", "Personal data downloaded"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    MFA_REQUIREMENT_CHANGED = "security.mfa_changed", "Two-factor requirement changed"
    RETENTION_CHANGED = "data.retention_changed", "Private note retention changed"
    SSO_CHANGED = "sso.changed", "Single sign-on changed"


class TargetType(models.TextChoices):
    MEMBERSHIP = "membership", "Member"
    INVITATION = "invitation", "Invitation"
    PEOPLE_IMPORT = "people_import", "People import"
    PROGRAM = "program", "Program"
    COHORT = "cohort", "Cohort"
    MATCH_RUN = "match_run", "Match run"
    EXPORT = "export", "Export"
    API_TOKEN = "api_token", "API token"
    ORGANIZATION = "organization", "Organization"


class AuditEvent(TenantModel):
    """Who did what to which object, when and from where. Labels are copied at the time of the action, so the log
    still reads after the object or the account is renamed, erased or deleted."""

    # The database cascades (see the module docstring); Django must not try to delete the rows itself.
    organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", editable=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for the system (nightly tasks) or an account deleted since.",
    )
    actor_label = models.CharField(max_length=300)
    action = models.CharField(max_length=40, choices=Action.choices)
    target_type = models.CharField(max_length=30, choices=TargetType.choices)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_created_idx"),
            models.Index(fields=["organization", "action", "-created_at"], name="audit_org_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label}"

    @property
    def details_text(self) -> str:
        """`details` for people: "key: value; ..." with lists and mappings as compact JSON."""
        return "; ".join(f"{key}: {_plain(value)}" for key, value in self.details.items())


def _plain(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    return "" if value is None else str(value)
