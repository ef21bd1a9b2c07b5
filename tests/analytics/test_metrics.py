"""Every metric against the hand-computed dataset of tests/analytics/dataset.py (its docstring lists the data).

People per department: Engineering M1 (mentor of X) and D (unmatched mentee); Sales A, G; Legal B; Finance M2
(mentor of Y), C. Participants: M1, A, B (X) and M2, C, G (Y) = 6. NOW is 15 March 2026; the minimum group size is
2 (the `data` fixture), so that most figures are shown.
"""

from __future__ import annotations

import inspect

import pytest

from analytics import sql
from analytics.models import MetricsRun
from tests.analytics.conftest import compute, figures


@pytest.fixture
def computed(data, tenant_a):
    run = compute(tenant_a)
    assert run.status == MetricsRun.Status.SUCCEEDED, run.error
    return figures(tenant_a)


def cohort(computed, data, metric, period="to-date", dimension="", department=None):
    department_id = data.departments[department].pk if department else 0
    return computed[(metric, "cohort", data.cohort.pk, department_id, period, dimension)]


def numbers(row):
    return (row.numerator, row.denominator, row.value, row.group_size)


def test_enrollment_match_rate_and_participants(computed, data):
    # 5 accepted mentees (A, B, C, G, D) for 10 seats; 4 of them matched; 6 participants.
    assert numbers(cohort(computed, data, "enrollment_rate")) == (5, 10, 50.0, 5)
    assert numbers(cohort(computed, data, "match_rate")) == (4, 5, 80.0, 5)
    assert numbers(cohort(computed, data, "match_rate", department="Engineering")) == (0, 1, 0.0, 1)  # D
    assert numbers(cohort(computed, data, "match_rate", department="Sales")) == (2, 2, 100.0, 2)  # A, G
    assert cohort(computed, data, "participants").value == 6
    assert cohort(computed, data, "participants", department="Finance").value == 2  # M2, C


def test_participation_rate_per_month_to_date_and_department(computed, data):
    # January: everyone attended something but G (absent from s5, the only session Y held) -> 5 of 6.
    assert numbers(cohort(computed, data, "participation_rate", "2026-01")) == (5, 6, 83.3333, 6)
    # February: X held nothing (s3 missed), Y held s7: M2 and G attended -> 2 of 6.
    assert numbers(cohort(computed, data, "participation_rate", "2026-02")) == (2, 6, 33.3333, 6)
    # March: s8 with M2 and C -> 2 of 6.
    assert numbers(cohort(computed, data, "participation_rate", "2026-03")) == (2, 6, 33.3333, 6)
    # To date: participant-months with an attended session 5 + 2 + 2 = 9 of 18.
    assert numbers(cohort(computed, data, "participation_rate")) == (9, 18, 50.0, 6)
    # Sales (A, G): January A only -> 1 of 2; February G -> 1 of 2; March nobody -> 0 of 2; to date 2 of 6.
    assert numbers(cohort(computed, data, "participation_rate", "2026-01", department="Sales")) == (1, 2, 50.0, 2)
    assert numbers(cohort(computed, data, "participation_rate", "2026-03", department="Sales")) == (0, 2, 0.0, 2)
    assert numbers(cohort(computed, data, "participation_rate", department="Sales")) == (2, 6, 33.3333, 2)
    # Finance (M2, C): January 2 of 2, February M2 -> 1 of 2, March 2 of 2: to date 5 of 6.
    assert numbers(cohort(computed, data, "participation_rate", department="Finance")) == (5, 6, 83.3333, 2)
    # Nothing before the cohort, nothing after NOW.
    assert ("participation_rate", "cohort", data.cohort.pk, 0, "2025-12", "") not in computed
    assert ("participation_rate", "cohort", data.cohort.pk, 0, "2026-04", "") not in computed


def test_attendance_rate_counts_missed_sessions_but_not_cancelled_or_future_ones(computed, data):
    # January: s1 3 expected / 2 attended, s2 3 / 3, s5 3 / 2 -> 7 of 9.
    assert numbers(cohort(computed, data, "attendance_rate", "2026-01")) == (7, 9, 77.7778, 6)
    # February: s3 (missed) 3 / 0, s6 cancelled (not counted), s7 3 / 2 -> 2 of 6.
    assert numbers(cohort(computed, data, "attendance_rate", "2026-02")) == (2, 6, 33.3333, 6)
    # March: s8 3 / 2; s4 is after NOW -> 2 of 3 (only Y's people expected a session).
    assert numbers(cohort(computed, data, "attendance_rate", "2026-03")) == (2, 3, 66.6667, 3)
    assert numbers(cohort(computed, data, "attendance_rate")) == (11, 18, 61.1111, 6)


