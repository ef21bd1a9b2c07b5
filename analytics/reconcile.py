"""The reconciler: runs that stopped without finishing are sent to the workers again.

A run can stop without finishing in two ways the task machinery does not repair by itself: its worker died and the
broker no longer holds the message to redeliver (Redis restarted without it, or flushed), or its message was lost
before any worker took it (the run stays queued). Every few minutes (beat, `analytics.metrics_reconcile`) each
organization's queued and running runs are checked with `services.run_is_alive` (a running run is alive while its
database session holds the organization's advisory lock; a queued one for QUEUED_TIMEOUT since it was enqueued):

* the newest dead run is set back to queued and its `metrics_run_task` enqueued again, once per check: the update
  is conditional on the state that was read, and the run's new `enqueued_at` keeps it alive until the timeout, so a
  second check (or a second beat) finds nothing to do; a run re-enqueued MAX_ATTEMPTS times is marked failed,
  so a run that kills its worker every time does not loop forever;
* older dead runs, and every dead run while another run of the organization is alive, are marked failed: one
  computation recomputes the whole slice, and a second would only be skipped behind the first's lock.

A message that turns up twice (the original redelivered after all, and the re-enqueued one) is harmless:
`metrics_run_execute` leaves a finished run as it is and a run computed elsewhere to the session holding the lock.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import MetricsRun
from analytics.services import run_is_alive
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import require_organization_id

MAX_ATTEMPTS = 3


def _fail(run: MetricsRun, error: str) -> None:
    MetricsRun.objects.filter(pk=run.pk, status=run.status).update(
        status=MetricsRun.Status.FAILED, finished_at=timezone.now(), error=error
    )


def reconcile_runs() -> MetricsRun | None:
    """Re-enqueue the scope's organization's newest run that stopped without finishing (its task is sent when the
    transaction commits); returns it, or None when every unfinished run is alive."""
    organization_id = require_organization_id()
    with transaction.atomic():
        # The same row lock as "recompute now": a button press and a check never both start a computation.
        Organization.objects.select_for_update().filter(pk=organization_id).first()
        unfinished = list(
            MetricsRun.objects.filter(status__in=(MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)).order_by(
                "-created_at", "-id"
            )
        )
        dead = [run for run in unfinished if not run_is_alive(run)]
        if not dead:
            return None
        revive = None if len(dead) < len(unfinished) else dead[0]
        for run in dead:
            if run is not revive:
                _fail(run, "Interrupted: the computation stopped without finishing; another run took its place.")
        if revive is None:
            return None
        if revive.attempts >= MAX_ATTEMPTS:
            _fail(revive, f"Interrupted {MAX_ATTEMPTS + 1} times: given up (see the workers' logs).")
            return None
        now = timezone.now()
        updated = MetricsRun.objects.filter(pk=revive.pk, status=revive.status, enqueued_at=revive.enqueued_at).update(
            status=MetricsRun.Status.QUEUED, enqueued_at=now, attempts=F("attempts") + 1
        )
        if not updated:  # changed since it was read (its worker finished it after all)
            return None
        from analytics.tasks import metrics_run_task

        run_id = revive.pk
        transaction.on_commit(lambda: metrics_run_task.delay(organization_id=organization_id, run_id=run_id))
    revive.refresh_from_db()
    return revive
