"""Runs: the same data gives the same rows however often and however interrupted; incremental runs recompute what
can still change; stale figures disappear; one computation per organization at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from analytics import services, sql
from analytics.compute import metrics_run_execute
from analytics.models import MetricSnapshot, MetricsRun
from programs.models import MentoringSession, SessionFeedback
from tests.analytics import dataset
from tests.analytics.conftest import compute, figures, row_differences, snapshot_rows
from tests.analytics.test_worker import wait_for


def test_a_rerun_writes_nothing_and_leaves_identical_rows(data, tenant_a):
    first = compute(tenant_a)
    rows = snapshot_rows(tenant_a)
    second = compute(tenant_a)
    assert first.rows_written > 500 and second.rows_written == 0 and second.rows_deleted == 0
    assert snapshot_rows(tenant_a) == rows  # computed_at included: unchanged figures are not rewritten
    with tenant_a.scope():
        keys = MetricSnapshot.objects.values_list(
            "metric", "scope_type", "scope_id", "department_id", "period", "dimension"
        )
        assert len(keys) == len(set(keys))


def test_a_run_left_running_by_a_dead_worker_is_redone_cleanly(data, tenant_a, django_capture_on_commit_callbacks):
    reference = compute(tenant_a)
    rows = snapshot_rows(tenant_a)
    with tenant_a.scope():
        # A worker died in the middle of a run: it still says running, but nobody holds the organization's lock.
        dead = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, progress=40, phase="Reach",
                                         started_at=timezone.now(), heartbeat_at=timezone.now())  # fmt: skip
        MetricSnapshot.objects.filter(metric="participation_rate").delete()  # what it had not rewritten yet
        with django_capture_on_commit_callbacks() as callbacks:
            run = services.metrics_recompute_start(organization=tenant_a.organization, requested_by=tenant_a.admin)
        assert len(callbacks) == 1  # the task is enqueued when the transaction commits
        dead.refresh_from_db()
        assert dead.status == MetricsRun.Status.FAILED and "Interrupted" in dead.error
        assert run.pk not in (dead.pk, reference.pk) and run.status == MetricsRun.Status.QUEUED
        metrics_run_execute(run=run, now=dataset.NOW)
        run.refresh_from_db()
    assert run.status == MetricsRun.Status.SUCCEEDED and run.progress == 100
    assert [row[:-1] for row in snapshot_rows(tenant_a)] == [row[:-1] for row in rows]  # all but computed_at


def test_a_redelivered_task_leaves_a_finished_run_alone(data, tenant_a):
    run = compute(tenant_a)
    finished_at = run.finished_at
    with tenant_a.scope():
        assert metrics_run_execute(run=run, now=dataset.NOW).finished_at == finished_at


def test_a_live_computation_is_returned_instead_of_starting_a_second(data, tenant_a):
    with tenant_a.scope():
        first = services.metrics_recompute_start(organization=tenant_a.organization)
        again = services.metrics_recompute_start(organization=tenant_a.organization)
        assert again.pk == first.pk  # queued a moment ago: alive
        MetricsRun.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=1))
        third = services.metrics_recompute_start(organization=tenant_a.organization)
        assert third.pk != first.pk  # a queued run that never started is dead
        first.refresh_from_db()
        assert first.status == MetricsRun.Status.FAILED


def test_recompute_start_refuses_what_a_user_can_fix(tenant_a):
    with tenant_a.scope():
        with pytest.raises(ValidationError) as error:
            services.metrics_recompute_start(organization=tenant_a.organization, from_month="2026-13")
        assert "from_month" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.metrics_recompute_start(organization=tenant_a.organization, mode="sometimes")
        assert "mode" in error.value.message_dict
        assert not MetricsRun.objects.exists()


def test_a_second_computation_of_the_same_organization_is_skipped_while_one_holds_the_lock(data, tenant_a):
    other = connections.create_connection("default")  # another worker's session
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [sql.ADVISORY_LOCK_CLASS, tenant_a.organization.pk])
        run = compute(tenant_a)
        assert run.status == MetricsRun.Status.SKIPPED
        with tenant_a.scope():
            assert not MetricSnapshot.objects.exists()
            running = MetricsRun.objects.create(status=MetricsRun.Status.RUNNING, heartbeat_at=timezone.now())
            assert services.run_is_alive(running)  # its lock is held: not redone
    finally:
        other.close()
    with tenant_a.scope():
        # The session that held it ended; PostgreSQL lets go of its locks as the backend exits, a moment later.
        wait_for(lambda: not services.run_is_alive(running), 10, "the closed session's lock was not released")


def test_figures_that_no_longer_exist_are_deleted(data, tenant_a):
    compute(tenant_a)
    with tenant_a.scope():
        SessionFeedback.objects.all().delete()
        MentoringSession.objects.filter(pk=data.sessions["s8"].pk).delete()  # March's only held session
    compute(tenant_a)
    rows = figures(tenant_a)
    assert not [key for key in rows if key[0] in ("satisfaction", "pairing_fit")]
    assert ("attendance_rate", "cohort", data.cohort.pk, 0, "2026-03", "") not in rows
    march = rows[("participation_rate", "cohort", data.cohort.pk, 0, "2026-03", "")]
    assert (march.numerator, march.denominator) == (0, 6)  # still running in March, nobody attended


def test_incremental_recomputes_recent_and_late_logged_months_like_a_full_run(data, tenant_a):
    compute(tenant_a, now=dataset.NOW)
    with tenant_a.scope():
        # Logged late: the missed session of 14 February was held after all, everyone there.
        session = MentoringSession.objects.get(pk=data.sessions["s3"].pk)
        session.status = MentoringSession.Status.HELD
        session.save()
        for person, role in (("M1", "mentor"), ("A", "mentee"), ("B", "mentee")):
            session.attendance.create(membership=data.people[person], role=role, attended=True)
    run = compute(tenant_a, mode=MetricsRun.Mode.INCREMENTAL, now=dataset.NOW)
    assert run.periods == ["2026-02", "2026-03", "to-date"]
    incremental = snapshot_rows(tenant_a)
    february = figures(tenant_a)[("participation_rate", "cohort", data.cohort.pk, 0, "2026-02", "")]
    assert (february.numerator, february.denominator) == (5, 6)  # M1, A, B now took part too
    compute(tenant_a, now=dataset.NOW)
    assert [row[:-1] for row in snapshot_rows(tenant_a)] == [row[:-1] for row in incremental]


def test_incremental_picks_up_a_session_logged_months_later(data, tenant_a):
    later = dataset.NOW + timedelta(days=75)  # end of May: January is neither this month nor the last
    compute(tenant_a, now=later)
    with tenant_a.scope():
        MentoringSession.objects.filter(pk=data.sessions["s1"].pk).update(updated_at=timezone.now())
    run = compute(tenant_a, mode=MetricsRun.Mode.INCREMENTAL, now=later)
    assert run.periods == ["2026-01", "2026-04", "2026-05", "to-date"]


def test_incremental_becomes_full_when_the_minimum_group_size_changed(data, tenant_a):
    compute(tenant_a)
    tenant_a.organization.min_group_size = 3
    tenant_a.organization.save(update_fields=["min_group_size"])
    run = compute(tenant_a, mode=MetricsRun.Mode.INCREMENTAL)
    assert run.periods == ["every month", "to-date"] and run.min_group_size == 3


def test_nightly_is_full_once_a_week_and_incremental_otherwise(data, tenant_a):
    with tenant_a.scope():
        assert services.nightly_mode() == MetricsRun.Mode.FULL
        assert services.metrics_nightly().mode == MetricsRun.Mode.FULL
        assert services.nightly_mode() == MetricsRun.Mode.INCREMENTAL
        MetricsRun.objects.update(started_at=timezone.now() - timedelta(days=8))
        assert services.nightly_mode() == MetricsRun.Mode.FULL


def test_backfill_from_a_month_recomputes_those_months_only(data, tenant_a):
    compute(tenant_a)
    with tenant_a.scope():
        MetricSnapshot.objects.filter(period="2026-01").update(value=-1)
    run = compute(tenant_a, from_month="2026-02")
    assert run.periods == ["2026-02", "2026-03", "to-date"]
    rows = figures(tenant_a)
    assert rows[("participation_rate", "cohort", data.cohort.pk, 0, "2026-01", "")].value == -1  # untouched
    assert rows[("participation_rate", "cohort", data.cohort.pk, 0, "2026-02", "")].value == 33.3333


def test_one_organizations_computation_never_touches_anothers_rows(data, tenant_a, tenant_b):
    other = dataset.build(tenant_b)
    compute(tenant_b)
    theirs = snapshot_rows(tenant_b)
    compute(tenant_a)
    assert snapshot_rows(tenant_b) == theirs
    with tenant_a.scope():
        assert not MetricSnapshot.objects.filter(scope_type="cohort", scope_id=other.cohort.pk).exists()
        assert set(MetricSnapshot.all_organizations.values_list("organization_id", flat=True)) == {
            tenant_a.organization.pk
        }  # row-level security: the escape hatch sees this organization only
    a, b = figures(tenant_a), figures(tenant_b)
    assert a[("participation_rate", "organization", 0, 0, "to-date", "")].numerator == 9
    assert b[("participation_rate", "organization", 0, 0, "to-date", "")].numerator == 9


@pytest.mark.django_db(transaction=True)
def test_reads_on_parallel_connections_give_the_rows_of_reads_on_one(tenant_a, tenant_b, settings, caplog):
    # Committed data (no test transaction): the computation reads on two connections of its own at once.
    dataset.build(tenant_a)
    dataset.build(tenant_b)
    caplog.set_level("INFO", logger="analytics.compute")
    assert compute(tenant_a).status == MetricsRun.Status.SUCCEEDED
    assert "on 2 connections" in caplog.text
    parallel = snapshot_rows(tenant_a)
    with tenant_a.scope():
        MetricSnapshot.objects.all().delete()
    settings.METRICS_CONNECTIONS = 1
    caplog.clear()
    compute(tenant_a)
    assert "on one connection" in caplog.text
    assert len(parallel) > 500 and row_differences(snapshot_rows(tenant_a), parallel) == (0, 0)
    with tenant_b.scope():  # the pool's connections were scoped to the organization computed
        assert not MetricSnapshot.objects.exists()