def test_attendance_gap_compares_departments_with_enough_people(computed, data):
    # Departments with at least 2 active participants: Sales and Finance (Engineering and Legal have 1 each).
    # January Finance 100 - Sales 50; February 50 - 50; March Finance 100 - Sales 0; to date 83.3333 - 33.3333.
    for period, value in (("2026-01", 50.0), ("2026-02", 0.0), ("2026-03", 100.0), ("to-date", 50.0)):
        assert cohort(computed, data, "attendance_gap", period).value == value
    gap = cohort(computed, data, "attendance_gap")
    assert gap.group_size == 4
    assert gap.extra["departments"] == 2
    assert gap.extra["highest_department"] == data.departments["Finance"].pk
    assert gap.extra["lowest_department"] == data.departments["Sales"].pk
    assert (gap.numerator, gap.denominator) == (83.3333, 33.3333)


def test_cadence_adherence_judges_completed_months_only(computed, data):
    # Two sessions a month: in January X held 2 (M1, A, B met it), Y held 1; in February X 0, Y 1.
    assert numbers(cohort(computed, data, "cadence_adherence", "2026-01")) == (3, 6, 50.0, 6)
    assert numbers(cohort(computed, data, "cadence_adherence", "2026-02")) == (0, 6, 0.0, 6)
    assert ("cadence_adherence", "cohort", data.cohort.pk, 0, "2026-03", "") not in computed  # not over yet
    assert numbers(cohort(computed, data, "cadence_adherence")) == (3, 12, 25.0, 6)


def test_satisfaction_and_pairing_fit(computed, data):
    # January ratings 4 + 5 + 4 + 2 = 15 from 4 people; February 3 + 5 = 8 from 2; to date 23 / 6.
    assert numbers(cohort(computed, data, "satisfaction", "2026-01")) == (15, 4, 3.75, 4)
    assert numbers(cohort(computed, data, "satisfaction", "2026-02")) == (8, 2, 4.0, 2)
    satisfaction = cohort(computed, data, "satisfaction")
    assert (satisfaction.numerator, satisfaction.denominator, satisfaction.value) == (23, 6, 3.8333)
    # Pairing fit, 5 answers to date: good 3 (M1, A, G), unsure 1 (B), not a good fit 1 (C).
    assert numbers(cohort(computed, data, "pairing_fit", dimension="fit=good"))[:3] == (3, 5, 60.0)
    assert numbers(cohort(computed, data, "pairing_fit", dimension="fit=unsure"))[:3] == (1, 5, 20.0)
    assert numbers(cohort(computed, data, "pairing_fit", dimension="fit=not_good"))[:3] == (1, 5, 20.0)
    assert numbers(cohort(computed, data, "pairing_fit", "2026-01", dimension="fit=good")) == (2, 4, 50.0, 4)


def test_stage_progression_and_goal_completion(computed, data):
    # Four matches (A-X, B-X, C-Y, G-Y). X reached stage 2, Y stage 1.
    assert numbers(cohort(computed, data, "stage_progression", dimension="stage=1")) == (4, 4, 100.0, 4)
    assert numbers(cohort(computed, data, "stage_progression", dimension="stage=2")) == (2, 4, 50.0, 4)
    assert cohort(computed, data, "stage_progression", dimension="stage=3").value == 0.0
    assert cohort(computed, data, "stage_progression", dimension="stage=4").value == 0.0
    # Goals: A achieved + in progress, B dropped (left out), C achieved, G not started -> 2 of 4, 3 mentees.
    assert numbers(cohort(computed, data, "goal_completion")) == (2, 4, 50.0, 3)


def test_capability_growth_per_skill_with_interval_and_effect_size(computed, data):
    facilitation = data.skills["Facilitation"].pk
    literacy = data.skills["Data literacy"].pk
    # Self-rated Facilitation: A +2, B +1, C 0, G +3 -> mean 1.5, sd sqrt(5/3) = 1.2910, t(3) = 3.182446,
    # 95% CI 1.5 -+ 3.182446 * 1.2910 / 2 = [-0.5543, 3.5543], d = 1.5 / 1.2910 = 1.1619, 3 of 4 improved.
    row = cohort(computed, data, "capability_growth", dimension=f"rater=self;skill={facilitation}")
    assert numbers(row) == (6, 4, 1.5, 4)
    assert {key: row.extra[key] for key in ("n", "sd", "ci_low", "ci_high", "effect_size", "improved_share")} == {
        "n": 4, "sd": 1.291, "ci_low": -0.5543, "ci_high": 3.5543, "effect_size": 1.1619, "improved_share": 75.0,
    }  # fmt: skip
    assert (row.extra["before_mean"], row.extra["after_mean"]) == (2.0, 3.5)
    # Self-rated Data literacy: A 0, B +2, G +1 (C has no final) -> mean 1, sd 1, t(2) = 4.302653 -> +-2.4841.
    row = cohort(computed, data, "capability_growth", dimension=f"rater=self;skill={literacy}")
    assert numbers(row) == (3, 3, 1.0, 3)
    assert (row.extra["ci_low"], row.extra["ci_high"], row.extra["effect_size"]) == (-1.4841, 3.4841, 1.0)
    assert row.extra["improved_share"] == 66.6667
    # All skills, self-rated: each mentee's mean growth A 1, B 1.5, C 0, G 2 -> mean 1.125; 3 of 4 >= 1 level.
    row = cohort(computed, data, "capability_growth", dimension="rater=self")
    assert numbers(row) == (4.5, 4, 1.125, 4)
    assert row.extra["improved_share"] == 75.0
    # Mentor-rated Facilitation: A +1, B 0 -> mean 0.5, sd 0.7071, t(1) = 12.706205 -> +-6.3531.
    row = cohort(computed, data, "capability_growth", dimension=f"rater=mentor;skill={facilitation}")
    assert numbers(row) == (1, 2, 0.5, 2)
    assert (row.extra["ci_low"], row.extra["ci_high"]) == (-5.8531, 6.8531)
    # A figure of one person has no spread.
    one = computed[("capability_growth", "organization", 0, data.departments["Legal"].pk, "to-date",
                    f"rater=self;skill={facilitation}")]  # fmt: skip
    assert (one.value, one.extra["sd"], one.extra["ci_low"]) == (1.0, None, None)


