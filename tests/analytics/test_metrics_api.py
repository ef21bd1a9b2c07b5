"""GET /api/orgs/<slug>/metrics/: filters, roles, suppression, isolation, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.analytics.dashboard_data import full_scope, hr_analyst, program_admin, program_with_admin, snap, url
from tests.conftest import login


def metrics(client, tenant, **params):
    return client.get(url("api_metrics", tenant), params)


def keys(response) -> set[tuple]:
    assert response.status_code == 200, response.content
    return {(f["metric"], f["scope"], f["scope_id"], f["department"], f["period"], f["dimension"])
            for f in response.json()["results"]}  # fmt: skip


def test_filters_by_metric_scope_period_and_department(client, tenant_a):
    program, cohort = program_with_admin(tenant_a, "Build Together", created_by=tenant_a.admin)
    full_scope(tenant_a)
    full_scope(tenant_a, scope=("program", program.pk), base=30.0)
    full_scope(tenant_a, scope=("cohort", cohort.pk), base=33.0)
    login(client, hr_analyst(tenant_a))

    response = metrics(client, tenant_a, metric="participation_rate", period="2026-02")
    assert keys(response) == {("participation_rate", "organization", 0, 0, "2026-02", "")}
    figure = response.json()["results"][0]
    assert figure["value"] == 41.0 and figure["group_size"] == 10 and figure["suppressed"] is False
    assert figure["label"] == "Participation rate" and figure["unit"] == "%"

    assert keys(metrics(client, tenant_a, metric="match_rate", program=program.pk)) == {
        ("match_rate", "program", program.pk, 0, "to-date", "")
    }
    assert keys(metrics(client, tenant_a, metric="match_rate", cohort=cohort.pk)) == {
        ("match_rate", "cohort", cohort.pk, 0, "to-date", "")
    }
    assert keys(metrics(client, tenant_a, metric="match_rate", scope="cohort", program=program.pk)) == {
        ("match_rate", "cohort", cohort.pk, 0, "to-date", "")
    }
    assert keys(metrics(client, tenant_a, metric="match_rate", scope="program")) == {
        ("match_rate", "program", program.pk, 0, "to-date", "")
    }
    sales = tenant_a.departments[1]
    assert keys(metrics(client, tenant_a, metric="participation_rate", department=sales.pk, period="to-date")) == {
        ("participation_rate", "organization", 0, sales.pk, "to-date", "")
    }


def test_paired_figures_carry_their_interval_but_not_the_internal_sums(client, tenant_a):
    full_scope(tenant_a)
    login(client, tenant_a.admin)
    response = metrics(client, tenant_a, metric="capability_growth")
    extra = next(f["extra"] for f in response.json()["results"] if f["dimension"] == "rater=self")
    assert extra["ci_low"] == 0.3 and extra["ci_high"] == 1.3 and extra["effect_size"] == 0.9
    assert "sum_sq" not in extra and "improved" not in extra


@pytest.mark.parametrize(
    "params, field",
    [
        ({"metrc": "match_rate"}, "metrc"),
        ({"program_id": "1"}, "program_id"),
        ({"metric": "vanity"}, "metric"),
        ({"scope": "galaxy"}, "scope"),
        ({"program": "abc"}, "program"),
        ({"cohort": "-3"}, "cohort"),
        ({"department": "99999999999999999999999"}, "department"),
        ({"period": "2026-13"}, "period"),
        ({"period": "last week"}, "period"),
    ],
)
def test_unknown_filters_and_bad_values_are_400_naming_the_field(client, tenant_a, params, field):
    login(client, hr_analyst(tenant_a))
    response = metrics(client, tenant_a, **params)
    assert response.status_code == 400
    assert field in response.json()


def test_scope_combinations_that_make_no_sense_are_400(client, tenant_a):
    program, cohort = program_with_admin(tenant_a, "P", created_by=tenant_a.admin)
    login(client, hr_analyst(tenant_a))
    assert "scope" in metrics(client, tenant_a, scope="organization", program=program.pk).json()
    assert "scope" in metrics(client, tenant_a, scope="program", cohort=cohort.pk).json()


def test_roles(client, tenant_a):
    admin = program_admin(tenant_a)
    own, own_cohort = program_with_admin(tenant_a, "Mine", created_by=admin)
    other, other_cohort = program_with_admin(tenant_a, "Theirs", created_by=tenant_a.admin)
    full_scope(tenant_a)
    for program, cohort in ((own, own_cohort), (other, other_cohort)):
        full_scope(tenant_a, scope=("program", program.pk))
        full_scope(tenant_a, scope=("cohort", cohort.pk))

    login(client, tenant_a.member)
    assert metrics(client, tenant_a).status_code == 403

    login(client, admin)
    scopes = {(scope, scope_id) for _, scope, scope_id, *_ in keys(metrics(client, tenant_a, metric="match_rate"))}
    assert scopes == {("program", own.pk), ("cohort", own_cohort.pk)}
    assert keys(metrics(client, tenant_a, metric="match_rate", scope="cohort")) == {
        ("match_rate", "cohort", own_cohort.pk, 0, "to-date", "")
    }
    assert metrics(client, tenant_a, scope="organization").status_code == 403
    assert metrics(client, tenant_a, program=other.pk).status_code == 404
    assert metrics(client, tenant_a, cohort=other_cohort.pk).status_code == 404

    login(client, hr_analyst(tenant_a))
    assert len(keys(metrics(client, tenant_a, metric="match_rate", scope="program"))) == 2


def test_isolation(client, tenants):
    tenant_a, tenant_b = tenants
    full_scope(tenant_a, base=40.0)
    full_scope(tenant_b, base=70.0)
    program_b, cohort_b = program_with_admin(tenant_b, "Beta", created_by=tenant_b.admin)
    full_scope(tenant_b, scope=("program", program_b.pk), base=80.0)
    login(client, hr_analyst(tenant_a))

    values = {f["value"] for f in metrics(client, tenant_a, metric="participation_rate").json()["results"]}
    assert 40.5 in values and 70.5 not in values
    assert metrics(client, tenant_b).status_code == 404
    assert metrics(client, tenant_a, program=program_b.pk).status_code == 404
    assert metrics(client, tenant_a, cohort=cohort_b.pk).status_code == 404
    assert metrics(client, tenant_a, department=tenant_b.departments[0].pk).status_code == 404
    assert keys(metrics(client, tenant_a, scope="program")) == set()


def test_suppression_at_the_boundary(client, tenant_a):
    engineering, sales = tenant_a.departments
    with tenant_a.scope():
        legal = factories.make_department("Legal")
        snap("participation_rate", value=61.0, group_size=15)
        snap("participation_rate", value=51.0, group_size=4, department=engineering.pk)
        snap("participation_rate", value=52.0, group_size=5, department=sales.pk)
        snap("participation_rate", value=53.0, group_size=6, department=legal.pk, suppression="complementary")
        snap("capability_growth", value=0.5, group_size=3, dimension="rater=self",
             extra={"ci_low": 0.1, "ci_high": 0.9, "sum_sq": 2}, suppression="small_group")  # fmt: skip
    login(client, hr_analyst(tenant_a))

    by_department = {}
    for department in (engineering.pk, sales.pk, legal.pk):
        (figure,) = metrics(client, tenant_a, department=department).json()["results"]
        by_department[department] = figure
    for department in (engineering.pk, legal.pk):
        figure = by_department[department]
        assert figure["suppressed"] is True and figure["suppressed_reason"] == "fewer than 5 people"
        assert [figure[k] for k in ("value", "numerator", "denominator", "group_size")] == [None] * 4
    assert by_department[sales.pk]["value"] == 52.0 and by_department[sales.pk]["group_size"] == 5
    (growth,) = metrics(client, tenant_a, metric="capability_growth").json()["results"]
    assert growth["suppressed"] is True and growth["extra"] == {} and growth["value"] is None


def test_a_constant_number_of_queries(client, tenant_a):
    """One program with its cohort, then three: the same number of queries."""
    login(client, hr_analyst(tenant_a))
    counts = []
    for name in ("One", "Two", "Three"):
        program, cohort = program_with_admin(tenant_a, name, created_by=tenant_a.admin)
        full_scope(tenant_a, scope=("program", program.pk))
        full_scope(tenant_a, scope=("cohort", cohort.pk))
        with CaptureQueriesContext(connection) as queries:
            response = metrics(client, tenant_a, scope="program")
        assert response.status_code == 200 and response.json()["count"] > 0
        counts.append(len(queries))
    assert len(set(counts)) == 1 and counts[0] <= 10, counts
