"""Running one computation of an organization's metrics: what to recompute, the SQL steps, progress, the lock.

`metrics_run_execute(run=...)` is what the Celery task, the backfill command and the benchmark call, inside the
organization's tenant scope. A run:

1. takes the organization's advisory lock (`pg_try_advisory_lock`), held by its database session for the whole
   run: a second computation of the same organization is skipped, and a run whose worker died is recognisable at
   once (its lock is gone with its connection; see `run_is_alive`);
2. plans the slice: **full** = every month since the first cohort (or since `from_month`) and every cohort;
   **incremental** = the current and previous month, the months of sessions changed since the last successful run
   (logged late, corrected, cancelled), and the cohorts still running or whose data changed since then;
3. reads the base cells from the programs tables (analytics/sql.py: the statements that are most of the work, on
   two database connections at once) and, as each family's reads finish, writes that family in one transaction
   (base cells, roll-up, derived figures, then the complementary suppression), reporting progress on the run row;
4. marks the run succeeded (or failed, with the error).

Whatever happens, the rows are those of the data: a rerun recomputes its slice completely and writes the same rows,
and a run that died left every family either as it was or fully recomputed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from analytics import privacy, sql
from analytics.definitions import METRICS, PAIRED, family_metrics, month_key
from analytics.models import MetricsRun
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import require_organization_id, tenant_scope

logger = logging.getLogger(__name__)

# Session settings of the computation's transactions: hash joins and aggregates of a few million rows in memory.
WORK_MEM = "128MB"
# A deliberate pause after each family written, for the tests that kill a worker or Redis mid-run (never set otherwise).
PHASE_DELAY_ENV = "METRICS_PHASE_DELAY_SECONDS"

PHASES = (
    ("plan", "Planning"),
    ("read", "Reading sessions, feedback, matches and assessments"),
    ("sessions", "Participation, attendance and feedback"),
    ("matches", "Matches, goals and collaboration"),
    ("capability", "Capability growth and the pulse"),
    ("reach", "Reach"),
)

# Written in this order, each in one transaction. The reach has no reads of its own: written as soon as the first
# read is done, while the others go on, rather than after the last one.
FAMILIES = ("reach", "sessions", "matches", "capability")

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class Plan:
    now: datetime
    months: list[date] | None  # None: every month
    cohorts: list[int] | None  # None: every cohort

    @property
    def current_month(self) -> date:
        return first_of_month(self.now)

    @property
    def month_keys(self) -> list[str] | None:
        return None if self.months is None else [month_key(m.year, m.month) for m in self.months]

    def describe(self) -> list[str]:
        return ["every month" if self.months is None else key for key in (self.month_keys or [None])] + ["to-date"]


def first_of_month(moment: datetime) -> date:
    moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@cache
def t_critical_values() -> list[float]:
    """The 97.5 % quantile of Student's t for 1..T_CRITICAL_LIMIT degrees of freedom (95 % two-sided)."""
    from scipy.special import stdtrit  # the inverse of Student's t distribution (scipy.stats loads far more)

    return [round(float(value), 6) for value in stdtrit(range(1, sql.T_CRITICAL_LIMIT + 1), 0.975)]


# --- The lock: one computation per organization; a dead run has no lock ---


def _try_lock(organization_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [sql.ADVISORY_LOCK_CLASS, organization_id])
        return cursor.fetchone()[0]


def _unlock(organization_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [sql.ADVISORY_LOCK_CLASS, organization_id])


