"""manage.py loadtest, small: gunicorn and locust for real on loopback against a generated organization of 2,000
sessions; every scenario gets answers and none is an error, and the sessions logged are rows of that organization."""

from __future__ import annotations

import os

import dj_database_url
import psycopg2
import pytest
from django.db import connection

from analytics.loadtest import seed
from analytics.loadtest.run import SCENARIOS, Options, loadtest_run, report_lines
from analytics.models import MetricSnapshot
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope
from programs.models import MentoringSession

pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True)]


def analyze_as_owner():
    """Statistics for the generated rows, as the tables' owner (the app role may not ANALYZE; without them the
    metrics computation plans nested loops over every table, minutes instead of a second)."""
    owner = dj_database_url.parse(os.environ["DATABASE_URL"])
    database = connection.settings_dict
    with psycopg2.connect(dbname=database["NAME"], user=owner["USER"], password=owner["PASSWORD"],
                          host=database["HOST"], port=database["PORT"] or None) as owner_connection:  # fmt: skip
        owner_connection.cursor().execute("ANALYZE")
    owner_connection.close()


def test_a_small_load_test_answers_every_scenario_without_errors(tenant_a):
    progress = []
    seed.organization_prepare(sessions=2_000, reuse=False, wait_for_statistics=False, write=progress.append)
    analyze_as_owner()
    options = Options(sessions=2_000, rps=6, duration=5, warmup=1, workers=2, pairs=4, production=False, reuse=True,
                      wait_for_statistics=False)  # fmt: skip
    report = loadtest_run(options, progress.append)

    for name in SCENARIOS:
        row = report.endpoint(name)
        assert row["requests"] > 0, f"{name} got no response"
        assert row["failures"] == 0, report.errors
        assert 0 < row["p50"] <= row["p95"] <= row["p99"]  # locust's own (rounded) percentiles
    assert report.errors == []
    assert report.server_cpu_ms > 0 and report.database_cpu_ms > 0  # measured from /proc of the real processes
    table = report_lines(report)
    assert [line.split()[0] for line in table[2:5]] == ["log", "workspace", "HR"]
    assert table[-1].startswith(("PASS", "FAIL"))  # the timing target is not asserted on a shared CI machine

    organization = Organization.objects.get(slug=seed.SLUG)
    with tenant_scope(organization):
        assert MetricSnapshot.objects.exists()  # the dashboard read computed figures
        logged = MentoringSession.objects.filter(topics=seed.TOPICS_MARKER)
        # The warm-up logs sessions too; each one is in a mentorship of the pool, logged by its mentor.
        assert logged.count() >= report.endpoint("log session (API)")["requests"]
        rows = logged.select_related("mentorship__mentor")
        assert all(session.logged_by_id == session.mentorship.mentor.membership_id for session in rows)
    with tenant_scope(tenant_a.organization):
        assert not MentoringSession.objects.exists()  # nothing reached the other organization

    seed.organization_prepare(sessions=2_000, reuse=True, wait_for_statistics=False, write=progress.append)
    with tenant_scope(organization):
        assert not MentoringSession.objects.filter(topics=seed.TOPICS_MARKER).exists()  # a rerun starts clean
        assert MentoringSession.objects.count() == 2_400
