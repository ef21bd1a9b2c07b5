"""Per-match status of a cohort (page and API): the figures per mentorship, the at-risk rules (twice the cadence
without a held session, "not a good fit"), the filters, constant query counts, roles (403), isolation pairs, and
that no note, topic or reflection ever reaches an admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.models import Role
from programs.match_status import cohort_match_status
from programs.models import (
    Cohort,
    Goal,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    PrivateNote,
    Program,
    SessionFeedback,
    SessionStage,
)
from tests import factories
from tests.conftest import login

SECRETS = ("SECRET-SHARED-NOTE", "SECRET-TOPIC", "SECRET-REFLECTION", "SECRET-PRIVATE-NOTE", "SECRET-GOAL-NOTE")


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def page_url(tenant, cohort):
    return reverse("cohort_mentorships", kwargs={"org_slug": tenant.organization.slug, "cohort_id": cohort.pk})


def api_url(tenant, cohort):
    return reverse(
        "api_cohort_mentorship_status", kwargs={"org_slug": tenant.organization.slug, "cohort_id": cohort.pk}
    )


def running_cohort(*, cadence=1, name="Build Together", started_days_ago=120):
    """An active cohort of a running program (default four-stage flow) that started a while ago (call in scope)."""
    program = factories.make_program(name, status=Program.Status.RUNNING, cadence_per_month=cadence)
    today = timezone.localdate()
    return factories.make_cohort(
        program, name="Spring", status=Cohort.Status.ACTIVE, starts_on=today - timedelta(days=started_days_ago),
        ends_on=today + timedelta(days=60), enrollment_opens_on=today - timedelta(days=started_days_ago + 40),
        enrollment_closes_on=today - timedelta(days=started_days_ago + 10),
    )  # fmt: skip


def pair(cohort, *, mentees=1, published_days_ago=100, mentor_name=None):
    mentorship = factories.make_pair(cohort, mentees=mentees)
    Mentorship.objects.filter(pk=mentorship.pk).update(created_at=ago(published_days_ago))
    if mentor_name:
        user = mentorship.mentor.membership.user
        user.full_name = mentor_name
        user.save(update_fields=["full_name"])
    mentorship.refresh_from_db()
    return mentorship


def mentees_of(mentorship):
    return [
        link.mentee.membership
        for link in MentorshipMentee.objects.filter(mentorship=mentorship).select_related("mentee__membership")
    ]


def held(mentorship, *, days_ago, stage=None, minutes=60, secrets=False):
    session = factories.make_session(
        mentorship, status=MentoringSession.Status.HELD, starts_at=ago(days_ago), stage=stage,
        duration_minutes=minutes,
    )  # fmt: skip
    if secrets:
        session.shared_notes, session.topics = "SECRET-SHARED-NOTE", "SECRET-TOPIC"
        session.reflection_answers = [{"prompt": "What went well?", "answer": "SECRET-REFLECTION"}]
        session.save()
        PrivateNote.objects.create(session=session, author=mentorship.mentor.membership, text="SECRET-PRIVATE-NOTE")
    return session


def feedback(session, author, rating, *, pairing_fit=""):
    return SessionFeedback.objects.create(
        session=session, author=author, rating=rating, comment="SECRET-COMMENT", pairing_fit=pairing_fit
    )


def status_rows(cohort, **filters):
    return {row.mentorship.pk: row for row in cohort_match_status(cohort=cohort, filters=filters).rows}


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(roles=[Role.PROGRAM_ADMIN])


# --- Figures and the at-risk rules ---


def test_each_mentorship_shows_its_sessions_stages_feedback_and_goals(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort()
        stages = list(SessionStage.objects.filter(program=cohort.program).order_by("position"))
        mentorship = pair(cohort, mentees=2, mentor_name="Mona Mentor")
        first = held(mentorship, days_ago=40, stage=stages[0], minutes=45)
        held(mentorship, days_ago=20, stage=stages[1], minutes=60)
        held(mentorship, days_ago=12, stage=stages[1], minutes=30)
        held(mentorship, days_ago=10, minutes=15)  # no stage
        factories.make_session(mentorship, status=MentoringSession.Status.CANCELLED, starts_at=ago(5))
        factories.make_session(
            mentorship, status=MentoringSession.Status.SCHEDULED, starts_at=timezone.now() + timedelta(days=3),
            stage=stages[3],
        )  # fmt: skip
        mentee_a, mentee_b = mentees_of(mentorship)
        feedback(first, mentee_a, 4)
        feedback(first, mentee_b, 5)
        feedback(first, mentorship.mentor.membership, 4)
        for status in ("not_started", "in_progress", "achieved", "dropped"):
            factories.make_goal(mentorship, status=status)
        quiet = pair(cohort, mentor_name="Quinn Quiet")
        row, other = status_rows(cohort)[mentorship.pk], status_rows(cohort)[quiet.pk]
        assert [p.pk for p in row.mentees] == [mentee_a.pk, mentee_b.pk]
        assert row.departments == [mentorship.mentor.membership.department.name, mentee_a.department.name]
        assert (row.sessions_held, row.minutes_held, row.hours) == (4, 150, 2.5)
        assert row.last_held_at.date() == ago(10).date()
        assert (row.stages_reached, row.stages_total) == (2, 4)
        assert row.feedback_mean == 4.3
        assert (row.open_goals, row.achieved_goals) == (2, 1)
        assert not row.at_risk and row.quiet_days == 10
        assert (other.sessions_held, other.minutes_held, other.last_held_at, other.stages_reached) == (0, 0, None, 0)
        assert (other.feedback_mean, other.open_goals, other.achieved_goals) == (None, 0, 0)


def test_at_risk_after_twice_the_cadence_without_a_held_session(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort(cadence=2)  # 2 x 30 / 2 = 30 days
        recent = pair(cohort)
        held(recent, days_ago=29)
        lapsed = pair(cohort)
        held(lapsed, days_ago=31)
        factories.make_session(lapsed, status=MentoringSession.Status.CANCELLED, starts_at=ago(2))
        never = pair(cohort, published_days_ago=45)
        fresh = pair(cohort, published_days_ago=10)
        ended = pair(cohort)
        Mentorship.objects.filter(pk=ended.pk).update(status=Mentorship.Status.ENDED)
        rows = status_rows(cohort)
        assert {pk for pk, row in rows.items() if row.at_risk} == {lapsed.pk, never.pk}
        assert rows[lapsed.pk].overdue and rows[lapsed.pk].quiet_days == 31
        assert rows[never.pk].quiet_days == 45 and not rows[fresh.pk].overdue
        assert not rows[ended.pk].at_risk


def test_a_mentorship_starts_counting_on_its_cohorts_first_day(tenant_a):
    """Published long before the cohort started: the quiet time counts from the cohort's start."""
    with tenant_a.scope():
        cohort = running_cohort(cadence=1, started_days_ago=50)  # 60 days allowed
        early = pair(cohort, published_days_ago=90)
        row = status_rows(cohort)[early.pk]
        assert (row.overdue, row.quiet_days) == (False, 50)
        later = running_cohort(cadence=1, started_days_ago=70, name="Leaders")
        late = pair(later, published_days_ago=90)
        assert status_rows(later)[late.pk].overdue


