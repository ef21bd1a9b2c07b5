"""Snapshot rows written directly, for the tests of the dashboard, the exports, the report and the metrics API.

The pages only read `MetricSnapshot`, so each test states the figures it needs; the computation that produces them
is tested on its own (tests/analytics/test_metrics.py) and once end to end here (test_dashboard.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from analytics.models import MetricSnapshot
from mentorship.tenancy.models import Role
from programs.models import Program
from tests import factories

COMPUTED_AT = datetime(2026, 3, 15, 2, 0, tzinfo=UTC)
MONTHS = ("2026-01", "2026-02", "2026-03")


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


def snap(metric, *, scope=("organization", 0), period="to-date", value=50.0, group_size=10, department=0,
         dimension="", numerator=None, denominator=None, extra=None, suppression="") -> MetricSnapshot:  # fmt: skip
    """One figure (call inside the tenant's scope). Numerator and denominator default to value/100 of group size."""
    if numerator is None and denominator is None:
        numerator, denominator = round(value * group_size / 100), group_size
    return MetricSnapshot.objects.create(
        metric=metric, scope_type=scope[0], scope_id=scope[1], department_id=department, period=period,
        dimension=dimension, numerator=numerator, denominator=denominator, value=value, group_size=group_size,
        extra=extra or {}, suppression=suppression, computed_at=COMPUTED_AT,
    )  # fmt: skip


def hr_analyst(tenant, email=None):
    with tenant.scope():
        return factories.make_membership(
            factories.make_user(email or f"hr@{tenant.organization.slug}.test", "Hana HR"),
            roles=[Role.HR_ANALYST],
            department=tenant.departments[0],
        )


def program_admin(tenant, email=None):
    with tenant.scope():
        return factories.make_membership(
            factories.make_user(email or f"programs@{tenant.organization.slug}.test", "Pat Programs"),
            roles=[Role.PROGRAM_ADMIN],
        )


def full_scope(tenant, *, scope=("organization", 0), base=40.0, size=10, departments=None, skills=(), months=MONTHS):
    """Every figure one dashboard scope shows: monthly trends, the to-date cards, department participation,
    capability growth per skill and rater, and the collaboration between two departments. Values start at `base`
    so a test can tell scopes (and organizations) apart."""
    departments = departments if departments is not None else tenant.departments
    with tenant.scope():
        for offset, month in enumerate(months):
            snap("participation_rate", scope=scope, period=month, value=base + offset, group_size=size)
            snap("attendance_rate", scope=scope, period=month, value=base + 10 + offset, group_size=size)
            snap("satisfaction", scope=scope, period=month, value=4.0, group_size=size, numerator=4 * size,
                 denominator=size)  # fmt: skip
        to_date = {"participation_rate": base + 0.5, "attendance_rate": base + 10.5, "match_rate": 90.0,
                   "cross_department_share": 75.0, "at_risk_share": 20.0}  # fmt: skip
        for metric, value in to_date.items():
            snap(metric, scope=scope, value=value, group_size=size)
        snap("satisfaction", scope=scope, value=4.2, group_size=size, numerator=4.2 * size, denominator=size)
        for index, department in enumerate(departments):
            snap("participation_rate", scope=scope, value=base + 5 * index, group_size=size, department=department.pk)
        for rater in ("self", "mentor"):
            growth = {"n": size, "mean": 0.8, "ci_low": 0.3, "ci_high": 1.3, "effect_size": 0.9,
                      "improved_share": 60.0, "sum_sq": 12.0, "improved": 6}  # fmt: skip
            snap("capability_growth", scope=scope, value=0.8, group_size=size, dimension=f"rater={rater}",
                 numerator=0.8 * size, denominator=size, extra=growth)  # fmt: skip
            for skill in skills:
                snap("capability_growth", scope=scope, value=0.6, group_size=size,
                     dimension=f"rater={rater};skill={skill.pk}", numerator=0.6 * size, denominator=size,
                     extra={**growth, "mean": 0.6, "ci_low": 0.1, "ci_high": 1.1})  # fmt: skip
        if len(departments) >= 2:
            pair = f"mentor_department={departments[0].pk};mentee_department={departments[1].pk}"
            snap("collaboration_pairs", scope=scope, value=size, group_size=2 * size, dimension=pair,
                 numerator=size, denominator=None)  # fmt: skip
            snap("collaboration_pairs", scope=scope, value=size, group_size=2 * size, numerator=size,
                 denominator=None)  # fmt: skip
            snap("network_density", scope=scope, value=100.0, group_size=2 * size, numerator=1, denominator=1)


def program_with_admin(tenant, name, *, created_by):
    with tenant.scope():
        program = factories.make_program(name, created_by=created_by, status=Program.Status.RUNNING)
        cohort = factories.make_cohort(program, name=f"{name} cohort")
    return program, cohort
