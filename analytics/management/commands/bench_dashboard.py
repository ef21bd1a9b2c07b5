"""Benchmark of the HR dashboard served from snapshots: one client, in-process, against a generated organization.

Run `bench_metrics --keep` (or `--reuse`) first: its organization `bench-metrics` has 1M sessions and the ~48,000
snapshot rows their nightly computation wrote. The command signs in an HR analyst of that organization (created
once), requests each page a few times to warm up, then `--requests` times, and prints per page the median and p95
time and the number of SQL queries against the target (p95 < 100 ms, the same queries for every filter).
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.bench_org import hr_analyst
from analytics.management.commands.bench_metrics import SLUG
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from programs.models import Cohort, Program

TARGET_P95_MS = 100.0
ANALYST_EMAIL = "bench-dashboard-analyst@bench-metrics.example"


def _pages(organization: Organization) -> list[tuple[str, str, dict]]:
    with tenant_scope(organization):
        program = Program.objects.order_by("pk").first()
        cohort = Cohort.objects.filter(program=program).order_by("-starts_on").first()
    if program is None:
        raise CommandError(f"'{organization.slug}' has no program: run bench_metrics --keep first.")
    dashboard = reverse("analytics_dashboard", args=[organization.slug])
    report = reverse("analytics_report", args=[organization.slug])
    return [
        ("dashboard", dashboard, {}),
        ("dashboard, program + month", dashboard, {"program": program.pk, "period": f"{cohort.starts_on:%Y-%m}"}),
        ("dashboard, cohort", dashboard, {"cohort": cohort.pk}),
        ("impact report, program", report, {"program": program.pk}),
    ]


class Command(BaseCommand):
    help = "Time the HR dashboard and impact report pages of the metrics benchmark's organization (one client)."

    def add_arguments(self, parser):
        parser.add_argument("--organization", default=SLUG, help="Slug of the organization to measure.")
        parser.add_argument("--requests", type=int, default=30)

    def handle(self, *args, organization: str, requests: int, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization '{organization}': run `manage.py bench_metrics --keep` first.")
        client = Client(HTTP_HOST="127.0.0.1")
        with tenant_scope(org):
            analyst = hr_analyst(email=ANALYST_EMAIL, full_name="Bench Analyst")
        client.force_login(analyst.user)
        write = self.stdout.write
        write(f"Dashboard benchmark: organization '{org.slug}', {requests} requests a page, target p95 < "
              f"{TARGET_P95_MS:g} ms")  # fmt: skip
        write(f"{'page':<28} {'median':>9} {'p95':>9} {'queries':>8}  result")
        write("-" * 66)
        failed = False
        for label, path, params in _pages(org):
            for _ in range(3):  # warm-up: templates, the first connection, Python's caches
                client.get(path, params)
            timings, queries = [], set()
            for _ in range(requests):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(path, params)
                    timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{path} {params} answered {response.status_code}")
                queries.add(len(captured))
            p95 = statistics.quantiles(timings, n=20)[-1]
            ok = p95 < TARGET_P95_MS
            failed = failed or not ok
            write(f"{label:<28} {statistics.median(timings):>6.1f} ms {p95:>6.1f} ms "
                  f"{'/'.join(map(str, sorted(queries))):>8}  {'ok' if ok else 'MISSED'}")  # fmt: skip
        if failed:
            raise SystemExit(1)