def test_pulse_change(computed, data):
    # M1 2 -> 5 colleagues, 3 -> 4 trust; A 1 -> 2, 2 -> 2; G answered the start only.
    colleagues = cohort(computed, data, "pulse_change", dimension="question=colleagues")
    assert numbers(colleagues) == (4, 2, 2.0, 2)
    assert colleagues.extra["improved_share"] == 100.0
    trust = cohort(computed, data, "pulse_change", dimension="question=trust")
    assert numbers(trust) == (1, 2, 0.5, 2)
    assert trust.extra["improved_share"] == 50.0


def test_collaboration_cross_department_share_heatmap_and_density(computed, data):
    departments = {name: department.pk for name, department in data.departments.items()}
    # Matches: A (Sales) and B (Legal) with M1 (Engineering), C (Finance) and G (Sales) with M2 (Finance).
    assert numbers(cohort(computed, data, "cross_department_share")) == (3, 4, 75.0, 4)
    assert cohort(computed, data, "cross_department_share", department="Finance").value == 0.0  # C with M2
    cells = {
        dimension: row.value
        for (metric, scope_type, _scope_id, _department, _period, dimension), row in computed.items()
        if metric == "collaboration_pairs" and scope_type == "cohort"
    }
    pair = "mentor_department={};mentee_department={}".format
    assert cells == {
        "": 4,
        pair(departments["Engineering"], departments["Sales"]): 1,
        pair(departments["Engineering"], departments["Legal"]): 1,
        pair(departments["Finance"], departments["Finance"]): 1,
        pair(departments["Finance"], departments["Sales"]): 1,
    }
    assert cohort(computed, data, "collaboration_pairs").group_size == 6  # 4 mentees and 2 mentors
    # Four departments linked by active matches: 6 possible pairs, 3 linked (Engineering-Sales, Engineering-Legal,
    # Finance-Sales; Finance-Finance is not a pair of departments).
    density = cohort(computed, data, "network_density")
    assert numbers(density) == (3, 6, 50.0, 6)
    assert density.extra == {"departments": 4}


def test_at_risk_matches(computed, data):
    # Twice the cadence is 30 days: X last held a session on 24 January (at risk), Y on 2 March.
    assert numbers(cohort(computed, data, "at_risk_share")) == (2, 4, 50.0, 4)
    assert cohort(computed, data, "at_risk_share", department="Legal").value == 100.0  # B in X


def test_reach_over_the_organization_and_its_departments(computed, data, tenant_a):
    # Ten active members (the fixture's admin and member, and M1, A, B, M2, C, G, D, E); seven have an accepted
    # enrollment in the cohort (E was declined).
    reach = computed[("reach_rate", "organization", 0, 0, "to-date", "")]
    assert numbers(reach) == (7, 10, 70.0, 10)
    no_department = computed[("reach_rate", "organization", 0, -1, "to-date", "")]
    assert numbers(no_department) == (0, 1, 0.0, 1)  # E
    assert not [key for key in computed if key[0] == "reach_rate" and key[1] != "organization"]


def test_program_and_organization_roll_up_the_cohort(computed, data):
    for metric, period, dimension in (
        ("participation_rate", "2026-02", ""), ("attendance_rate", "to-date", ""), ("satisfaction", "to-date", ""),
        ("capability_growth", "to-date", "rater=self"), ("stage_progression", "to-date", "stage=2"),
    ):  # fmt: skip
        scopes = (("cohort", data.cohort.pk), ("program", data.program.pk), ("organization", 0))
        rows = [computed[(metric, scope, scope_id, 0, period, dimension)] for scope, scope_id in scopes]
        assert len({numbers(row) for row in rows}) == 1, metric
    # Departments add up to the whole: Sales + Legal + Finance + Engineering participants.
    parts = [cohort(computed, data, "participation_rate", "2026-01", department=name).denominator
             for name in ("Engineering", "Sales", "Legal", "Finance")]  # fmt: skip
    assert sum(parts) == cohort(computed, data, "participation_rate", "2026-01").denominator


def test_private_notes_feed_no_metric():
    source = inspect.getsource(sql)
    assert "privatenote" not in source.lower()
    assert "shared_notes" not in source and "reflection" not in source
