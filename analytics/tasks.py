"""Celery tasks of the metrics: thin shells around analytics/services.py and analytics/compute.py."""

from __future__ import annotations

from celery import shared_task

from analytics import reconcile, services
from analytics.compute import metrics_run_execute
from analytics.models import MetricsRun
from mentorship.tenancy.celery_tasks import TenantTask, cross_organization_task, fan_out


@shared_task(name="analytics.metrics_nightly")
@cross_organization_task
def metrics_nightly_all_task() -> int:
    """Nightly fan-out (beat): one `metrics_nightly_task` per organization."""
    return fan_out(metrics_nightly_task)


@shared_task(base=TenantTask, name="analytics.metrics_nightly_for_organization")
def metrics_nightly_task(*, organization_id: int) -> str | None:
    """The organization's nightly computation (incremental, full once a week); None when one was already alive."""
    run = services.metrics_nightly()
    return run.status if run else None


@shared_task(base=TenantTask, name="analytics.metrics_run")
def metrics_run_task(*, organization_id: int, run_id: int) -> str | None:
    """Compute a queued run ("recompute now"). A redelivered task finds its run finished and leaves it; one whose
    worker died (the run still says running, nobody holds the lock) starts it over."""
    run = MetricsRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    return metrics_run_execute(run=run).status


@shared_task(name="analytics.metrics_reconcile")
@cross_organization_task
def metrics_reconcile_all_task() -> int:
    """Beat, every few minutes: one `metrics_reconcile_task` per organization."""
    return fan_out(metrics_reconcile_task)


@shared_task(base=TenantTask, name="analytics.metrics_reconcile_for_organization")
def metrics_reconcile_task(*, organization_id: int) -> int | None:
    """Re-enqueue the organization's run that stopped without finishing (analytics/reconcile.py); returns its id."""
    run = reconcile.reconcile_runs()
    return run.pk if run else None