def computation_in_progress(organization_id: int) -> bool:
    """Whether some database session holds the organization's computation lock (a live run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
            "AND objsubid = 2 AND granted)",
            [sql.ADVISORY_LOCK_CLASS, organization_id],
        )
        return cursor.fetchone()[0]


# --- Planning ---


def _last_success() -> MetricsRun | None:
    return MetricsRun.objects.filter(status=MetricsRun.Status.SUCCEEDED).order_by("-started_at").first()


def plan_run(run: MetricsRun, now: datetime, *, min_group_size: int) -> Plan:
    """Full: every month and cohort (or the months from `from_month`). Incremental: see the module docstring; it is
    full when nothing succeeded before or the minimum group size changed since (every suppression is revised)."""
    current = first_of_month(now)
    if run.mode == MetricsRun.Mode.FULL:
        if not run.from_month:
            return Plan(now=now, months=None, cohorts=None)
        year, month = (int(part) for part in run.from_month.split("-"))
        return Plan(now=now, months=months_between(date(year, month, 1), current), cohorts=None)
    last = _last_success()
    if last is None or last.min_group_size != min_group_size:
        return Plan(now=now, months=None, cohorts=None)
    since = last.started_at
    previous = previous_month(current)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              ARRAY(SELECT DISTINCT date_trunc('month', s.starts_at AT TIME ZONE 'UTC')::date
                    FROM programs_mentoringsession s
                    WHERE s.updated_at >= %(since)s AND s.starts_at < %(previous)s::timestamp AT TIME ZONE 'UTC'
                    UNION
                    SELECT DISTINCT date_trunc('month', s.starts_at AT TIME ZONE 'UTC')::date
                    FROM programs_sessionfeedback f JOIN programs_mentoringsession s ON s.id = f.session_id
                    WHERE f.created_at >= %(since)s AND s.starts_at < %(previous)s::timestamp AT TIME ZONE 'UTC'),
              ARRAY(SELECT id FROM programs_cohort WHERE ends_on >= %(previous)s
                    UNION SELECT ms.cohort_id FROM programs_mentoringsession s
                          JOIN programs_mentorship ms ON ms.id = s.mentorship_id WHERE s.updated_at >= %(since)s
                    UNION SELECT cohort_id FROM programs_mentorship WHERE created_at >= %(since)s
                    UNION SELECT cohort_id FROM programs_application WHERE decided_at >= %(since)s
                    UNION SELECT cohort_id FROM programs_capabilityassessment WHERE updated_at >= %(since)s
                    UNION SELECT cohort_id FROM programs_pulsesurvey WHERE created_at >= %(since)s
                    UNION SELECT ms.cohort_id FROM programs_goal g
                          JOIN programs_mentorship ms ON ms.id = g.mentorship_id WHERE g.updated_at >= %(since)s)
            """,
            {"since": since, "previous": previous},
        )
        late_months, cohorts = cursor.fetchone()
    months = sorted({previous, current, *late_months})
    return Plan(now=now, months=months, cohorts=sorted(cohorts))


# --- The steps ---


def _params(plan: Plan, organization: Organization) -> dict:
    return {
        "org": organization.pk,
        "now": plan.now,
        "current_month": plan.current_month,
        "months": plan.months,
        "month_keys": plan.month_keys,
        "month_from": plan.months[0] if plan.months else None,
        "month_indexes": None if plan.months is None else [m.year * 12 + m.month - 1 for m in plan.months],
        "current_mi": plan.current_month.year * 12 + plan.current_month.month - 1,
        "cohorts": plan.cohorts,
        "k": organization.min_group_size,
        # "t975": the t quantiles, needed by the writes only: _Computation loads them while the reads run.
        "department_metrics": sql.department_metrics(),
        "paired_metrics": [m.slug for m in METRICS.values() if m.kind == PAIRED],
    }


def _settings(cursor) -> None:
    cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves on these statements


def _select(statement: str, params: dict, *, parallel_workers: bool = True) -> str:
    """The base cells one statement computes from the programs tables (as JSON, see sql.AS_JSON), in a read-only
    transaction of its own."""
    with transaction.atomic(), connection.cursor() as cursor:
        _settings(cursor)
        if not parallel_workers:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql.AS_JSON.format(statement=statement), params)
        return cursor.fetchone()[0]


def _select_on_own_connection(organization_id: int, statement: str, params: dict) -> str:
    """`_select` in a pool thread: its own database connection (Django's are per thread) and tenant scope. The
    connections are the parallelism: PostgreSQL's parallel workers would only compete with them for the cores."""
    try:
        with tenant_scope(organization_id):
            return _select(statement, params, parallel_workers=False)
    finally:
        connection.close()


def base_reads(params: dict) -> list[tuple[str, str, dict]]:
    """(family, statement, parameters) of every statement that reads the programs tables, in FAMILIES order (the
    first family can be written while the others are read). The monthly statements cover every cohort: the months
    decide what is redone."""
    all_cohorts = {**params, "cohorts": None}
    return [
        ("sessions", sql.SESSIONS_MONTHLY, all_cohorts),
        ("sessions", sql.FEEDBACK_MONTHLY, all_cohorts),
        ("matches", sql.MATCHES, params),
        ("capability", sql.CAPABILITY, params),
    ]


