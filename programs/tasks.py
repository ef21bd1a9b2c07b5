"""Celery tasks of programs: thin shells around the services, run inside the organization's scope."""

from __future__ import annotations

from celery import shared_task

from mentorship.tenancy.celery_tasks import TenantTask, cross_organization_task, fan_out
from programs import reminders


@shared_task(name="programs.reminders_send")
@cross_organization_task
def reminders_send_all_task() -> int:
    """Nightly fan-out: one `reminders_send_task` per organization."""
    return fan_out(reminders_send_task)


@shared_task(base=TenantTask, name="programs.reminders_send_for_organization")
def reminders_send_task(*, organization_id: int) -> dict[str, int]:
    """The workspace reminders of one organization (idempotent: a retried run sends nothing twice)."""
    return reminders.reminders_send()
