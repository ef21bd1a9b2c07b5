"""Helpers of the analytics tests: run a computation, read the stored figures."""

from __future__ import annotations

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


@pytest.fixture
def data(tenant_a, tenant_b):
    """The hand-computed dataset in organization A, minimum group size 2 (so that most figures are shown)."""
    tenant_a.organization.min_group_size = 2
    tenant_a.organization.save(update_fields=["min_group_size"])
    return dataset.build(tenant_a)
