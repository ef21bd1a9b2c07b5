"""Selectors: filters validated by field, figures with labels and reasons, constant queries, one organization."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from analytics import selectors
from analytics.definitions import TO_DATE
from tests import factories
from tests.analytics import dataset
from tests.analytics.conftest import compute


@pytest.fixture
def computed(data, tenant_a):
    compute(tenant_a)
    return data


def test_filters_are_checked_and_name_the_field(computed, tenant_a, tenant_b):
    other = dataset.build(tenant_b)
    with tenant_a.scope():
        for kwargs, field in (
            ({"cohort": other.cohort.pk}, "cohort"), ({"program": other.program.pk}, "program"),
            ({"department": other.departments["Legal"].pk}, "department"), ({"cohort": "abc"}, "cohort"),
        ):  # fmt: skip
            with pytest.raises(ValidationError) as error:
                selectors.scope_for(**kwargs)
            assert field in error.value.message_dict
        another_program = factories.make_program(created_by=tenant_a.admin)
        with pytest.raises(ValidationError) as error:
            selectors.scope_for(program=another_program, cohort=computed.cohort)
        assert "cohort" in error.value.message_dict
        scope = selectors.scope_for(cohort=str(computed.cohort.pk), department="")
        assert scope == selectors.Scope("cohort", computed.cohort.pk, 0, computed.program.pk)
        for kwargs, field in (
            ({"metric": "happiness"}, "metric"), ({"metric": "match_rate", "period": "2026-02"}, "period"),
            ({"metric": "participation_rate", "period": "March"}, "period"),
        ):  # fmt: skip
            with pytest.raises(ValidationError) as error:
                selectors.metric_breakdown(organization=tenant_a.organization, scope=scope, **kwargs)
            assert field in error.value.message_dict


def test_overview_figures_with_numbers_reasons_and_gap_names(computed, tenant_a, django_assert_max_num_queries):
    organization = tenant_a.organization
    with tenant_a.scope():
        with django_assert_max_num_queries(4):
            cards = selectors.metric_figures(organization=organization, scope=selectors.scope_for())
        assert cards["participation_rate"].value == 50.0 and cards["participation_rate"].shown
        assert cards["at_risk_share"].value == 50.0
        gap = cards["attendance_gap"]
        assert (gap.value, gap.extra["highest_department_name"], gap.extra["lowest_department_name"]) == (
            50.0, "Finance", "Sales",
        )  # fmt: skip
        legal = selectors.scope_for(department=computed.departments["Legal"])  # B alone
        figure = selectors.metric_figures(organization=organization, scope=legal)["participation_rate"]
        assert figure.reason == "small_group" and figure.value is None and figure.extra == {}
        month = selectors.metric_figures(organization=organization, scope=selectors.scope_for(), period="2026-02")
        assert "match_rate" not in month and month["participation_rate"].value == 33.3333


def test_an_empty_program_gives_empty_figures_not_errors(computed, tenant_a):
    with tenant_a.scope():
        empty = factories.make_program(created_by=tenant_a.admin)
        scope = selectors.scope_for(program=empty)
        cards = selectors.metric_figures(organization=tenant_a.organization, scope=scope)
        assert {figure.reason for figure in cards.values()} == {"no_data"}
        assert selectors.metric_breakdown(organization=tenant_a.organization, metric="participation_rate",
                                          scope=scope) == []  # fmt: skip
        heatmap = selectors.collaboration_heatmap(organization=tenant_a.organization, scope=scope)
        assert heatmap.departments == [] and heatmap.total.reason == "no_data"


def test_series_has_a_gap_where_nothing_was_computed(computed, tenant_a, django_assert_max_num_queries):
    with tenant_a.scope():
        scope = selectors.scope_for(cohort=computed.cohort)
        assert selectors.available_months(metric="participation_rate") == ["2026-01", "2026-02", "2026-03"]
        with django_assert_max_num_queries(3):
            months = ["2025-12", "2026-01", "2026-02", "2026-03"]
            series = selectors.metric_series(organization=tenant_a.organization, metric="participation_rate",
                                             scope=scope, months=months)  # fmt: skip
        assert [(f.period, f.value, f.reason) for f in series] == [
            ("2025-12", None, "no_data"), ("2026-01", 83.3333, ""), ("2026-02", 33.3333, ""), ("2026-03", 33.3333, ""),
        ]  # fmt: skip
        by_default = selectors.metric_series(organization=tenant_a.organization, metric="attendance_gap", scope=scope)
        assert [f.value for f in by_default] == [50.0, 0.0, 100.0]


def test_breakdowns_have_labels_in_a_stable_order(computed, tenant_a, django_assert_max_num_queries):
    organization = tenant_a.organization
    with tenant_a.scope():
        scope = selectors.scope_for(cohort=computed.cohort)
        with django_assert_max_num_queries(4):
            departments = selectors.metric_breakdown(organization=organization, metric="participation_rate",
                                                     scope=scope)  # fmt: skip
        assert [(f.label, f.value) for f in departments] == [
            ("Engineering", None),
            ("Finance", 83.3333),
            ("Legal", None),
            ("Sales", 33.3333),
        ]  # fmt: skip
        # Engineering (M1) and Legal (B) are one person each; together two people, so no third cell is hidden.
        with django_assert_max_num_queries(4):
            skills = selectors.metric_breakdown(organization=organization, metric="capability_growth", scope=scope,
                                                by="dimension")  # fmt: skip
        assert [f.label for f in skills] == [
            "All skills (Self-rated)", "Data literacy (Self-rated)", "Facilitation (Self-rated)",
            "All skills (Mentor-rated)", "Facilitation (Mentor-rated)",
        ]  # fmt: skip
        assert skills[2].extra["ci_low"] == -0.5543
        stages = selectors.metric_breakdown(organization=organization, metric="stage_progression", scope=scope,
                                            by="dimension")  # fmt: skip
        assert [f.label for f in stages][:2] == ["1. Establish trust and define goals",
                                                 "2. Identify strengths and growth areas"]  # fmt: skip
        fit = selectors.metric_breakdown(organization=organization, metric="pairing_fit", scope=scope, by="dimension")
        assert [(f.label, f.value) for f in fit] == [("Good fit", 60.0), ("Unsure", 20.0), ("Not a good fit", 20.0)]
        whole = selectors.metric_breakdown(organization=organization, metric="stage_progression", by="dimension",
                                           scope=selectors.scope_for())  # fmt: skip
        assert whole[0].label == "Stage 1"


def test_heatmap_cells_by_mentor_and_mentee_department(computed, tenant_a):
    with tenant_a.scope():
        heatmap = selectors.collaboration_heatmap(organization=tenant_a.organization,
                                                  scope=selectors.scope_for(cohort=computed.cohort))  # fmt: skip
    names = dict(heatmap.departments)
    assert sorted(names.values()) == ["Engineering", "Finance", "Legal", "Sales"]
    assert heatmap.total.value == 4
    by_name = {(names[a], names[b]): figure.value for (a, b), figure in heatmap.cells.items()}
    # Each cell holds one match: a mentor and a mentee, as many people as the minimum group size here (2).
    assert by_name == {("Engineering", "Sales"): 1, ("Engineering", "Legal"): 1, ("Finance", "Finance"): 1,
                       ("Finance", "Sales"): 1}  # fmt: skip


def test_status_reports_computed_at_and_a_run_in_progress(computed, tenant_a):
    from analytics.models import MetricsRun

    with tenant_a.scope():
        status = selectors.metrics_status(organization=tenant_a.organization)
        assert status.computed_at is not None and status.running is None and not status.pending
        MetricsRun.objects.create()
        assert selectors.metrics_status(organization=tenant_a.organization).running is not None


def test_another_organizations_figures_never_show(computed, tenant_a, tenant_b):
    dataset.build(tenant_b)
    compute(tenant_b)
    with tenant_b.scope():
        factories.make_department("Only in B")
    with tenant_a.scope():
        cards = selectors.metric_figures(organization=tenant_a.organization, scope=selectors.scope_for(),
                                         period=TO_DATE)  # fmt: skip
        assert cards["participants"].value == 6  # not 12
        assert "Only in B" not in selectors.department_names().values()
