"""Suppression: primary at the minimum group size (4 hidden, 5 shown), complementary so that subtraction gives
nothing back, stored by the computation and applied by the selectors."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import selectors
from analytics.privacy import COMPLEMENTARY, SMALL_GROUP, _Cell, snapshot_partitions, suppress, suppress_breakdown
from programs.models import Application, Cohort, Mentorship, MentorshipMentee, Program
from tests import factories
from tests.analytics.conftest import compute, figures


def test_a_group_of_four_is_suppressed_and_of_five_shown():
    assert suppress_breakdown({"small": 4, "big": 30, "bigger": 40}, 5) == {
        "small": SMALL_GROUP,
        "big": COMPLEMENTARY,  # the next smallest: total - bigger would give small back otherwise
    }
    assert suppress_breakdown({"small": 5, "big": 30, "bigger": 40}, 5) == {}


def test_complementary_suppression_continues_until_the_hidden_cells_hold_enough_people():
    # 1 + 2 = 3 people hidden: their sum would still describe fewer than 5; one more cell goes.
    assert suppress_breakdown({"a": 1, "b": 2, "c": 10, "d": 20}, 5) == {
        "a": SMALL_GROUP, "b": SMALL_GROUP, "c": COMPLEMENTARY,
    }  # fmt: skip
    # Two small cells that together hold enough people need no third.
    assert suppress_breakdown({"a": 3, "b": 4, "c": 10}, 5) == {"a": SMALL_GROUP, "b": SMALL_GROUP}


def test_no_complementary_suppression_without_a_shown_total_and_empty_cells_are_never_the_complement():
    assert suppress_breakdown({"a": 3, "b": 10}, 5, total_shown=False) == {"a": SMALL_GROUP}
    assert suppress_breakdown({"a": 3, "empty": 0, "b": 10}, 5) == {"a": SMALL_GROUP, "b": COMPLEMENTARY}
    assert suppress_breakdown({"a": 0, "b": 10}, 5) == {}  # nobody is not a small group


def test_interlocking_breakdowns_are_applied_until_nothing_changes():
    # A program with two cohorts, each split into two departments. Cohort 1's department 7 has 3 people: hidden,
    # with department 8 of cohort 1 as its complement; then program-level department 8 = cohort 1 + cohort 2 in
    # department 8 would give cohort 1's back, so cohort 2's department 8 goes too.
    sizes = {
        _Cell("program", 1, 0, ""): 60, _Cell("program", 1, 7, ""): 23, _Cell("program", 1, 8, ""): 37,
        _Cell("cohort", 11, 0, ""): 30, _Cell("cohort", 11, 7, ""): 3, _Cell("cohort", 11, 8, ""): 27,
        _Cell("cohort", 12, 0, ""): 30, _Cell("cohort", 12, 7, ""): 20, _Cell("cohort", 12, 8, ""): 10,
        _Cell("organization", 0, 0, ""): 60, _Cell("organization", 0, 7, ""): 23, _Cell("organization", 0, 8, ""): 37,
    }  # fmt: skip
    decided = suppress(sizes, snapshot_partitions(sizes, {11: 1, 12: 1}, dimension_partition=False), 5)
    assert decided == {
        _Cell("cohort", 11, 7, ""): SMALL_GROUP,
        _Cell("cohort", 11, 8, ""): COMPLEMENTARY,
        _Cell("cohort", 12, 7, ""): COMPLEMENTARY,  # program dept 7 = cohort 11 + cohort 12 in dept 7
        _Cell("cohort", 12, 8, ""): COMPLEMENTARY,  # and then cohort 12's total gives dept 8 back
    }


def _cohort_with_small_department(tenant, small: int):
    """A 1:1 cohort: mentees in Small (`small` of them) and Other (6), every mentor in Big."""
    with tenant.scope():
        big, small_department, other = (factories.make_department(name) for name in ("Big", "Small", "Other"))
        program = factories.make_program(created_by=tenant.admin, status=Program.Status.RUNNING)
        cohort = factories.make_cohort(program, status=Cohort.Status.ACTIVE, starts_on=date(2026, 1, 1),
                                       ends_on=date(2026, 6, 30))  # fmt: skip
        accepted = Application.Status.ACCEPTED
        for department, count in ((small_department, small), (other, 6)):
            for _ in range(count):
                mentor = factories.make_application(cohort, factories.make_membership(department=big),
                                                    role="mentor", status=accepted)  # fmt: skip
                mentee = factories.make_application(cohort, factories.make_membership(department=department),
                                                    status=accepted)  # fmt: skip
                mentorship = Mentorship.objects.create(cohort=cohort, mentor=mentor)
                MentorshipMentee.objects.create(mentorship=mentorship, mentee=mentee)
    return cohort, {"Big": big.pk, "Small": small_department.pk, "Other": other.pk}


@pytest.mark.parametrize("small, hidden", [(4, True), (5, False)])
def test_the_boundary_in_stored_rows_and_in_the_selectors(tenant_a, tenant_b, small, hidden):
    cohort, departments = _cohort_with_small_department(tenant_a, small)
    compute(tenant_a)
    rows = figures(tenant_a)
    key = ("match_rate", "cohort", cohort.pk, departments["Small"], "to-date", "")
    assert rows[key].group_size == small
    assert rows[key].suppression == ("small_group" if hidden else "")
    other = rows[("match_rate", "cohort", cohort.pk, departments["Other"], "to-date", "")]
    assert other.suppression == ("complementary" if hidden else "")  # total 100 % of 10 - Other would give Small
    with tenant_a.scope():
        scope = selectors.scope_for(cohort=cohort)
        table = {f.label: f for f in selectors.metric_breakdown(organization=tenant_a.organization,
                                                                 metric="match_rate", scope=scope)}  # fmt: skip
        assert set(table) == {"Small", "Other"}
        for name in ("Small", "Other"):
            figure = table[name]
            if hidden:
                assert (figure.value, figure.numerator, figure.denominator, figure.group_size) == (None,) * 4
                assert figure.suppressed and figure.message
            else:
                assert figure.value == 100.0 and figure.shown
        assert table["Small"].reason == ("small_group" if hidden else "")
        # The department filter shows the same decision as the table.
        alone = selectors.metric_figures(
            organization=tenant_a.organization,
            metrics=["match_rate"],
            scope=selectors.scope_for(cohort=cohort, department=departments["Other"]),
        )
        assert alone["match_rate"].suppressed is hidden


def test_a_raised_minimum_group_size_hides_everything_until_the_next_computation(data, tenant_a):
    compute(tenant_a)
    organization = tenant_a.organization
    organization.min_group_size = 3
    organization.save(update_fields=["min_group_size"])
    with tenant_a.scope():
        scope = selectors.scope_for()
        cards = selectors.metric_figures(organization=organization, scope=scope, metrics=["participation_rate"])
        assert cards["participation_rate"].reason == "pending"
        legal = selectors.scope_for(department=data.departments["Legal"])
        alone = selectors.metric_figures(organization=organization, scope=legal, metrics=["participation_rate"])
        assert alone["participation_rate"].reason == "small_group"
    compute(tenant_a)
    with tenant_a.scope():
        cards = selectors.metric_figures(organization=organization, scope=scope, metrics=["participation_rate"])
        assert cards["participation_rate"].value == 50.0
