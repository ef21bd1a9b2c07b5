"""Match runs on real PostgreSQL: optimal proposals, hard rules, capacity, reasons, re-runs around decisions,
stale runs, bad input, isolation, constant queries, and a real Celery worker."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from matching import services, tasks
from matching.access import access_proposal_by_id, access_run_by_id
from matching.algorithms import FACTORS
from matching.models import MatchProposal, MatchRun, UnmatchedMentee
from mentorship.tenancy.models import Membership
from programs.models import Application, ApplicationSkill, Program
from tests import factories
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)

SKILLS_ONLY = {name: (1.0 if name == "skills" else 0.0) for name in FACTORS}
MENTEE, MENTOR = Application.Role.MENTEE, Application.Role.MENTOR


def person(*, department=None, manager=None, languages=("en",), job_title="") -> Membership:
    return factories.make_membership(
        department=department, manager=manager, languages=list(languages), job_title=job_title
    )


def apply(cohort, membership, role, skills, *, capacity=None, languages=(), **fields) -> Application:
    """skills: {skill: level} for mentors, {skill: (level, target)} for mentees."""
    application = factories.make_application(
        cohort,
        membership,
        role=role,
        capacity=capacity,
        languages=list(languages),
        **{"status": Application.Status.ACCEPTED, **fields},
    )
    for skill, spec in skills.items():
        level, target = spec if isinstance(spec, tuple) else (spec, None)
        ApplicationSkill.objects.create(application=application, skill=skill, level=level, target_level=target)
    return application


def new_cohort(**program_fields):
    program = factories.make_program(status=Program.Status.OPEN, **program_fields)
    return factories.make_cohort(program)


def run_now(cohort, started_by=None, **options) -> MatchRun:
    run = services.match_run_start(cohort=cohort, started_by=started_by, **options)
    run = MatchRun.objects.select_related("cohort__program").get(pk=run.pk)
    return services.match_run_execute(run=run)


def pairs(run) -> dict[int, int]:
    return dict(MatchProposal.objects.filter(run=run).values_list("mentee_id", "mentor_id"))


def unmatched(run) -> dict[int, UnmatchedMentee]:
    return {u.mentee_id: u for u in UnmatchedMentee.objects.filter(run=run)}


# --- Optimality ---


def test_small_cohort_gets_the_optimal_matches_and_the_summary_compares_with_greedy(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a, b = factories.make_skill("Architecture"), factories.make_skill("Budgeting")
        cohort = new_cohort()
        # Skills-only scores (covered wanted levels / wanted levels):
        #   m1 wants A 1->3:        x (A at 3) covers 2/2 = 1.0,  y (A at 2) covers 1/2 = 0.5
        #   m2 wants B 1->4:        x (B at 3) covers 2/3 = 0.667, y offers no B: not a candidate
        # Greedy takes m1-x (1.0) first and leaves m2 alone: 1 matched, total 1.0.
        # Optimal: m1-y + m2-x = 0.5 + 0.667 = 1.167, both matched.
        m1 = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        m2 = apply(cohort, person(department=sales), MENTEE, {b: (1, 4)})
        x = apply(cohort, person(department=engineering), MENTOR, {a: 3, b: 3}, capacity=1)
        y = apply(cohort, person(department=engineering), MENTOR, {a: 2}, capacity=1)
        run = run_now(cohort, tenant_a.admin, weights=SKILLS_ONLY)

        assert run.status == MatchRun.Status.DONE and run.progress == 100
        assert pairs(run) == {m1.pk: y.pk, m2.pk: x.pk}
        scores = dict(MatchProposal.objects.filter(run=run).values_list("mentee_id", "score"))
        assert scores[m1.pk] == pytest.approx(0.5) and scores[m2.pk] == pytest.approx(2 / 3)
        proposal = MatchProposal.objects.get(run=run, mentee=m2)
        assert proposal.factors["skills"] == pytest.approx(0.6667) and proposal.state == "proposed"
        assert sum(proposal.factors.values()) == pytest.approx(proposal.score, abs=1e-3)
        summary = MatchRun.objects.get(pk=run.pk).summary
        assert (summary["mentees"], summary["mentors"], summary["matched"], summary["matched_pct"]) == (2, 2, 2, 100.0)
        assert summary["mean_score"] == pytest.approx((0.5 + 2 / 3) / 2, abs=1e-4)
        assert summary["cross_department_share"] == 100.0 and summary["departments_covered"] == 2
        assert summary["greedy"]["matched"] == 1 and summary["greedy"]["total_score"] == pytest.approx(1.0)
        assert summary["gain"]["matched"] == 1
        assert run.weights == SKILLS_ONLY and run.started_by == tenant_a.admin
        assert "Matched 2 of 2" in summary["message"] and summary["problem"] == ""


def test_coverage_objective_is_stored_and_used(tenant_a):
    with tenant_a.scope():
        a = factories.make_skill()
        engineering, sales = tenant_a.departments
        cohort = new_cohort()
        apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        apply(cohort, person(department=engineering), MENTOR, {a: 4})
        run = run_now(cohort, objective="coverage")
        assert run.objective == "coverage" and run.summary["matched"] == 1
        with pytest.raises(ValidationError) as error:
            services.match_run_start(cohort=cohort, started_by=None, objective="fastest")
        assert "objective" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.match_run_start(cohort=cohort, started_by=None, weights={"charisma": 1})
        assert "weights" in error.value.message_dict


# --- Hard rules, capacity, reasons ---


def test_hard_rules_and_capacity_are_respected_and_unmatched_mentees_get_reasons(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        legal = factories.make_department("Legal")
        a, b, c, d = (factories.make_skill(name) for name in ("A", "B", "Unoffered", "D"))
        cohort = new_cohort()
        boss = person(department=engineering)
        # Three mentors who could teach A to `blocked`, each excluded by one rule.
        boss_app = apply(cohort, boss, MENTOR, {a: 5})  # `blocked` reports to `boss`
        same_department = apply(cohort, person(department=sales), MENTOR, {a: 5})
        german_only = apply(cohort, person(department=legal, languages=("de",)), MENTOR, {a: 5})
        blocked = apply(cohort, person(department=sales, manager=boss), MENTEE, {a: (1, 3)})
        # A mentor of B with one seat, wanted by two mentees: one of them is left for lack of capacity.
        b_mentor = apply(cohort, person(department=engineering), MENTOR, {b: 4}, capacity=1)
        first = apply(cohort, person(department=sales), MENTEE, {b: (1, 3)})
        second = apply(cohort, person(department=legal), MENTEE, {b: (2, 3)})
        nobody_teaches = apply(cohort, person(department=legal), MENTEE, {c: (1, 3)})
        wants_nothing = apply(cohort, person(department=legal), MENTEE, {a: (3, 3)})
        # Plenty of allowed pairs for the rest, with capacity 2 per mentor.
        busy = [apply(cohort, person(department=legal), MENTOR, {d: 5}, capacity=2) for _ in range(2)]
        others = [apply(cohort, person(department=sales), MENTEE, {d: (1, 4)}) for _ in range(5)]
        run = run_now(cohort, tenant_a.admin)

        proposals = list(
            MatchProposal.objects.filter(run=run).select_related("mentee__membership", "mentor__membership")
        )
        for proposal in proposals:
            mentee, mentor = proposal.mentee.membership, proposal.mentor.membership
            assert mentee.department_id != mentor.department_id
            assert set(proposal.mentee.languages or mentee.languages) & set(
                proposal.mentor.languages or mentor.languages
            )
            assert mentee.manager_id != mentor.pk and mentor.manager_id != mentee.pk
        matched = pairs(run)
        assert blocked.pk not in matched
        assert sum(1 for mentor in matched.values() if mentor == b_mentor.pk) == 1
        assert {first.pk, second.pk} & set(matched) and not {first.pk, second.pk} <= set(matched)
        for mentor in busy:
            assert sum(1 for m in matched.values() if m == mentor.pk) <= 2
        assert sum(1 for o in others if o.pk in matched) == 4  # two mentors x 2 seats
        assert {boss_app.pk, same_department.pk, german_only.pk}.isdisjoint(matched.values())

        reasons = unmatched(run)
        assert [reasons[o.pk].reason for o in others if o.pk in reasons] == ["capacity"]
        assert reasons[blocked.pk].reason == "rules"
        assert reasons[blocked.pk].rules == {"reporting_line": 1, "cross_functional": 1, "language": 1}
        assert "3 mentors could teach a wanted skill" in reasons[blocked.pk].detail
        left = first.pk if first.pk not in matched else second.pk
        assert reasons[left].reason == "capacity"
        assert reasons[nobody_teaches.pk].reason == "no_candidates"
        assert reasons[wants_nothing.pk].reason == "no_candidates"
        assert "no skill to grow" in reasons[wants_nothing.pk].detail
        assert set(reasons) | set(matched) == set(
            Application.objects.filter(cohort=cohort, role=MENTEE).values_list("pk", flat=True)
        )
        summary = MatchRun.objects.get(pk=run.pk).summary
        assert summary["unmatched_reasons"]["rules"] == 1 and summary["removed"]["reporting_line"] >= 1


def test_every_pair_forbidden_gives_a_clear_summary(tenant_a):
    with tenant_a.scope():
        engineering, _sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort()
        mentee = apply(cohort, person(department=engineering), MENTEE, {a: (1, 3)})
        apply(cohort, person(department=engineering), MENTOR, {a: 5})
        run = run_now(cohort)
        assert run.status == "done" and run.summary["problem"] == "all_forbidden"
        assert "excluded by a rule" in run.summary["message"]
        assert unmatched(run)[mentee.pk].rules == {"cross_functional": 1}


def test_preferred_cross_functional_allows_same_department_with_a_bonus_for_others(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort(cross_functional=Program.CrossFunctional.PREFERRED)
        mentee = apply(cohort, person(department=engineering), MENTEE, {a: (1, 3)})
        apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=1)
        other = apply(cohort, person(department=sales), MENTOR, {a: 5}, capacity=1)
        run = run_now(cohort)
        assert pairs(run) == {mentee.pk: other.pk}
        assert MatchProposal.objects.get(run=run).factors["cross_functional"] > 0


def test_previous_pairs_of_the_program_are_not_proposed_again(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        first_cohort = new_cohort()
        second_cohort = factories.make_cohort(first_cohort.program)
        mentee_person, mentor_person, other_person = (
            person(department=sales),
            person(department=engineering),
            person(department=engineering),
        )
        apply(first_cohort, mentee_person, MENTEE, {a: (1, 3)})
        apply(first_cohort, mentor_person, MENTOR, {a: 5})
        earlier = run_now(first_cohort)
        MatchProposal.objects.filter(run=earlier).update(state=MatchProposal.State.PUBLISHED)
        mentee = apply(second_cohort, mentee_person, MENTEE, {a: (1, 3)})
        apply(second_cohort, mentor_person, MENTOR, {a: 5})  # the better mentor (lower id), but met before
        other = apply(second_cohort, other_person, MENTOR, {a: 4})
        run = run_now(second_cohort)
        assert pairs(run) == {mentee.pk: other.pk}
        assert run.summary["previous_pairs"] == 1


def test_pairs_of_another_cohorts_mentorships_count_as_met_for_rotation(tenant_a):
    """A re-match after publishing changes a mentorship, not the published proposal: the mentorship counts too."""
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        first_cohort = new_cohort()
        second_cohort = factories.make_cohort(first_cohort.program)
        mentee_person, mentor_person, other_person = (
            person(department=sales),
            person(department=engineering),
            person(department=engineering),
        )
        earlier_mentee = apply(first_cohort, mentee_person, MENTEE, {a: (1, 3)})
        earlier_mentor = apply(first_cohort, mentor_person, MENTOR, {a: 5})
        mentorship = factories.make_mentorship(first_cohort, mentor=earlier_mentor)  # no proposal behind it
        factories.make_mentorship_mentee(mentorship, mentee=earlier_mentee)
        mentee = apply(second_cohort, mentee_person, MENTEE, {a: (1, 3)})
        apply(second_cohort, mentor_person, MENTOR, {a: 5})  # the better mentor, but met before
        other = apply(second_cohort, other_person, MENTOR, {a: 4})
        run = run_now(second_cohort)
        assert pairs(run) == {mentee.pk: other.pk}
        assert run.summary["previous_pairs"] == 1


def test_seniority_comes_from_job_title_keywords():
    assert services.seniority_from_title("") == -1
    assert services.seniority_from_title("Software Engineer") == 2
    assert services.seniority_from_title("Junior Analyst") == 1
    assert services.seniority_from_title("Senior Engineering Manager") == 4
    assert services.seniority_from_title("VP Sales") == 5
    assert services.seniority_from_title("Marketing Intern") == 0


# --- Decisions and re-runs ---


def decision_cohort(tenant):
    """Two mentees and three mentors of A (capacity 1 each); every pair allowed."""
    engineering, sales = tenant.departments
    a = factories.make_skill()
    cohort = new_cohort()
    mentees = [apply(cohort, person(department=sales), MENTEE, {a: (1, 3)}) for _ in range(2)]
    mentors = [apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=1) for _ in range(3)]
    return cohort, mentees, mentors


def test_rerun_keeps_locked_pairs_and_avoids_rejected_ones(tenant_a):
    with tenant_a.scope():
        cohort, (m1, m2), _mentors = decision_cohort(tenant_a)
        first = run_now(cohort, tenant_a.admin)
        proposals = {p.mentee_id: p for p in MatchProposal.objects.filter(run=first)}
        locked = services.proposal_lock(proposal=proposals[m1.pk])
        rejected = services.proposal_reject(proposal=proposals[m2.pk])
        assert (locked.state, rejected.state) == ("locked", "rejected")

        second = run_now(cohort, tenant_a.admin)
        again = {p.mentee_id: p for p in MatchProposal.objects.filter(run=second)}
        assert again[m1.pk].mentor_id == locked.mentor_id and again[m1.pk].state == "locked"
        assert again[m2.pk].mentor_id not in (rejected.mentor_id, locked.mentor_id)
        assert again[m2.pk].state == "proposed"
        assert second.summary["locked"] == 1 and second.summary["rejected_pairs"] == 1

        # A third run still avoids the first rejection (rejections accumulate) and keeps the lock.
        third = run_now(cohort, tenant_a.admin)
        assert pairs(third)[m1.pk] == locked.mentor_id
        assert pairs(third)[m2.pk] != rejected.mentor_id


def test_locked_pairs_use_up_their_mentors_seats(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort()
        m1 = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        m2 = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        only = apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=1)
        first = run_now(cohort)
        services.proposal_hand_pick(run=first, mentee=m2, mentor=only)  # over capacity: a warning, still allowed
        second = run_now(cohort)
        assert pairs(second) == {m2.pk: only.pk}
        assert unmatched(second)[m1.pk].reason == "capacity"


def test_hand_pick_warns_when_a_rule_or_capacity_is_broken(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort()
        m1 = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        m2 = apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        mentor = apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=1)
        same = apply(cohort, person(department=sales), MENTOR, {a: 5}, capacity=1)
        run = run_now(cohort)
        assert len(pairs(run)) == 1
        picked = services.proposal_hand_pick(run=run, mentee=m1, mentor=same)
        assert picked.state == "hand_picked" and picked.mentor_id == same.pk
        assert [w["code"] for w in picked.warnings] == ["cross_functional"]
        picked = services.proposal_hand_pick(run=run, mentee=m2, mentor=mentor)
        picked = services.proposal_hand_pick(run=run, mentee=m1, mentor=mentor)
        assert [w["code"] for w in picked.warnings] == ["capacity"]
        assert picked.score > 0 and picked.factors["skills"] > 0
        assert not UnmatchedMentee.objects.filter(run=run).exists()
        assert MatchProposal.objects.filter(run=run).count() == 2
        with pytest.raises(ValidationError) as error:
            services.proposal_hand_pick(run=run, mentee=mentor, mentor=m1)
        assert set(error.value.message_dict) == {"mentee", "mentor"}


def test_decisions_on_a_stale_or_unfinished_run_are_refused(tenant_a):
    with tenant_a.scope():
        cohort, (m1, _m2), mentors = decision_cohort(tenant_a)
        first = run_now(cohort)
        proposal = MatchProposal.objects.filter(run=first).first()
        newer = services.match_run_start(cohort=cohort, started_by=None)  # queued, not run yet
        for decide in (services.proposal_lock, services.proposal_reject):
            with pytest.raises(ValidationError, match="no longer the latest"):
                decide(proposal=proposal)
        with pytest.raises(ValidationError, match="no longer the latest"):
            services.proposal_hand_pick(run=first, mentee=m1, mentor=mentors[2])
        with pytest.raises(ValidationError, match="has not finished"):
            services.proposal_hand_pick(run=newer, mentee=m1, mentor=mentors[2])
        with pytest.raises(ValidationError, match="already in progress"):
            services.match_run_start(cohort=cohort, started_by=None)
        proposal.refresh_from_db()
        assert proposal.state == "proposed"
        # A newer run that failed does not supersede the last finished one.
        MatchRun.objects.filter(pk=newer.pk).update(status=MatchRun.Status.FAILED)
        assert services.proposal_lock(proposal=proposal).state == "locked"


# --- Bad input ---


@pytest.mark.parametrize(
    ("roles", "problem", "phrase"),
    [
        ((), "empty", "no accepted mentees or mentors"),
        ((MENTOR, MENTOR), "no_mentees", "no accepted mentees"),
        ((MENTEE, MENTEE), "no_mentors", "no accepted mentors"),
    ],
)
def test_cohorts_without_both_sides_finish_with_a_clear_summary(tenant_a, roles, problem, phrase):
    with tenant_a.scope():
        a = factories.make_skill()
        cohort = new_cohort()
        for role in roles:
            apply(cohort, person(), role, {a: 5} if role == MENTOR else {a: (1, 3)})
        apply(cohort, person(), MENTEE, {a: (1, 3)}, status=Application.Status.DECLINED) if roles else None
        run = run_now(cohort)
        assert run.status == "done" and run.error == ""
        assert run.summary["problem"] == problem and phrase in run.summary["message"]
        assert run.summary["matched"] == 0 and run.summary["greedy"]["matched"] == 0
        assert not MatchProposal.objects.filter(run=run).exists()
        expected = {"no_mentors": 2}.get(problem, 0)
        assert UnmatchedMentee.objects.filter(run=run, reason="no_mentors").count() == expected


def test_mentors_with_capacity_zero_give_a_clear_summary(tenant_a):
    with tenant_a.scope():
        engineering, sales = tenant_a.departments
        a = factories.make_skill()
        cohort = new_cohort()
        apply(cohort, person(department=sales), MENTEE, {a: (1, 3)})
        apply(cohort, person(department=engineering), MENTOR, {a: 5}, capacity=0)
        run = run_now(cohort)
        assert run.status == "done" and run.summary["problem"] == "no_seats"
        assert UnmatchedMentee.objects.get(run=run).reason == "no_mentors"


def test_an_unexpected_error_marks_the_run_failed(tenant_a, monkeypatch):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
        run = services.match_run_start(cohort=cohort, started_by=None)

        def boom(*args, **kwargs):
            raise RuntimeError("solver exploded")

        monkeypatch.setattr(services, "assign", boom)
        with pytest.raises(RuntimeError):
            tasks.match_run_task.run(organization_id=tenant_a.organization.pk, run_id=run.pk)
        run.refresh_from_db()
        assert run.status == "failed" and "solver exploded" in run.error and run.finished_at
        assert not MatchProposal.objects.filter(run=run).exists()


# --- Isolation ---


def test_a_run_of_another_organization_is_invisible_and_cannot_be_decided(tenant_a, tenant_b):
    with tenant_b.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_b)
        run_b = run_now(cohort)
        proposal_b = MatchProposal.objects.filter(run=run_b).first()
    with tenant_a.scope():
        assert not MatchRun.objects.filter(pk=run_b.pk).exists()
        assert not MatchProposal.objects.exists() and not UnmatchedMentee.objects.exists()
        with pytest.raises(Http404):
            access_run_by_id(run_b.pk)
        with pytest.raises(Http404):
            access_proposal_by_id(proposal_b.pk)
        assert tasks.match_run_task.run(organization_id=tenant_a.organization.pk, run_id=run_b.pk) is None
    with tenant_b.scope():
        assert access_proposal_by_id(proposal_b.pk).state == "proposed"
        assert MatchRun.objects.get(pk=run_b.pk).status == "done"


# --- Queries ---


def cohort_of(size: int, tenant):
    engineering, sales = tenant.departments
    skills = [factories.make_skill() for _ in range(3)]
    cohort = new_cohort()
    boss = person(department=engineering)
    for i in range(size):
        if i % 3 == 0:
            apply(cohort, person(department=engineering, manager=boss), MENTOR, {skills[i % 3]: 5, skills[1]: 4})
        else:
            apply(cohort, person(department=sales, manager=boss), MENTEE, {skills[i % 3]: (1, 3)})
    return cohort


def test_run_execution_uses_a_constant_number_of_queries(tenant_a):
    counts = []
    with tenant_a.scope():
        for size in (10, 40):
            cohort = cohort_of(size, tenant_a)
            run = services.match_run_start(cohort=cohort, started_by=None)
            run = MatchRun.objects.select_related("cohort__program").get(pk=run.pk)
            with CaptureQueriesContext(connection) as queries:
                services.match_run_execute(run=run)
            assert run.status == "done" and run.summary["matched"] > 0
            counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- A real worker ---


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_match(worker, tenants, monkeypatch):  # noqa: F811
    tenant_a, tenant_b = tenants
    monkeypatch.setattr(
        tasks.match_run_task,
        "delay",
        lambda **kwargs: tasks.match_run_task.apply_async(kwargs=kwargs, queue=worker),
    )
    with tenant_a.scope():
        cohort, mentees, _mentors = decision_cohort(tenant_a)
        run = services.match_run_start(cohort=cohort, started_by=tenant_a.admin)
        deadline = time.monotonic() + 60
        while run.is_running and time.monotonic() < deadline:
            time.sleep(0.2)
            run.refresh_from_db()
        assert run.status == "done", run.error
        assert run.progress == 100 and run.summary["matched"] == 2
        assert set(pairs(run)) == {m.pk for m in mentees}
    with tenant_b.scope():
        assert not MatchRun.objects.exists() and not MatchProposal.objects.exists()
