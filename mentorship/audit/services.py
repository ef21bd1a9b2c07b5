"""`record()`: the one way an audit event is written; `person_redact()`: the one way events are changed after.

Call `record()` from the service that performs the action, inside the service's transaction, so an action that fails
or rolls back records nothing and one that commits cannot lose its event.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from mentorship.audit.context import current_request
from mentorship.audit.models import Action, AuditEvent, TargetType
from mentorship.tenancy.models import Invitation, Membership, Organization
from mentorship.throttling import client_ip

SYSTEM_LABEL = "System"
ERASED_MARKER = "(erased)"  # the trigger of migration 0003 accepts only these markers as redacted values
LABEL_LENGTH = 300
DETAIL_TEXT_LENGTH = 200  # changed text fields (descriptions) are cut in `details`; the log is not a history

TARGET_TYPES = {
    "tenancy.membership": TargetType.MEMBERSHIP,
    "tenancy.invitation": TargetType.INVITATION,
    "tenancy.peopleimport": TargetType.PEOPLE_IMPORT,
    "tenancy.organization": TargetType.ORGANIZATION,
    "programs.program": TargetType.PROGRAM,
    "programs.cohort": TargetType.COHORT,
    "matching.matchrun": TargetType.MATCH_RUN,
    "accounts.apitoken": TargetType.API_TOKEN,
}


def record(
    *,
    action: Action,
    target: models.Model | None = None,
    target_type: TargetType | None = None,
    target_label: str | None = None,
    details: dict | None = None,
    actor=None,
) -> AuditEvent:
    """Append one event to the scope's organization's log.

    `target` is the model instance acted on (its type, id and label are taken from it); without one, give
    `target_type` and `target_label` (an export has no row). `actor` is a Membership or a User; without one the
    request's user acts, and outside a request the system does.
    """
    request = current_request()
    user = _actor_user(actor, request)
    event = AuditEvent(
        actor=user,
        actor_label=actor_label(user),
        action=action,
        target_type=target_type or TARGET_TYPES[target._meta.label_lower],
        target_id=target.pk if target is not None else None,
        target_label=(target_label if target_label is not None else _label(target))[:LABEL_LENGTH],
        details=details or {},
        ip_address=_ip_address(request),
    )
    event.save()
    return event


def actor_label(user) -> str:
    if user is None:
        return SYSTEM_LABEL
    return (f"{user.full_name} <{user.email}>" if user.full_name else user.email)[:LABEL_LENGTH]


def changes(before: dict, after: dict) -> dict[str, list]:
    """{field: [old, new]} of the fields whose value differs; long texts are cut."""

    def short(value):
        return value[:DETAIL_TEXT_LENGTH] if isinstance(value, str) else value

    return {field: [short(before[field]), short(after[field])] for field in after if before.get(field) != after[field]}


def _label(target) -> str:
    if target is None:
        return ""
    if isinstance(target, Membership):
        return actor_label(target.user)
    if isinstance(target, Invitation):
        return target.email
    return str(target)


def _actor_user(actor, request):
    if isinstance(actor, Membership):
        return actor.user
    if isinstance(actor, get_user_model()):
        return actor
    if request is not None and request.user.is_authenticated:
        return request.user
    return None


def _ip_address(request) -> str | None:
    """The client address as the throttles see it; a forwarded header that is not one address is not stored."""
    if request is None:
        return None
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def record_export(*, name: str, fmt: str, filters) -> AuditEvent:
    """An export downloaded: which table, in which format, with which filters (the empty ones left out)."""
    chosen = {key: value for key, value in filters.items() if value and key not in ("format", "page")}
    return record(
        action=Action.EXPORT_DOWNLOADED,
        target_type=TargetType.EXPORT,
        target_label=f"{name} ({fmt})",
        details={"export": name, "format": fmt, "filters": chosen},
    )


def erased_member_label(membership_id: int) -> str:
    return f"Member #{membership_id} {ERASED_MARKER}"


def _mentions(column: str) -> str:
    """SQL: `column` (text) contains the person's email or name, ignoring case. strpos, not LIKE, so that an
    underscore or percent sign in an address is not a wildcard."""
    either = " OR ".join(
        f"(%({needle})s <> '' AND strpos(lower({column}), lower(%({needle})s)) > 0)" for needle in ("email", "name")
    )
    return f"({either})"


# One statement for all of the person's events in one organization. Their own actions and the events about their
# membership (or an invitation to their address) read "Member #<id> (erased)"; another target label, or a top-level
# details value, that mentions their name or address becomes "(erased)" (details keep their keys). Labels of other
# people's memberships are left alone even if a name happens to contain this one.
_REDACT = f"""
UPDATE audit_auditevent SET
    actor_label = CASE WHEN actor_id = %(user)s OR actor_label = %(actor_label)s THEN %(member)s ELSE actor_label END,
    target_label = CASE
        WHEN (target_type = 'membership' AND target_id = %(membership)s)
            OR (target_type = 'invitation' AND %(email)s <> '' AND lower(target_label) = lower(%(email)s))
            THEN %(member)s
        WHEN target_type <> 'membership' AND {_mentions("target_label")} THEN %(erased)s
        ELSE target_label END,
    details = CASE WHEN jsonb_typeof(details) = 'object' AND {_mentions("details::text")} THEN (
        SELECT jsonb_object_agg(
            key, CASE WHEN {_mentions("value::text")} THEN to_jsonb(%(erased)s::text) ELSE value END
        )
        FROM jsonb_each(details)
    ) ELSE details END
WHERE organization_id = %(organization)s AND (
    actor_id = %(user)s OR actor_label = %(actor_label)s
    OR (target_type = 'membership' AND target_id = %(membership)s)
    OR (target_type <> 'membership' AND {_mentions("target_label")})
    OR {_mentions("details::text")}
)
"""


@transaction.atomic
def person_redact(*, organization: Organization, membership: Membership) -> int:
    """Rewrite, in one UPDATE, the erased member's traces in `organization`'s log; returns how many it rewrote.

    Called by member erasure, in its transaction, before the account is anonymised (it needs the name and email).
    The events themselves stay (how many, when, what, from which address): only who they name is blanked. Other
    organizations' logs are untouched, by the WHERE clause and by row-level security.
    """
    if membership.organization_id != organization.pk:
        raise ValueError("The membership belongs to another organization.")
    user = membership.user
    params = {
        "organization": organization.pk,
        "membership": membership.pk,
        "user": user.pk,
        "actor_label": actor_label(user),  # also catches their events whose actor link was cleared
        "email": user.email,
        "name": user.full_name.strip(),
        "member": erased_member_label(membership.pk),
        "erased": ERASED_MARKER,
    }
    with connection.cursor() as cursor:
        # The trigger allows the rewrite only while this is on; LOCAL ends it with the transaction at the latest,
        # and it is switched off right after so the rest of the erasure cannot use it.
        cursor.execute("SET LOCAL audit.redacting = 'on'")
        cursor.execute(_REDACT, params)
        redacted = cursor.rowcount
        cursor.execute("SET LOCAL audit.redacting = 'off'")
    return redacted
