"""Starting metric computations: "recompute now", the nightly run, and recognising a run that died.

A run is **alive** while it is queued (for up to QUEUED_TIMEOUT since it was enqueued, or re-enqueued by
analytics/reconcile.py: the workers may be busy) or while it is running and
its database session holds the organization's computation lock (analytics/compute.py). A run found "running"
without the lock, or past RUNNING_TIMEOUT without progress, died with its worker: it is marked failed and the
computation starts over; nothing of it needs undoing, since every family it finished is complete and the next run
recomputes its whole slice anyway.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.compute import computation_in_progress, metrics_run_execute
from analytics.models import MetricsRun
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import require_organization_id

QUEUED_TIMEOUT = timedelta(minutes=15)
RUNNING_TIMEOUT = timedelta(minutes=30)  # no heartbeat for this long: dead even if a lock is somehow held
FULL_EVERY = timedelta(days=7)  # the nightly run is full once a week (moves between departments, deletions)


def run_is_alive(run: MetricsRun) -> bool:
    now = timezone.now()
    if run.status == MetricsRun.Status.QUEUED:
        return (run.enqueued_at or run.created_at) > now - QUEUED_TIMEOUT
    if run.status == MetricsRun.Status.RUNNING:
        recent = (run.heartbeat_at or run.created_at) > now - RUNNING_TIMEOUT
        return recent and computation_in_progress(run.organization_id)
    return False


def abandon_dead_runs() -> int:
    """Mark the queued or running runs of the scope's organization that died as failed; returns how many."""
    dead = [run for run in MetricsRun.objects.filter(status__in=(MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING))
            if not run_is_alive(run)]  # fmt: skip
    for run in dead:
        MetricsRun.objects.filter(pk=run.pk, status=run.status).update(
            status=MetricsRun.Status.FAILED, finished_at=timezone.now(),
            error="Interrupted: the computation stopped without finishing (its worker died); computed again.",
        )  # fmt: skip
    return len(dead)


def live_run() -> MetricsRun | None:
    abandon_dead_runs()
    return MetricsRun.objects.filter(status__in=(MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)).first()


def _check_month(from_month: str) -> None:
    try:
        year, month = (int(part) for part in from_month.split("-"))
        valid = len(from_month) == 7 and 2000 <= year <= 2999 and 1 <= month <= 12
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError({"from_month": "Give a month as YYYY-MM, for example 2026-01."})


def metrics_recompute_start(
    *, organization: Organization, requested_by: Membership | None = None, mode: str = MetricsRun.Mode.FULL,
    from_month: str = "",
) -> MetricsRun:  # fmt: skip
    """The "recompute now" button: record a queued run and enqueue it when the transaction commits; returns the
    run, whose status, progress and phase the page polls. A computation already alive is returned instead."""
    if organization.pk != require_organization_id():
        raise ValidationError("Recompute the metrics of the organization in scope.")
    if mode not in MetricsRun.Mode.values:
        raise ValidationError({"mode": f"Choose one of: {', '.join(MetricsRun.Mode.values)}."})
    if from_month:
        _check_month(from_month)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()  # one start at a time
        running = live_run()
        if running is not None:
            return running
        run = MetricsRun(mode=mode, from_month=from_month, requested_by=requested_by)
        run.full_clean()
        run.save()
        from analytics.tasks import metrics_run_task

        organization_id, run_id = run.organization_id, run.pk
        transaction.on_commit(lambda: metrics_run_task.delay(organization_id=organization_id, run_id=run_id))
    return run


def nightly_mode() -> str:
    """Incremental, except once a week (and before any full run) a full one."""
    last_full = (
        MetricsRun.objects.filter(status=MetricsRun.Status.SUCCEEDED, mode=MetricsRun.Mode.FULL)
        .order_by("-started_at")
        .first()
    )
    if last_full is None or last_full.started_at < timezone.now() - FULL_EVERY:
        return MetricsRun.Mode.FULL
    return MetricsRun.Mode.INCREMENTAL


def metrics_nightly() -> MetricsRun | None:
    """The nightly computation of the scope's organization, run in this process (the nightly task). Skipped while
    another computation is alive; a dead one is marked failed and this run takes its place."""
    if live_run() is not None:
        return None
    run = MetricsRun.objects.create(mode=nightly_mode())
    return metrics_run_execute(run=run)