def test_not_a_good_fit_flags_the_pair(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort()
        doubtful = pair(cohort)
        session = held(doubtful, days_ago=3)
        feedback(session, mentees_of(doubtful)[0], 2, pairing_fit=SessionFeedback.PairingFit.NOT_GOOD)
        unsure = pair(cohort)
        feedback(held(unsure, days_ago=3), mentees_of(unsure)[0], 3, pairing_fit=SessionFeedback.PairingFit.UNSURE)
        rows = status_rows(cohort)
        assert rows[doubtful.pk].at_risk and rows[doubtful.pk].not_a_good_fit and not rows[doubtful.pk].overdue
        assert not rows[unsure.pk].at_risk


def test_filters_at_risk_and_department(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort()
        quiet, busy = pair(cohort), pair(cohort)
        held(busy, days_ago=2)
        mentee_department = mentees_of(busy)[0].department
        mentor_department = quiet.mentor.membership.department
        assert set(status_rows(cohort, at_risk="on")) == {quiet.pk}
        assert set(status_rows(cohort, at_risk="")) == {quiet.pk, busy.pk}
        assert set(status_rows(cohort, department=str(mentee_department.pk))) == {busy.pk}
        assert set(status_rows(cohort, department=str(mentor_department.pk))) == {quiet.pk}
        assert set(status_rows(cohort, department=str(mentor_department.pk), at_risk="on")) == {quiet.pk}
        assert status_rows(cohort, department="nope") == {}


# --- The page ---


def test_the_page_lists_the_cohorts_mentorships_with_their_status(client, tenants, program_admin):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        cohort = running_cohort()
        stages = list(SessionStage.objects.filter(program=cohort.program).order_by("position"))
        on_track = pair(cohort, mentor_name="Olga On-Track")
        held(on_track, days_ago=4, stage=stages[0], minutes=90, secrets=True)
        goal = factories.make_goal(on_track, status=Goal.Status.IN_PROGRESS)
        factories.make_goal_update(goal, note="SECRET-GOAL-NOTE")
        lapsed = pair(cohort, mentor_name="Lars Lapsed")
        other_cohort = running_cohort(name="Leaders")
        pair(other_cohort, mentor_name="Somebody Else")
    with tenant_b.scope():
        pair(running_cohort(name="Beta Program"), mentor_name="Beta Mentor")
    for viewer in (program_admin, tenant_a.admin):
        response = login(client, viewer).get(page_url(tenant_a, cohort))
        assert response.status_code == 200
        content = response.content.decode()
        assert content.count('<tr id="mentorship-') == 2
        assert "Olga On-Track" in content and "Lars Lapsed" in content
        assert "Somebody Else" not in content and "Beta Mentor" not in content
        assert f'<tr id="mentorship-{lapsed.pk}" class="at-risk">' in content
        assert "No held session for 100 days" in content and "On track" in content
        assert "1 of 4" in content and "1.5" in content
        assert "60 days without a held session" in content
        for secret in (*SECRETS, "SECRET-COMMENT"):
            assert secret not in content
    filtered = client.get(page_url(tenant_a, cohort), {"at_risk": "on"}, headers={"HX-Request": "true"})
    assert filtered.status_code == 200 and "<html" not in filtered.content.decode()
    assert filtered.content.decode().count('<tr id="mentorship-') == 1 and "Lars Lapsed" in filtered.content.decode()


def test_the_review_page_links_to_the_mentorships(client, tenant_a):
    with tenant_a.scope():
        cohort = running_cohort()
    response = login(client, tenant_a.admin).get(
        reverse("cohort_applications", kwargs={"org_slug": tenant_a.organization.slug, "cohort_id": cohort.pk})
    )
    assert page_url(tenant_a, cohort) in response.content.decode()


@pytest.mark.parametrize("roles", [[], [Role.HR_ANALYST]])
def test_the_status_is_forbidden_to_members_without_an_admin_role(client, tenant_a, roles):
    with tenant_a.scope():
        cohort = running_cohort()
        pair(cohort)
        someone = factories.make_membership(roles=roles)
    login(client, someone)
    assert client.get(page_url(tenant_a, cohort)).status_code == 403
    assert client.get(api_url(tenant_a, cohort)).status_code == 403


def test_another_organizations_cohort_is_not_found(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        foreign = running_cohort(name="Beta Program")
        pair(foreign, mentor_name="Beta Mentor")
    login(client, tenant_a.admin)
    for target in (page_url(tenant_a, foreign), api_url(tenant_a, foreign)):
        response = client.get(target)
        assert response.status_code == 404 and "Beta Mentor" not in response.content.decode()
    assert client.get(page_url(tenant_b, foreign)).status_code == 404  # not a member there


def build(cohort, count):
    stages = list(SessionStage.objects.filter(program=cohort.program).order_by("position"))
    for number in range(count):
        mentorship = pair(cohort, mentees=2)
        session = held(mentorship, days_ago=5 + number, stage=stages[number % 4])
        feedback(session, mentees_of(mentorship)[0], 4)
        factories.make_goal(mentorship)


def test_page_and_api_run_a_constant_number_of_queries(client, tenant_a):
    with tenant_a.scope():
        few, many = running_cohort(name="Few"), running_cohort(name="Many")
        build(few, 3)
        build(many, 15)
    login(client, tenant_a.admin)
    counts = {}
    for name, cohort in (("few", few), ("many", many)):
        for kind, target in (("page", page_url(tenant_a, cohort)), ("api", api_url(tenant_a, cohort))):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(target, {"at_risk": "", "department": ""})
            assert response.status_code == 200
            counts[(kind, name)] = len(queries)
    assert counts[("page", "few")] == counts[("page", "many")]
    assert counts[("api", "few")] == counts[("api", "many")]
    assert counts[("page", "many")] <= 12, counts


# --- The API ---


def test_the_api_gives_the_figures_and_never_a_note(client, tenants, program_admin):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        cohort = running_cohort()
        stage = SessionStage.objects.filter(program=cohort.program).order_by("position").first()
        mentorship = pair(cohort, mentor_name="Olga On-Track")
        session = held(mentorship, days_ago=70, stage=stage, minutes=45, secrets=True)
        feedback(session, mentees_of(mentorship)[0], 2, pairing_fit=SessionFeedback.PairingFit.NOT_GOOD)
        goal = factories.make_goal(mentorship, status=Goal.Status.ACHIEVED)
        factories.make_goal_update(goal, note="SECRET-GOAL-NOTE")
        fine = pair(cohort)
        held(fine, days_ago=1)
        mentee_ids = [m.pk for m in mentees_of(mentorship)]
    with tenant_b.scope():
        pair(running_cohort(name="Beta Program"))
    response = login(client, program_admin).get(api_url(tenant_a, cohort))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["mentorship_id"] == mentorship.pk)
    assert row["mentor"]["full_name"] == "Olga On-Track"
    assert [m["membership_id"] for m in row["mentees"]] == mentee_ids
    assert (row["sessions_held"], row["minutes"], row["hours"], row["stages_reached"], row["stages_total"]) == (
        1, 45, 0.8, 1, 4,
    )  # fmt: skip
    assert (row["feedback_mean"], row["open_goals"], row["achieved_goals"]) == (2.0, 0, 1)
    assert (row["at_risk"], row["overdue"], row["not_a_good_fit"], row["days_without_session"]) == (
        True,
        True,
        True,
        70,
    )
    for secret in (*SECRETS, "SECRET-COMMENT"):
        assert secret not in response.content.decode()
    at_risk = client.get(api_url(tenant_a, cohort), {"at_risk": "true"}).json()
    assert [r["mentorship_id"] for r in at_risk["results"]] == [mentorship.pk]
    bad = client.get(api_url(tenant_a, cohort), {"department": "999999"})
    assert bad.status_code == 400 and "department" in bad.json()
