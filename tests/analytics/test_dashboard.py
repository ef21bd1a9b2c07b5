"""The HR dashboard page: what it shows, to whom, filters, empty states, suppression, recompute, query counts."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import MetricsRun
from programs.models import ProgramTarget
from tests import factories
from tests.analytics.dashboard_data import (
    COMPUTED_AT,
    full_scope,
    hr_analyst,
    program_admin,
    program_with_admin,
    snap,
    url,
)
from tests.conftest import login


def figure(response, key):
    """The plotly figure the page hands to static/js/dashboard.js for one section (its json_script)."""
    match = re.search(rf'<script id="figure-{key}" type="application/json">(.*?)</script>', response.text, re.S)
    assert match, f"no figure for {key}"
    return json.loads(match.group(1))


def test_hr_analyst_sees_cards_charts_and_tables(client, tenants):
    tenant_a, _ = tenants
    with tenant_a.scope():
        skill = factories.make_skill("Facilitation")
    full_scope(tenant_a, skills=[skill])
    login(client, hr_analyst(tenant_a))

    response = client.get(url("analytics_dashboard", tenant_a))

    assert response.status_code == 200
    text = response.text
    assert "Computed at" in text and "15 Mar 2026 02:00" in text
    for label in ("Participation rate", "Attendance rate", "Match rate", "Satisfaction", "Capability growth",
                  "Cross-department matches", "Matches at risk"):  # fmt: skip
        assert label in text
    assert "40.5 %" in text and "90.0 %" in text and "+0.80 levels" in text
    trend = figure(response, "trend-participation_rate")
    assert trend["data"][0]["x"] == ["2026-01", "2026-02", "2026-03"] and trend["data"][0]["y"] == [40, 41, 42]
    gap = figure(response, "department-gap")
    assert gap["data"][0]["x"] == ["Engineering", "Sales"] and gap["data"][0]["y"] == [40, 45]
    capability = figure(response, "capability")
    self_rated = capability["data"][0]
    assert self_rated["x"] == ["All skills", "Facilitation"] and self_rated["error_y"]["array"] == [0.5, 0.5]
    heatmap = figure(response, "collaboration")
    assert heatmap["data"][0]["y"] == ["Engineering"] and heatmap["data"][0]["x"] == ["Sales"]
    assert heatmap["data"][0]["z"] == [[10]]
    # Each chart has its table beside it, and no inline executable script is on the page.
    for key in ("trend-participation_rate", "department-gap", "capability", "collaboration"):
        assert f'id="table-{key}"' in text
    assert not re.search(r"<script(?![^>]*(type=\"application/json\"|src=))", text)
    assert "vendor/plotly.min.js" in text and "js/dashboard.js" in text


def test_trend_shows_the_programs_baseline_and_target(client, tenants):
    tenant_a, _ = tenants
    program, _cohort = program_with_admin(tenant_a, "Build Together", created_by=tenant_a.admin)
    with tenant_a.scope():
        ProgramTarget.objects.create(program=program, metric="participation_rate", baseline=35, target=60)
    full_scope(tenant_a, scope=("program", program.pk))
    login(client, tenant_a.admin)

    response = client.get(url("analytics_dashboard", tenant_a), {"program": program.pk})

    lines = {trace["name"]: trace["y"] for trace in figure(response, "trend-participation_rate")["data"]}
    assert lines["Baseline (35)"] == [35, 35] and lines["Target (60)"] == [60, 60]
    assert "baseline 35, target 60" in response.text


def test_a_plain_member_gets_403(client, tenant_a):
    full_scope(tenant_a)
    login(client, tenant_a.member)
    assert client.get(url("analytics_dashboard", tenant_a)).status_code == 403
    assert client.get(url("analytics_report", tenant_a)).status_code == 403


def test_another_organization_is_a_404(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, hr_analyst(tenant_a))
    assert client.get(url("analytics_dashboard", tenant_b)).status_code == 404


def test_only_my_organizations_figures_and_another_orgs_program_is_no_filter(client, tenants):
    tenant_a, tenant_b = tenants
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_b, base=70.0)
    program_b, cohort_b = program_with_admin(tenant_b, "Beta program", created_by=tenant_b.admin)
    full_scope(tenant_b, scope=("program", program_b.pk), base=80.0)
    login(client, hr_analyst(tenant_a))

    response = client.get(url("analytics_dashboard", tenant_a))
    assert "40.5 %" in response.text and "70.5 %" not in response.text and "Beta program" not in response.text

    for params in ({"program": program_b.pk}, {"cohort": cohort_b.pk}):
        response = client.get(url("analytics_dashboard", tenant_a), params)
        assert response.status_code == 200
        assert "Select a valid choice" in response.text and "Check the filters." in response.text
        assert "80.5 %" not in response.text and "70.5 %" not in response.text


def test_a_program_admin_sees_only_the_programs_they_created(client, tenants):
    tenant_a, _ = tenants
    admin = program_admin(tenant_a)
    own, own_cohort = program_with_admin(tenant_a, "Mine", created_by=admin)
    other, _ = program_with_admin(tenant_a, "Theirs", created_by=tenant_a.admin)
    full_scope(tenant_a, base=20.0)  # the organization: not theirs to read
    full_scope(tenant_a, scope=("program", own.pk), base=30.0)
    full_scope(tenant_a, scope=("program", other.pk), base=60.0)
    full_scope(tenant_a, scope=("cohort", own_cohort.pk), base=35.0)
    login(client, admin)

    response = client.get(url("analytics_dashboard", tenant_a))  # no filter: their newest own program
    assert response.status_code == 200
    assert "program Mine" in response.text and "30.5 %" in response.text
    assert "20.5 %" not in response.text and "Theirs" not in response.text

    response = client.get(url("analytics_dashboard", tenant_a), {"program": other.pk})
    assert "Select a valid choice" in response.text and "60.5 %" not in response.text

    response = client.get(url("analytics_dashboard", tenant_a), {"cohort": own_cohort.pk})
    assert "35.5 %" in response.text
    # Recompute is for HR analysts and org admins.
    assert "Recompute now" not in response.text
    assert client.post(url("analytics_recompute", tenant_a)).status_code == 403


def test_a_program_admin_without_programs_gets_an_explanation(client, tenant_a):
    full_scope(tenant_a)
    login(client, program_admin(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a))
    assert response.status_code == 200 and "No programs of yours yet." in response.text
    assert "50.5 %" not in response.text


@pytest.mark.parametrize(
    "params, message",
    [
        ({"program": "abc"}, "Select a valid choice"),
        ({"program": "99999999999999999999"}, "Select a valid choice"),
        ({"department": "-5"}, "Select a valid choice"),
        ({"period": "2026-13"}, "Enter a month as YYYY-MM"),
        ({"period": "'; drop table"}, "Enter a month as YYYY-MM"),
    ],
)
def test_invalid_filters_are_field_errors_never_a_500(client, tenant_a, params, message):
    full_scope(tenant_a)
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a), params)
    assert response.status_code == 200
    assert message in response.text and "Check the filters." in response.text


def test_a_cohort_of_another_program_is_a_field_error(client, tenant_a):
    first, _ = program_with_admin(tenant_a, "First", created_by=tenant_a.admin)
    _, second_cohort = program_with_admin(tenant_a, "Second", created_by=tenant_a.admin)
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a), {"program": first.pk, "cohort": second_cohort.pk})
    assert "This cohort belongs to another program." in response.text


def test_department_filter_narrows_the_cards(client, tenant_a):
    full_scope(tenant_a)
    sales = tenant_a.departments[1]
    with tenant_a.scope():
        snap("match_rate", value=33.3, group_size=9, department=sales.pk)
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a), {"department": sales.pk})
    assert "department Sales" in response.text and "33.3 %" in response.text and "90.0 %" not in response.text


def test_empty_states(client, tenant_a):
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)

    assert "No metrics computed yet." in client.get(dashboard).text

    program, _ = program_with_admin(tenant_a, "Fresh", created_by=tenant_a.admin)
    full_scope(tenant_a)
    response = client.get(dashboard, {"program": program.pk})
    assert (
        "No data for this selection yet." in response.text and "no published mentorships or sessions" in response.text
    )

    response = client.get(dashboard, {"period": "2025-06"})  # a month without figures
    assert response.status_code == 200
    assert "No data yet." in response.text and "no department has a participation figure" in response.text


def test_everything_suppressed_says_so(client, tenant_a):
    with tenant_a.scope():
        for month in ("2026-01", "2026-02"):
            snap("participation_rate", period=month, value=75.0, group_size=4, suppression="small_group")
        snap("participation_rate", value=75.0, group_size=4, suppression="small_group")
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a))
    assert "Every figure here is about a small group." in response.text
    assert "fewer than 5 people" in response.text and "75.0" not in response.text


def test_suppression_at_the_boundary_on_the_page(client, tenant_a):
    """4 people: hidden (even if computed under a lower threshold); 5 people: shown; complementary: hidden."""
    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        legal = factories.make_department("Legal")
        snap("participation_rate", value=61.0, group_size=13)
        snap("participation_rate", value=51.0, group_size=4, department=engineering.pk)  # no flag: today's rule
        snap("participation_rate", value=52.0, group_size=5, department=sales.pk)
        snap("participation_rate", value=53.0, group_size=6, department=legal.pk, suppression="complementary")
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a))
    gap = figure(response, "department-gap")["data"][0]
    assert gap["x"] == ["Engineering", "Legal", "Sales"] and gap["y"] == [None, None, 52.0]
    table = re.search(r'id="table-department-gap".*?</table>', response.text, re.S).group(0)
    assert "52.0 %" in table and table.count("fewer than 5 people") == 4  # two rates, two people counts
    assert "51.0" not in response.text and "53.0" not in response.text


def test_a_raised_minimum_group_size_hides_figures_at_once(client, tenant_a):
    with tenant_a.scope():
        snap("match_rate", value=80.0, group_size=6)
    tenant_a.organization.min_group_size = 7
    tenant_a.organization.save(update_fields=["min_group_size"])
    login(client, hr_analyst(tenant_a))
    response = client.get(url("analytics_dashboard", tenant_a))
    assert "fewer than 7 people" in response.text and "80.0 %" not in response.text


def test_recompute_now_starts_a_run_and_polls_its_progress(client, tenant_a):
    full_scope(tenant_a)
    hr = hr_analyst(tenant_a)
    login(client, hr)
    assert "Recompute now" in client.get(url("analytics_dashboard", tenant_a)).text

    response = client.post(url("analytics_recompute", tenant_a), headers={"HX-Request": "true"})

    assert response.status_code == 200
    with tenant_a.scope():
        run = MetricsRun.objects.get()
    assert (run.status, run.mode, run.requested_by_id) == (MetricsRun.Status.QUEUED, MetricsRun.Mode.FULL, hr.pk)
    assert 'hx-trigger="every 1s"' in response.text and "waiting for a worker" in response.text
    # The page shows the progress while the run is alive; a second click returns the same run.
    assert "Recompute progress" in client.get(url("analytics_dashboard", tenant_a)).text
    client.post(url("analytics_recompute", tenant_a), headers={"HX-Request": "true"})
    with tenant_a.scope():
        assert MetricsRun.objects.count() == 1
        MetricsRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.SUCCEEDED, progress=100)

    status = client.get(url("analytics_recompute_status", tenant_a), headers={"HX-Request": "true"})
    assert status.status_code == 200 and status["HX-Refresh"] == "true"
    assert "Recompute now" in status.text


def test_recompute_is_for_hr_and_org_admins_of_this_organization(client, tenants):
    tenant_a, tenant_b = tenants
    login(client, tenant_a.member)
    assert client.post(url("analytics_recompute", tenant_a)).status_code == 403
    assert client.get(url("analytics_recompute_status", tenant_a)).status_code == 403
    login(client, tenant_a.admin)
    assert client.post(url("analytics_recompute", tenant_b)).status_code == 404
    with tenant_b.scope():
        assert not MetricsRun.objects.exists()
    assert client.get(url("analytics_recompute", tenant_a)).status_code == 405


def _queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params or {}).status_code == 200
    return len(queries)


def test_the_page_runs_a_constant_number_of_queries(client, tenant_a):
    """One program with its cohort, then three, each with every figure: the same number of queries."""
    full_scope(tenant_a)
    login(client, hr_analyst(tenant_a))
    dashboard = url("analytics_dashboard", tenant_a)
    first, cohort = program_with_admin(tenant_a, "One", created_by=tenant_a.admin)
    with tenant_a.scope():
        factories.make_skill("Skill one")
    full_scope(tenant_a, scope=("program", first.pk))
    full_scope(tenant_a, scope=("cohort", cohort.pk))
    counts_one = (_queries(client, dashboard), _queries(client, dashboard, {"program": first.pk}))

    for name in ("Two", "Three"):
        program, cohort = program_with_admin(tenant_a, name, created_by=tenant_a.admin)
        with tenant_a.scope():
            skills = [factories.make_skill(f"{name} skill {n}") for n in range(3)]
            factories.make_department(f"{name} department")
        full_scope(tenant_a, scope=("program", program.pk), skills=skills)
        full_scope(tenant_a, scope=("cohort", cohort.pk), skills=skills)
    counts_three = (_queries(client, dashboard), _queries(client, dashboard, {"program": first.pk}))

    assert counts_one == counts_three
    assert counts_three[0] <= 12, counts_three


def test_a_raised_minimum_holds_every_figure_back_until_the_next_computation(client, tenant_a):
    """The complementary cells were chosen for the old threshold: nothing is shown until they are chosen again."""
    full_scope(tenant_a)
    with tenant_a.scope():
        MetricsRun.objects.create(
            status=MetricsRun.Status.SUCCEEDED, min_group_size=5, finished_at=COMPUTED_AT, started_at=COMPUTED_AT
        )
    login(client, hr_analyst(tenant_a))
    assert "40.5 %" in client.get(url("analytics_dashboard", tenant_a)).text

    tenant_a.organization.min_group_size = 6
    tenant_a.organization.save(update_fields=["min_group_size"])
    response = client.get(url("analytics_dashboard", tenant_a))
    assert "Figures held back until the next computation." in response.text and "40.5 %" not in response.text
    api = client.get(url("api_metrics", tenant_a), {"metric": "match_rate"}).json()["results"]
    assert [(f["suppressed"], f["value"]) for f in api] == [(True, None)]
    assert "next computation" in api[0]["suppressed_reason"]

    tenant_a.organization.min_group_size = 3  # lowered: the stored suppression is stricter than needed, not leaky
    tenant_a.organization.save(update_fields=["min_group_size"])
    assert "40.5 %" in client.get(url("analytics_dashboard", tenant_a)).text
