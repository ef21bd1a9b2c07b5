"""End to end: a small cohort built with the factories, the real computation (analytics/compute.py), then the page,
the CSV, the XLSX and the API read the figures it wrote. Four people are too few (minimum group size 5), five are
enough."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from analytics.compute import metrics_run_execute
from analytics.models import MetricsRun
from programs.models import Cohort, MentorshipMentee, Program, SessionAttendance
from tests import factories
from tests.analytics.dashboard_data import hr_analyst, url
from tests.conftest import login

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def cohort_with_one_group(tenant, *, mentees: int) -> Cohort:
    """A running cohort (January to June 2026) with one published group: a mentor and `mentees` mentees, who all
    attend one held session in February; then the metrics are computed as of NOW."""
    with tenant.scope():
        program = factories.make_program("Grow Together", created_by=tenant.admin, status=Program.Status.RUNNING)
        cohort = factories.make_cohort(
            program, status=Cohort.Status.ACTIVE, name="Spring", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30),
            enrollment_opens_on=date(2025, 11, 1), enrollment_closes_on=date(2025, 12, 1),
        )  # fmt: skip
        mentorship = factories.make_pair(cohort, mentees=mentees)
        type(mentorship).objects.filter(pk=mentorship.pk).update(created_at=datetime(2026, 1, 5, tzinfo=UTC))
        session = factories.make_session(mentorship, starts_at=datetime(2026, 2, 10, 10, tzinfo=UTC))
        people = [(mentorship.mentor.membership, "mentor")] + [
            (link.mentee.membership, "mentee")
            for link in MentorshipMentee.objects.filter(mentorship=mentorship).select_related("mentee__membership")
        ]
        for membership, role in people:
            SessionAttendance.objects.create(session=session, membership=membership, role=role, attended=True)
        run = metrics_run_execute(run=MetricsRun.objects.create(mode=MetricsRun.Mode.FULL), now=NOW)
        assert run.status == MetricsRun.Status.SUCCEEDED, run.error
    return cohort


@pytest.mark.parametrize("mentees, shown", [(3, False), (4, True)])
def test_four_people_are_suppressed_five_are_shown_everywhere(client, tenant_a, mentees, shown):
    cohort = cohort_with_one_group(tenant_a, mentees=mentees)
    login(client, hr_analyst(tenant_a))
    params = {"cohort": cohort.pk}

    page = client.get(url("analytics_dashboard", tenant_a), params)
    card = page.text.split('id="card-participation_rate"', 1)[1].split("</div>", 1)[0]
    # To date: 5 participant-months with an attended session out of 15 (January to March, five people).
    assert ("33.3 %" in card) is shown and ("fewer than 5 people" in card) is not shown

    as_csv = client.get(url("analytics_export", tenant_a, table="overview", fmt="csv"), params)
    rows = {row[0]: row[1] for row in csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")))}
    assert rows["Participation rate"] == ("33.3333" if shown else "fewer than 5 people")

    as_xlsx = client.get(url("analytics_export", tenant_a, table="overview", fmt="xlsx"), params)
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
    rows = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert rows["Participation rate"] == (33.3333 if shown else "fewer than 5 people")

    api = client.get(url("api_metrics", tenant_a), {**params, "metric": "participation_rate", "period": "to-date"})
    (figure,) = api.json()["results"]
    assert figure["group_size"] == (5 if shown else None) and figure["suppressed"] is not shown
    assert figure["value"] == (33.3333 if shown else None)


def test_the_computed_trend_and_collaboration_reach_the_page(client, tenant_a):
    cohort = cohort_with_one_group(tenant_a, mentees=4)
    login(client, tenant_a.admin)
    page = client.get(url("analytics_dashboard", tenant_a), {"cohort": cohort.pk})
    assert page.status_code == 200
    assert 'data-chart="figure-trend-participation_rate"' in page.text
    assert "Computed at" in page.text and "Not computed yet" not in page.text
    # February has the session: the trend table has that month with 100 %.
    table = page.text.split('id="table-trend-participation_rate"', 1)[1].split("</table>", 1)[0]
    assert "2026-02" in table and "100.0 %" in table
