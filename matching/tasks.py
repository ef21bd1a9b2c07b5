"""Celery tasks of matching: thin shells around the services, run inside the organization's scope."""

from __future__ import annotations

from celery import shared_task

from matching import services
from matching.models import MatchRun
from mentorship.tenancy.celery_tasks import TenantTask, cross_organization_task, fan_out


@shared_task(base=TenantTask, name="matching.match_run")
def match_run_task(*, organization_id: int, run_id: int) -> str | None:
    """Compute a match run: candidates, optimal assignment, explanations. An error marks the run failed (with the
    error) and is raised again; a redelivered task finds a finished run and leaves it as it is."""
    run = MatchRun.objects.select_related("cohort__program").filter(pk=run_id).first()
    if run is None:
        return None
    return services.match_run_execute(run=run).status


@shared_task(name="matching.mentor_requests_expire")
@cross_organization_task
def mentor_requests_expire_all_task() -> int:
    """Periodic fan-out: one `mentor_requests_expire_task` per organization."""
    return fan_out(mentor_requests_expire_task)


@shared_task(base=TenantTask, name="matching.mentor_requests_expire_for_organization")
def mentor_requests_expire_task(*, organization_id: int) -> int:
    """Mentee choice: open mentor requests past their expiry become expired (idempotent)."""
    from matching import choice

    return choice.mentor_requests_expire()
