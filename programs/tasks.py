"""Celery tasks of programs: thin shells around the services, run inside the organization's scope."""

from __future__ import annotations

from celery import shared_task

from mentorship.tenancy.celery_tasks import TenantTask, cross_organization_task, fan_out
from mentorship.tenancy.models import Organization
from programs import data_rights, recognition, reminders


@shared_task(name="programs.reminders_send")
@cross_organization_task
def reminders_send_all_task() -> int:
    """Nightly fan-out: one `reminders_send_task` per organization."""
    return fan_out(reminders_send_task)


@shared_task(base=TenantTask, name="programs.reminders_send_for_organization")
def reminders_send_task(*, organization_id: int) -> dict[str, int]:
    """The workspace reminders of one organization (idempotent: a retried run sends nothing twice)."""
    return reminders.reminders_send()


@shared_task(name="programs.recognition_award")
@cross_organization_task
def recognition_award_all_task() -> int:
    """Nightly fan-out: one `recognition_award_task` per organization."""
    return fan_out(recognition_award_task)


@shared_task(base=TenantTask, name="programs.recognition_award_for_organization")
def recognition_award_task(*, organization_id: int) -> int:
    """Award the organization's due recognitions (idempotent: a retried run awards and notifies nobody twice)."""
    return len(recognition.recognition_award_due())


@shared_task(name="programs.private_notes_expire")
@cross_organization_task
def private_notes_expire_all_task() -> int:
    """Nightly fan-out: one `private_notes_expire_task` per organization."""
    return fan_out(private_notes_expire_task)


@shared_task(base=TenantTask, name="programs.private_notes_expire_for_organization")
def private_notes_expire_task(*, organization_id: int) -> int:
    """Delete the private notes past the organization's retention period (idempotent: a rerun finds none)."""
    organization = Organization.objects.get(pk=organization_id)
    return data_rights.private_notes_expire(organization=organization)