def base_cells(reads: list[tuple[str, str, dict]], organization_id: int) -> Iterator[tuple[str, str]]:
    """Run the base statements (`base_reads`), on METRICS_CONNECTIONS connections at once; yield (family, cells) of
    each as it finishes (the caller writes a family meanwhile).

    They only read, and they are most of a run's work: on parallel connections they keep every core busy (within
    one statement PostgreSQL parallelises scans, not the joins and sorts over intermediate results). Inside a
    transaction (a test, a caller's atomic block) other connections could not see its uncommitted rows, so they
    run one after the other on this connection. Each statement sees the data as of its own start."""
    lanes = max(1, settings.METRICS_CONNECTIONS)
    if connection.in_atomic_block or lanes == 1:
        logger.info("metrics reads of organization %s on one connection", organization_id)
        for family, statement, step_params in reads:
            yield family, _select(statement, step_params)
        return
    logger.info("metrics reads of organization %s on %s connections", organization_id, lanes)
    pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="metrics")
    try:
        futures = {
            pool.submit(_select_on_own_connection, organization_id, statement, step_params): family
            for family, statement, step_params in reads
        }
        for future in as_completed(futures):
            yield futures[future], future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # a failed run starts no further statement


def _upsert_cells(cursor, cells: list[str], slice_condition: str, params: dict) -> tuple[int, int]:
    """Upsert the cells of base statements (JSON arrays, see `_select`) and delete the rest of the slice."""
    # The planner guesses 100 rows for a set-returning function: a nested-loop anti-join of the DELETE over tens of
    # thousands of cells on both sides would take close to a minute.
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(sql.upsert(sql.FROM_JSON, slice_condition), {**params, "cells": cells})
    return cursor.fetchone()


def _write(cursor, statement: str, slice_condition: str, params: dict, metrics: list[str]) -> tuple[int, int]:
    """Upsert what `statement` computes and delete the rest of its slice; returns (rows written, rows deleted).

    Statements that read the snapshot table (roll-ups, to-date sums, derived figures) run with nested loops off:
    before autovacuum has seen a computation's rows the table looks empty to the planner, and a nested loop over
    what is really 100,000 rows takes minutes. The reach, from the memberships, is small either way."""
    reads_snapshots = "FROM analytics_metricsnapshot" in statement
    cursor.execute(f"SET LOCAL enable_nestloop = {'off' if reads_snapshots else 'on'}")
    cursor.execute(sql.upsert(statement, slice_condition), {**params, "metrics": metrics})
    return cursor.fetchone()


def _family(family: str, params: dict, base_cells: list[str]) -> tuple[int, int]:
    """Write one family in one transaction: its base cells (read before), then the roll-ups, derived figures and
    suppression computed from the stored rows; returns (rows written, rows deleted)."""
    base = sql.base_metrics(family)
    everything = [m.slug for m in family_metrics(family)]
    if family == "sessions":  # its monthly cells were read for every cohort (see `base_reads`), and so are written
        params = {**params, "cohorts": None}
    with transaction.atomic(), connection.cursor() as cursor:
        _settings(cursor)
        written = deleted = 0
        if base:
            period = sql.PERIOD_MONTHS if family == "sessions" else sql.PERIOD_TO_DATE
            written, deleted = _upsert_cells(cursor, base_cells, sql.base_slice(period), {**params, "metrics": base})
        steps: list[tuple[str, str, list[str]]] = []
        if family == "matches":
            steps = [
                (sql.rollup(sql.PERIOD_TO_DATE), sql.rollup_slice(sql.PERIOD_TO_DATE), base),
                (sql.NETWORK_DENSITY, sql.metric_slice(sql.PERIOD_TO_DATE), ["network_density"]),
            ]
        elif family == "sessions":
            steps = [
                (sql.SESSIONS_TO_DATE, sql.base_slice(sql.PERIOD_TO_DATE), base),
                (sql.rollup(sql.PERIOD_ANY), sql.rollup_slice(sql.PERIOD_ANY), base),
                (sql.attendance_gap(sql.PERIOD_ANY), sql.metric_slice(sql.PERIOD_ANY), ["attendance_gap"]),
            ]
        elif family == "capability":
            steps = [(sql.rollup(sql.PERIOD_TO_DATE), sql.rollup_slice(sql.PERIOD_TO_DATE), base)]
        elif family == "reach":
            steps = [(sql.REACH, sql.metric_slice(sql.PERIOD_TO_DATE), ["reach_rate"])]
        for statement, condition, metrics in steps:
            step_written, step_deleted = _write(cursor, statement, condition, params, metrics)
            written, deleted = written + step_written, deleted + step_deleted
        period = sql.PERIOD_ANY if family == "sessions" else sql.PERIOD_TO_DATE
        written += privacy.suppress_snapshot_rows(
            metrics=everything, period_condition=period, params=params, min_size=params["k"]
        )
    return written, deleted


# --- The run ---


def _update(run: MetricsRun, **fields) -> None:
    """A short update of its own (autocommit outside a transaction), so a page polling the run sees it at once."""
    for name, value in fields.items():
        setattr(run, name, value)
    MetricsRun.objects.filter(pk=run.pk).update(**fields)


