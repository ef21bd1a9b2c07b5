"""The dashboard is served from snapshots: with two years of figures for 12 departments, 3 programs and 6 cohorts
(about 17,000 rows) a page takes a fixed, small number of queries and well under the 100 ms target.

The bound asserted is looser than the target (the test machine is shared with other suites); the figures measured
are printed with `-s`."""

from __future__ import annotations

import gc
import statistics
import time

from analytics.definitions import METRICS, MONTH, TO_DATE
from analytics.models import MetricSnapshot
from tests import factories
from tests.analytics.dashboard_data import COMPUTED_AT, hr_analyst, program_with_admin, url
from tests.conftest import login

MONTHS = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]


def _rows(organization, scope, departments):
    for metric in METRICS.values():
        periods = ([*MONTHS] if MONTH in metric.periods else []) + ([TO_DATE] if TO_DATE in metric.periods else [])
        for period in periods:
            for department in [0, *departments] if metric.departments else [0]:
                yield MetricSnapshot(
                    organization=organization, metric=metric.slug, scope_type=scope[0], scope_id=scope[1],
                    department_id=department, period=period,
                    dimension="rater=self" if metric.slug == "capability_growth" else "",
                    numerator=7, denominator=10, value=70.0, group_size=10, computed_at=COMPUTED_AT,
                )  # fmt: skip


def test_dashboard_pages_are_fast_on_two_years_of_figures(client, tenant_a):
    scopes = [("organization", 0)]
    programs = []
    for name in ("One", "Two", "Three"):
        program, cohort = program_with_admin(tenant_a, name, created_by=tenant_a.admin)
        with tenant_a.scope():
            second = factories.make_cohort(program, name=f"{name} autumn")
        programs.append(program)
        scopes += [("program", program.pk), ("cohort", cohort.pk), ("cohort", second.pk)]
    with tenant_a.scope():
        departments = [d.pk for d in tenant_a.departments] + [factories.make_department().pk for _ in range(10)]
        rows = [row for scope in scopes for row in _rows(tenant_a.organization, scope, departments)]
        MetricSnapshot.objects.bulk_create(rows, batch_size=5000)
    assert len(rows) > 15_000
    del rows  # 17,000 live model instances would slow the garbage collector, not the pages
    login(client, hr_analyst(tenant_a))
    pages = [
        (url("analytics_dashboard", tenant_a), {}),
        (url("analytics_dashboard", tenant_a), {"program": programs[1].pk, "period": "2025-06"}),
        (url("analytics_report", tenant_a), {"program": programs[0].pk}),
    ]
    for path, params in pages:
        assert client.get(path, params).status_code == 200  # warm-up
        gc.collect()  # the test's own setup left garbage whose collection would land in one of the timed requests
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{path} {params}: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms")
        assert p95 < 300, timings
