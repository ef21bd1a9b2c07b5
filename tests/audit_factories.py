"""Row builder of the audit app's tenant model (AuditEvent) for the contract tests (tests/factories.py imports
`register`)."""

from __future__ import annotations


def make_audit_event(**fields):
    """An event written the one way events are written, through `record()`."""
    from mentorship.audit.models import Action, TargetType
    from mentorship.audit.services import record

    if "target" not in fields:  # an export has no row: its type and label are given
        fields.setdefault("target_type", TargetType.EXPORT)
        fields.setdefault("target_label", "Test export (csv)")
    return record(action=fields.pop("action", Action.EXPORT_DOWNLOADED), **fields)


def register(builders: dict) -> None:
    from mentorship.audit.models import AuditEvent

    builders[AuditEvent] = make_audit_event
