"""Celery tasks of matching: thin shells around the services, run inside the organization's scope."""

from __future__ import annotations

from celery import shared_task

from matching import services
from matching.models import MatchRun
from mentorship.tenancy.celery_tasks import TenantTask


@shared_task(base=TenantTask, name="matching.match_run")
def match_run_task(*, organization_id: int, run_id: int) -> str | None:
    """Compute a match run: candidates, optimal assignment, explanations. An error marks the run failed (with the
    error) and is raised again; a redelivered task finds a finished run and leaves it as it is."""
    run = MatchRun.objects.select_related("cohort__program").filter(pk=run_id).first()
    if run is None:
        return None
    return services.match_run_execute(run=run).status
