"""Real Celery worker processes on real Redis: the nightly fan-out computes every organization; a worker killed in
the middle of a run leaves a run that is recognised as dead and redone, giving the rows of an uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid

import pytest
from celery import Celery
from django.db import connection

from analytics import services
from analytics.compute import PHASE_DELAY_ENV, computation_in_progress, metrics_run_execute
from analytics.models import MetricSnapshot, MetricsRun
from analytics.tasks import metrics_nightly_all_task, metrics_run_task
from mentorship.celery import app
from tests.analytics import dataset
from tests.analytics.conftest import report_fault, snapshot_rows
from tests.tenancy.test_worker import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def celery_worker(*, broker: Celery = app, pool: str = "solo", **environment):
    """A worker consuming a queue of its own and the default queue (where the fan-out sends its tasks), on the
    tests' Redis or on the broker (and result backend) of another Celery app, a Redis of the test's own; one task at
    a time, in the worker process itself (solo) or in a child process as in production (prefork)."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), **environment}
    if broker is not app:
        env["REDIS_URL"] = broker.conf.broker_url
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mentorship", "worker", "--pool", pool, "--concurrency", "1",
         "-Q", f"{queue},celery", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--hostname", f"{queue}@%h"],
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not broker.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5):
            assert process.poll() is None, "the worker exited during start-up"
            assert time.monotonic() < deadline, "the worker did not answer a ping within 60 s"
        yield queue, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def wait_for(condition, timeout: float = 60, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(message or "timed out")


def latest_run(tenant) -> MetricsRun | None:
    with tenant.scope():
        return MetricsRun.objects.order_by("-id").first()


def test_the_nightly_fan_out_computes_every_organization_in_a_worker(tenants):
    tenant_a, tenant_b = tenants
    dataset.build(tenant_a)
    dataset.build(tenant_b)
    with celery_worker() as (queue, _process):
        assert metrics_nightly_all_task.apply_async(queue=queue).get(timeout=30) == 2
        for tenant in tenants:
            run = wait_for(lambda t=tenant: (r := latest_run(t)) and not r.is_running and r, 90, "no nightly run")
            assert (run.status, run.mode, run.progress) == (MetricsRun.Status.SUCCEEDED, MetricsRun.Mode.FULL, 100)
    for tenant in tenants:
        with tenant.scope():
            participants = MetricSnapshot.objects.get(metric="participants", scope_type="organization",
                                                      department_id=0, period="to-date")  # fmt: skip
            assert participants.value == 6  # each organization's own six, never twelve
            assert set(MetricSnapshot.all_organizations.values_list("organization_id", flat=True)) == {
                tenant.organization.pk
            }


def test_a_worker_killed_mid_run_leaves_a_dead_run_that_is_redone_with_the_same_rows(tenant_a, tenant_b):
    dataset.build(tenant_a)
    organization = tenant_a.organization
    with tenant_a.scope():
        killed = MetricsRun.objects.create()
    with celery_worker(**{PHASE_DELAY_ENV: "3"}) as (queue, process):  # a pause after each family
        metrics_run_task.apply_async(kwargs={"organization_id": organization.pk, "run_id": killed.pk}, queue=queue)
        # Progress counts four reads and four families written: past 60 %, the first family (sessions) is written.
        wait_for(lambda: latest_run(tenant_a).progress >= 60, 60, "the run did not get past its first family")
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait(timeout=10)
    with tenant_a.scope():
        killed.refresh_from_db()
        assert killed.status == MetricsRun.Status.RUNNING and 60 <= killed.progress < 100
        written = set(MetricSnapshot.objects.values_list("metric", flat=True).distinct())
        assert "participation_rate" in written and "capability_growth" not in written  # half done
    # Its database session ended with the process, and the lock with it.
    wait_for(lambda: not computation_in_progress(organization.pk), 30, "the dead worker's lock was not released")
    with celery_worker() as (_queue, _process), tenant_a.scope():
        rerun = services.metrics_recompute_start(organization=organization)  # enqueued on commit (autocommit)
        assert rerun.pk != killed.pk
        wait_for(lambda: MetricsRun.objects.get(pk=rerun.pk).status == MetricsRun.Status.SUCCEEDED, 90,
                 "the rerun did not succeed")  # fmt: skip
        killed.refresh_from_db()
        assert killed.status == MetricsRun.Status.FAILED and "Interrupted" in killed.error
    rows = snapshot_rows(tenant_a)
    with tenant_a.scope():
        uninterrupted = metrics_run_execute(run=MetricsRun.objects.create())
    assert uninterrupted.status == MetricsRun.Status.SUCCEEDED
    assert uninterrupted.rows_written == 0 and uninterrupted.rows_deleted == 0  # nothing left to put right
    assert snapshot_rows(tenant_a) == rows
    with tenant_b.scope():
        assert not MetricSnapshot.objects.exists()
    with tenant_a.scope():  # the figure: against a run on the same data that nothing interrupted, from scratch
        MetricSnapshot.objects.all().delete()
        metrics_run_execute(run=MetricsRun.objects.create())
    assert report_fault("worker killed mid-run", snapshot_rows(tenant_a), rows) == (0, 0)
