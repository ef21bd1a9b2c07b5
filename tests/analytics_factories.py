"""Row builders of the analytics models for the contract tests (tests/factories.py imports `register`)."""

from __future__ import annotations

import itertools

from django.utils import timezone

_sequence = itertools.count(1)


def make_metric_snapshot(**fields):
    from analytics.models import MetricSnapshot

    defaults = {
        "metric": "participation_rate", "scope_type": "cohort", "scope_id": next(_sequence), "department_id": 0,
        "period": "2026-01", "numerator": 3, "denominator": 5, "value": 60.0, "group_size": 5,
        "computed_at": timezone.now(),
    }  # fmt: skip
    return MetricSnapshot.objects.create(**{**defaults, **fields})


def make_metrics_run(**fields):
    from analytics.models import MetricsRun

    return MetricsRun.objects.create(**fields)


def register(builders: dict) -> None:
    from analytics.models import MetricSnapshot, MetricsRun

    builders[MetricSnapshot] = make_metric_snapshot
    builders[MetricsRun] = make_metrics_run
