"""The registry is the one place metrics are defined: docs/metrics.md is generated from it and must match; the
month a session counts in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command

from analytics.definitions import METRICS, PERCENT, SCOPE_TYPES, docs_markdown, parse_dimension
from analytics.sql import base_metrics
from programs.models import MentoringSession
from tests import factories

DOCS = Path(settings.BASE_DIR) / "docs" / "metrics.md"


def test_docs_are_generated_from_the_registry():
    assert DOCS.read_text() == docs_markdown(), "run manage.py metrics_docs"
    text = DOCS.read_text()
    for metric in METRICS.values():
        assert f"### `{metric.slug}`: {metric.label}" in text
        assert metric.numerator in text and metric.denominator in text
    call_command("metrics_docs", "--check")


def test_every_metric_is_fully_defined_and_computed_by_a_family():
    computed = {slug for family in ("matches", "sessions", "capability") for slug in base_metrics(family)}
    for metric in METRICS.values():
        assert metric.label and metric.unit and metric.numerator and metric.denominator and metric.group_size
        assert metric.periods and set(metric.scopes) <= set(SCOPE_TYPES)
        assert metric.slug in computed or metric.slug in ("attendance_gap", "network_density", "reach_rate")
    assert METRICS["participation_rate"].kind == PERCENT and METRICS["participation_rate"].monthly
    assert not METRICS["capability_growth"].monthly


def test_program_targets_name_registry_metrics():
    from programs.models import ProgramTarget

    assert set(ProgramTarget.Metric.values) <= set(METRICS)


def test_dimensions_parse_into_their_parts():
    assert parse_dimension("rater=self;skill=12") == {"rater": "self", "skill": "12"}
    assert parse_dimension("") == {}


@pytest.mark.django_db
def test_a_sessions_month_is_its_utc_month_and_follows_a_reschedule(tenant_a):
    # 23:30 on 28 February in New York is 04:30 on 1 March in UTC: the metrics count the session in March.
    with tenant_a.scope():
        session = factories.make_session(starts_at=datetime(2026, 2, 28, 23, 30, tzinfo=ZoneInfo("America/New_York")))
        session.refresh_from_db()
        assert session.month_index == 2026 * 12 + 3 - 1
        MentoringSession.objects.filter(pk=session.pk).update(starts_at=datetime(2025, 12, 31, 23, 59, tzinfo=UTC))
        session.refresh_from_db()
        assert session.month_index == 2025 * 12 + 12 - 1
