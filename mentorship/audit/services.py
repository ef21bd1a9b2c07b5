"""`record()`: the one way an audit event is written.

Call it from the service that performs the action, inside the service's transaction, so an action that fails or
rolls back records nothing and one that commits cannot lose its event.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth import get_user_model
from django.db import models

from mentorship.audit.context import current_request
from mentorship.audit.models import Action, AuditEvent, TargetType
from mentorship.tenancy.models import Invitation, Membership
from mentorship.throttling import client_ip

SYSTEM_LABEL = "System"
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