class _Computation:
    """The reads and writes of one run, with its progress: each read and each family written is one step."""

    def __init__(self, run: MetricsRun, params: dict, organization_id: int, report: Progress | None):
        self.run, self.params, self.organization_id, self.report = run, params, organization_id, report
        self.reads = base_reads(params)
        self.steps, self.finished = len(self.reads) + len(FAMILIES), 0
        self.waiting = Counter(family for family, _, _ in self.reads)  # reads not finished yet, per family
        self.cells: dict[str, list[str]] = defaultdict(list)  # the JSON of each family's finished reads
        self.unwritten = list(FAMILIES)
        self.delay = float(os.environ.get(PHASE_DELAY_ENV) or 0)

    def execute(self) -> None:
        self._phase("read")
        # The t quantiles take scipy's import, a quarter of a second in a fresh process: loaded meanwhile.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics-t") as loader:
            self.quantiles = loader.submit(t_critical_values)
            for family, cells in base_cells(self.reads, self.organization_id):
                self.cells[family].append(cells)
                self.waiting[family] -= 1
                self._step_done()
                self._write_ready_families()
            self._write_ready_families()  # any family left

    def _phase(self, name: str) -> None:
        label = dict(PHASES)[name]
        _update(self.run, phase=label, heartbeat_at=timezone.now())
        if self.report:
            self.report(self.run.progress, label)

    def _step_done(self) -> None:
        self.finished += 1
        _update(self.run, progress=round(100 * self.finished / self.steps), heartbeat_at=timezone.now())

    def _write_ready_families(self) -> None:
        """Write, in FAMILIES order, each family whose reads have all finished (the other reads go on)."""
        while self.unwritten and not self.waiting[self.unwritten[0]]:
            family = self.unwritten.pop(0)
            self._phase(family)
            started = time.monotonic()
            params = {**self.params, "t975": self.quantiles.result()}
            written, deleted = _family(family, params, self.cells.pop(family, []))
            logger.info("metrics %s of organization %s: %.2f s", family, self.organization_id,
                        time.monotonic() - started)  # fmt: skip
            run = self.run
            _update(run, rows_written=run.rows_written + written, rows_deleted=run.rows_deleted + deleted)
            self._step_done()
            if self.delay:
                time.sleep(self.delay)


def metrics_run_execute(*, run: MetricsRun, now: datetime | None = None, report: Progress | None = None) -> MetricsRun:
    """Compute `run` (inside its organization's scope). A finished run is left as it is (a redelivered task); a run
    found running is started over, its lock showing that nobody else is computing."""
    if run.status in (MetricsRun.Status.SUCCEEDED, MetricsRun.Status.FAILED, MetricsRun.Status.SKIPPED):
        return run
    organization = Organization.objects.get(pk=require_organization_id())
    if not _try_lock(organization.pk):
        # A second message of a run being computed (a redelivery after a broker restart, a re-enqueue) must leave
        # it to the worker holding the lock; only a run that never started is skipped, and only while still queued.
        if run.status == MetricsRun.Status.QUEUED:
            MetricsRun.objects.filter(pk=run.pk, status=MetricsRun.Status.QUEUED).update(
                status=MetricsRun.Status.SKIPPED, finished_at=timezone.now(),
                error="Another computation of this organization was running.",
            )  # fmt: skip
            run.refresh_from_db()
        return run
    try:
        # `now` is what the figures are as of (tests pass a fixed one); started_at is when this run really began,
        # which the next incremental run compares with the rows' updated_at to find late changes.
        started = timezone.now()
        now = now or started
        _update(
            run, status=MetricsRun.Status.RUNNING, started_at=started, heartbeat_at=started, progress=0,
            phase=PHASES[0][1], min_group_size=organization.min_group_size, error="", rows_written=0, rows_deleted=0,
        )  # fmt: skip
        plan = plan_run(run, now, min_group_size=organization.min_group_size)
        _update(run, periods=plan.describe())
        params = _params(plan, organization)
        _Computation(run, params, organization.pk, report).execute()
        _update(run, status=MetricsRun.Status.SUCCEEDED, phase="", finished_at=timezone.now())
        if report:
            report(100, "Done")
    except Exception as error:
        logger.exception("metrics run %s failed", run.pk)
        _update(run, status=MetricsRun.Status.FAILED, finished_at=timezone.now(),
                error=f"{type(error).__name__}: {error}")  # fmt: skip
        raise
    finally:
        with contextlib.suppress(DatabaseError):  # a lost connection took the lock with it
            _unlock(organization.pk)
    return run
