"""Helpers of the analytics tests: run a computation, read the stored figures."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from analytics.compute import metrics_run_execute
from analytics.models import MetricSnapshot, MetricsRun
from tests.analytics import dataset


def compute(tenant, *, mode: str = MetricsRun.Mode.FULL, now=dataset.NOW, **fields) -> MetricsRun:
    with tenant.scope():
        run = MetricsRun.objects.create(mode=mode, **fields)
        return metrics_run_execute(run=run, now=now)


def figures(tenant) -> dict[tuple, MetricSnapshot]:
    """Every stored figure of the tenant, by (metric, scope_type, scope_id, department_id, period, dimension)."""
    with tenant.scope():
        return {
            (row.metric, row.scope_type, row.scope_id, row.department_id, row.period, row.dimension): row
            for row in MetricSnapshot.objects.all()
        }


def snapshot_rows(tenant) -> list[tuple]:
    """The stored rows as comparable tuples (everything but the id), sorted."""
    with tenant.scope():
        return sorted(
            MetricSnapshot.objects.values_list(
                "metric", "scope_type", "scope_id", "department_id", "period", "dimension", "numerator",
                "denominator", "value", "group_size", "extra", "suppression", "computed_at",
            )
        )  # fmt: skip


def row_differences(reference: list[tuple], rows: list[tuple]) -> tuple[int, int]:
    """(missing, duplicate) rows of `rows` against an uninterrupted run's `reference`, keys and values compared
    (computed_at aside): reference rows not found exactly, and rows beyond the reference (a key twice, or a row the
    reference does not have)."""

    def comparable(row: tuple) -> tuple:
        return (*row[:10], json.dumps(row[10], sort_keys=True), row[11])

    expected, found = Counter(map(comparable, reference)), Counter(map(comparable, rows))
    return sum((expected - found).values()), sum((found - expected).values())


def report_fault(fault: str, reference: list[tuple], rows: list[tuple]) -> tuple[int, int]:
    """Print the figure the fault tests are quoted by (run pytest with -s to see it)."""
    missing, duplicate = row_differences(reference, rows)
    print(f"\n[fault] {fault}: missing rows: {missing}, duplicate rows: {duplicate} ({len(reference)} rows compared)")
    return missing, duplicate


@pytest.fixture
def data(tenant_a, tenant_b):
    """The hand-computed dataset in organization A, minimum group size 2 (so that most figures are shown)."""
    tenant_a.organization.min_group_size = 2
    tenant_a.organization.save(update_fields=["min_group_size"])
    return dataset.build(tenant_a)
