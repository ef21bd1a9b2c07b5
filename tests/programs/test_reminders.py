"""The nightly reminders: each kind fires when it should and not otherwise, for the right people; the run is
idempotent (rows and emails once), respects muted categories, stays inside its organization (also through the
real Celery fan-out) and runs a constant number of queries whatever the number of mentorships."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs import reminders, tasks
from programs.models import (
    Application,
    CapabilityAssessment,
    Cohort,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Notification,
    NotificationPreference,
    ProgramSkill,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from tests import factories
from tests.tenancy.test_worker import worker  # noqa: F401 (the real-worker fixture)


def ago(days: float):
    return timezone.now() - timedelta(days=days)


def running_cohort(*, cadence: int = 2, skills: int = 1, started_days_ago: int = 60, ends_in_days: int = 120):
    """An active cohort of a running program that started a while ago (call inside a tenant scope)."""
    program = factories.make_program(
        skills=[factories.make_skill() for _ in range(skills)], status="running", cadence_per_month=cadence
    )
    today = timezone.localdate()
    return factories.make_cohort(
        program,
        status=Cohort.Status.ACTIVE,
        starts_on=today - timedelta(days=started_days_ago),
        ends_on=today + timedelta(days=ends_in_days),
        enrollment_opens_on=today - timedelta(days=started_days_ago + 30),
        enrollment_closes_on=today - timedelta(days=started_days_ago + 1),
    )


def pair(cohort=None, *, mentees: int = 1, published_days_ago: int = 60, **cohort_options):
    """A mentorship of a running cohort published `published_days_ago` days ago; everyone has a name of their own."""
    mentorship = factories.make_pair(cohort or running_cohort(**cohort_options), mentees=mentees)
    Mentorship.objects.filter(pk=mentorship.pk).update(created_at=ago(published_days_ago))
    mentorship.refresh_from_db()
    mentor, mentees_ = people(mentorship)
    for number, membership in enumerate([mentor, *mentees_]):
        membership.user.full_name = f"{'Mentor' if number == 0 else 'Mentee'} {membership.pk}"
        membership.user.save(update_fields=["full_name"])
    return mentorship


def people(mentorship):
    """(mentor membership, [mentee memberships])."""
    mentees = [
        link.mentee.membership
        for link in MentorshipMentee.objects.filter(mentorship=mentorship).select_related("mentee__membership")
    ]
    return mentorship.mentor.membership, mentees


def held(mentorship, *, days_ago: float, attended=None, **fields):
    """A held session with attendance rows (everyone attended unless `attended` lists who did)."""
    session = factories.make_session(mentorship, status=MentoringSession.Status.HELD, starts_at=ago(days_ago), **fields)
    mentor, mentees = people(mentorship)
    for membership, role in [(mentor, "mentor"), *((m, "mentee") for m in mentees)]:
        SessionAttendance.objects.create(
            session=session, membership=membership, role=role, attended=attended is None or membership in attended
        )
    return session


def scheduled(mentorship, *, hours_ahead: float, **fields):
    return factories.make_session(
        mentorship,
        status=MentoringSession.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=hours_ahead),
        **fields,
    )


def pulse(application, phase):
    return PulseSurvey.objects.create(
        cohort_id=application.cohort_id, application=application, phase=phase, cross_department_colleagues=3,
        trust_other_departments=3,
    )  # fmt: skip


def quiet(mentorship):
    """Give the start round what it asks for, so that only the reminder under test fires: baseline ratings by both
    sides and the start pulse of everyone."""
    mentor, _ = people(mentorship)
    skill = ProgramSkill.objects.filter(program=mentorship.cohort.program).first().skill
    applications = [mentorship.mentor] + [
        link.mentee for link in MentorshipMentee.objects.filter(mentorship=mentorship).select_related("mentee")
    ]
    for application in applications:
        pulse(application, "start")
        if application.role == Application.Role.MENTEE:
            for rater, assessor in (("self", application.membership), ("mentor", mentor)):
                CapabilityAssessment.objects.create(
                    cohort=mentorship.cohort, mentee=application, skill=skill, phase="baseline", rater=rater,
                    assessor=assessor, level=2,
                )  # fmt: skip


def rows(category=None):
    notifications = Notification.objects.order_by("pk")
    if category:
        notifications = notifications.filter(category=category)
    return list(notifications)


def recipients(category):
    return {n.membership_id for n in rows(category)}


# --- Upcoming sessions ---


def test_upcoming_session_reminds_every_participant_once_and_by_email(tenant_a):
    with tenant_a.scope():
        mentorship = pair()
        quiet(mentorship)
        held(mentorship, days_ago=20)  # no cadence gap
        mentor, (mentee,) = people(mentorship)
        session = scheduled(mentorship, hours_ahead=30, location="https://meet.example/abc")
        scheduled(mentorship, hours_ahead=72)  # too far ahead
        factories.make_session(mentorship, status="cancelled", starts_at=timezone.now() + timedelta(hours=10))
        sent = reminders.reminders_send()
        upcoming = rows(Notification.Category.SESSION_UPCOMING)
    assert sent[Notification.Category.SESSION_UPCOMING] == 2
    assert {n.membership_id for n in upcoming} == {mentor.pk, mentee.pk}
    assert {n.dedupe_key for n in upcoming} == {f"upcoming:{session.pk}:{session.starts_at:%Y%m%dT%H%M}"}
    mine = next(n for n in upcoming if n.membership_id == mentee.pk)
    assert mine.title.startswith("Mentoring session on ") and mine.emailed
    assert str(mentor) in mine.body and "https://meet.example/abc" in mine.body
    assert mine.url == f"/o/{tenant_a.organization.slug}/mentorships/{mentorship.pk}/#upcoming"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentor.user.email, mentee.user.email])
    email = next(m for m in mail.outbox if m.to == [mentee.user.email])
    assert email.subject == mine.title
    assert f"http://127.0.0.1:8000{mine.url}" in email.body
    assert f"/o/{tenant_a.organization.slug}/notifications/preferences/" in email.body


def test_running_twice_records_and_sends_nothing_twice(tenant_a):
    with tenant_a.scope():
        mentorship = pair(published_days_ago=20)
        scheduled(mentorship, hours_ahead=5)
        held(mentorship, days_ago=3)  # feedback due for both
        first = reminders.reminders_send()
        before = [(n.pk, n.membership_id, n.dedupe_key) for n in rows()]
        emails = len(mail.outbox)
        second = reminders.reminders_send()
        after = [(n.pk, n.membership_id, n.dedupe_key) for n in rows()]
    assert first[Notification.Category.SESSION_UPCOMING] == 2 and first[Notification.Category.FEEDBACK_DUE] == 2
    assert len(before) == sum(first.values()) == 6 and emails == 2  # and assessments due: one digest a person
    assert set(second.values()) == {0}
    assert after == before and len(mail.outbox) == emails


def test_several_reminders_of_one_person_come_as_one_digest_email(tenant_a):
    with tenant_a.scope():
        mentorship = pair(published_days_ago=5)
        mentor, (mentee,) = people(mentorship)
        scheduled(mentorship, hours_ahead=5)
        held(mentorship, days_ago=3)  # feedback due for both
        reminders.reminders_send()
        mine = {n.category: n for n in rows() if n.membership_id == mentee.pk}
    assert set(mine) == {Notification.Category.SESSION_UPCOMING, Notification.Category.FEEDBACK_DUE}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mentor.user.email, mentee.user.email])
    email = next(m for m in mail.outbox if m.to == [mentee.user.email])
    assert email.subject == f"2 new notifications from {tenant_a.organization.name}"
    for notification in mine.values():
        assert notification.title in email.body and f"http://127.0.0.1:8000{notification.url}" in email.body
    assert email.body.index("1. ") < email.body.index("2. ")
    assert 'because "Feedback due", "Upcoming sessions" are on in your notification preferences' in email.body
    assert f"/o/{tenant_a.organization.slug}/notifications/preferences/" in email.body
    assert f"Hello {mentee.user.full_name}," in email.body


def test_a_rescheduled_session_is_reminded_again(tenant_a):
    with tenant_a.scope():
        mentorship = pair(published_days_ago=5)
        session = scheduled(mentorship, hours_ahead=5)
        reminders.reminders_send()
        MentoringSession.objects.filter(pk=session.pk).update(starts_at=session.starts_at + timedelta(hours=20))
        sent = reminders.reminders_send()
    assert sent[Notification.Category.SESSION_UPCOMING] == 2


def test_ended_mentorships_and_deactivated_members_get_no_reminders(tenant_a):
    with tenant_a.scope():
        ended = pair(published_days_ago=5)
        scheduled(ended, hours_ahead=5)
        Mentorship.objects.filter(pk=ended.pk).update(status=Mentorship.Status.ENDED)
        active = pair(published_days_ago=5)
        scheduled(active, hours_ahead=5)
        mentor, (mentee,) = people(active)
        type(mentee).objects.filter(pk=mentee.pk).update(is_active=False)
        reminders.reminders_send()
        assert recipients(Notification.Category.SESSION_UPCOMING) == {mentor.pk}
    assert [m.to for m in mail.outbox] == [[mentor.user.email]]


def test_group_mentorships_remind_each_mentee_once_and_name_them_for_the_mentor(tenant_a):
    with tenant_a.scope():
        mentorship = pair(mentees=3, published_days_ago=5)
        scheduled(mentorship, hours_ahead=5)
        reminders.reminders_send()
        mentor, mentees = people(mentorship)
        upcoming = rows(Notification.Category.SESSION_UPCOMING)
    assert sorted(n.membership_id for n in upcoming) == sorted([mentor.pk, *(m.pk for m in mentees)])
    to_mentor = next(n for n in upcoming if n.membership_id == mentor.pk)
    assert f"{mentees[0]}, {mentees[1]} and 1 more" in to_mentor.body
    to_mentee = next(n for n in upcoming if n.membership_id == mentees[2].pk)
    assert f"With {mentor} in" in to_mentee.body


# --- Cadence ---


def test_cadence_gap_fires_after_30_over_cadence_plus_grace_days_without_a_session(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort(cadence=2)  # every 15 days; with the 7 days of grace: after 22 days
        late = pair(cohort)
        quiet(late)
        last = held(late, days_ago=23)
        fine = pair(cohort)
        quiet(fine)
        held(fine, days_ago=21)
        planned = pair(cohort)
        quiet(planned)
        held(planned, days_ago=40)
        scheduled(planned, hours_ahead=24 * 5)
        reminders.reminders_send()
        mentor, (mentee,) = people(late)
        gaps = rows(Notification.Category.CADENCE_GAP)
    assert {n.membership_id for n in gaps} == {mentor.pk, mentee.pk}
    assert {n.dedupe_key for n in gaps} == {f"cadence:{late.pk}:{timezone.localdate(last.starts_at):%Y-%m-%d}"}
    assert "suggests 2 sessions a month" in gaps[0].body


def test_cadence_gap_counts_from_the_start_when_no_session_was_held_and_not_after_the_cohort(tenant_a):
    with tenant_a.scope():
        never_met = pair(cadence=1, published_days_ago=40)  # 30 + 7 days
        quiet(never_met)
        recent = pair(cadence=1, published_days_ago=30)
        quiet(recent)
        over = pair(cadence=1, published_days_ago=90, started_days_ago=200, ends_in_days=-1)
        quiet(over)
        reminders.reminders_send()
        gaps = rows(Notification.Category.CADENCE_GAP)
        started = max(timezone.localdate(never_met.created_at), never_met.cohort.starts_on)
    assert {n.dedupe_key for n in gaps} == {f"cadence:{never_met.pk}:{started:%Y-%m-%d}"}
    assert "since the mentorship started" in gaps[0].body


# --- Feedback ---


def test_feedback_due_for_attendees_without_feedback_in_the_past_14_days(tenant_a):
    with tenant_a.scope():
        mentorship = pair(mentees=2, published_days_ago=20)
        quiet(mentorship)
        mentor, (present, _absent) = people(mentorship)
        recent = held(mentorship, days_ago=3, attended=[mentor, present])
        held(mentorship, days_ago=16)  # too long ago
        SessionFeedback.objects.create(session=recent, author=mentor, rating=4)
        reminders.reminders_send()
        due = rows(Notification.Category.FEEDBACK_DUE)
    assert [(n.membership_id, n.dedupe_key) for n in due] == [(present.pk, f"feedback:{recent.pk}")]
    assert due[0].url == f"/o/{tenant_a.organization.slug}/mentorships/sessions/{recent.pk}/feedback/"


# --- Assessments and the pulse ---


def test_start_round_is_due_14_days_after_the_start_for_what_each_side_misses(tenant_a):
    with tenant_a.scope():
        cohort = running_cohort()
        mentorship = pair(cohort, published_days_ago=15)
        too_early = pair(cohort, published_days_ago=10)
        held(mentorship, days_ago=1)
        held(too_early, days_ago=1)
        mentor, (mentee,) = people(mentorship)
        mentee_application = MentorshipMentee.objects.get(mentorship=mentorship).mentee
        skill = ProgramSkill.objects.filter(program=cohort.program).first().skill
        CapabilityAssessment.objects.create(
            cohort=cohort, mentee=mentee_application, skill=skill, phase="baseline", rater="self", assessor=mentee,
            level=2,
        )  # fmt: skip
        pulse(mentee_application, "start")
        reminders.reminders_send()
        due = rows(Notification.Category.ASSESSMENT_DUE)
    # The mentee gave both; the mentor owes the rating of the mentee and their own pulse.
    assert [(n.membership_id, n.dedupe_key) for n in due] == [(mentor.pk, f"assessment:{mentorship.pk}:start")]
    assert "baseline (start) capability assessment of your mentees" in due[0].body
    assert "collaboration pulse (start)" in due[0].body
    assert due[0].url.endswith(f"/mentorships/{mentorship.pk}/#due")


def test_a_program_without_skills_asks_for_the_pulse_only(tenant_a):
    with tenant_a.scope():
        mentorship = pair(skills=0, published_days_ago=20)
        held(mentorship, days_ago=1)
        reminders.reminders_send()
        due = rows(Notification.Category.ASSESSMENT_DUE)
    assert len(due) == 2
    assert all("assessment" not in n.body and "collaboration pulse (start)" in n.body for n in due)


def test_end_round_is_due_once_the_final_window_opens(tenant_a):
    with tenant_a.scope():
        ending = pair(ends_in_days=20)  # the final window opens 21 days before the end
        quiet(ending)
        held(ending, days_ago=1)
        later = pair(ends_in_days=30)
        quiet(later)
        held(later, days_ago=1)
        reminders.reminders_send()
        due = rows(Notification.Category.ASSESSMENT_DUE)
        mentor, (mentee,) = people(ending)
    assert {(n.membership_id, n.dedupe_key) for n in due} == {
        (mentor.pk, f"assessment:{ending.pk}:end"),
        (mentee.pk, f"assessment:{ending.pk}:end"),
    }
    to_mentee = next(n for n in due if n.membership_id == mentee.pk)
    assert "final (end) capability assessment of yourself" in to_mentee.body


# --- Sessions to confirm ---


def test_the_other_side_confirms_a_session_logged_more_than_two_days_ago(tenant_a):
    with tenant_a.scope():
        mentorship = pair(mentees=2, published_days_ago=20)
        quiet(mentorship)
        mentor, mentees = people(mentorship)
        logged = dict(confirmation=MentoringSession.Confirmation.ONE_SIDED)
        by_mentor = held(mentorship, days_ago=4, logged_by=mentor, logged_at=ago(3), **logged)
        by_mentee = held(mentorship, days_ago=4, logged_by=mentees[0], logged_at=ago(3), **logged)
        held(mentorship, days_ago=1, logged_by=mentor, logged_at=ago(1), **logged)  # too soon
        held(
            mentorship, days_ago=5, logged_by=mentor, logged_at=ago(4),
            confirmation=MentoringSession.Confirmation.CONFIRMED,
        )  # fmt: skip
        reminders.reminders_send()
        due = {(n.membership_id, n.dedupe_key) for n in rows(Notification.Category.CONFIRMATION_DUE)}
    assert due == {
        (mentees[0].pk, f"confirm:{by_mentor.pk}"),
        (mentees[1].pk, f"confirm:{by_mentor.pk}"),
        (mentor.pk, f"confirm:{by_mentee.pk}"),
    }


# --- Preferences, old rows, isolation, queries ---


def test_muted_categories_get_neither_a_notification_nor_an_email(tenant_a):
    with tenant_a.scope():
        mentorship = pair(published_days_ago=5)
        scheduled(mentorship, hours_ahead=5)
        mentor, (mentee,) = people(mentorship)
        NotificationPreference.objects.create(membership=mentee, muted_categories=["session_upcoming"])
        NotificationPreference.objects.create(membership=mentor, muted_categories=["feedback_due"])
        reminders.reminders_send()
        assert recipients(Notification.Category.SESSION_UPCOMING) == {mentor.pk}
    assert [m.to for m in mail.outbox] == [[mentor.user.email]]


def test_unsent_rows_from_elsewhere_are_not_emailed_by_a_run(tenant_a):
    with tenant_a.scope():
        mentorship = pair(published_days_ago=5)
        scheduled(mentorship, hours_ahead=5)
        mentor, _ = people(mentorship)
        old = factories.make_notification(mentor, category="session_upcoming", dedupe_key="demo:1")
        Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
        reminders.reminders_send()
        old.refresh_from_db()
    assert not old.emailed and len(mail.outbox) == 2


def test_a_run_reminds_its_own_organization_only(tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        foreign = pair(published_days_ago=5)
        scheduled(foreign, hours_ahead=5)
        foreign_people = {m.pk for m in [people(foreign)[0], *people(foreign)[1]]}
    with tenant_a.scope():
        mine = pair(published_days_ago=5)
        scheduled(mine, hours_ahead=5)
        reminders.reminders_send()
        assert recipients(Notification.Category.SESSION_UPCOMING) == {people(mine)[0].pk, people(mine)[1][0].pk}
        assert not recipients(Notification.Category.SESSION_UPCOMING) & foreign_people
    with tenant_b.scope():
        assert not Notification.objects.exists()
    assert len(mail.outbox) == 2


def test_a_run_takes_a_constant_number_of_queries(tenant_a):
    def everything_due(count):
        """Per round: a group with every reminder but the cadence gap, and a pair that never met (the gap)."""
        for _ in range(count):
            pair(published_days_ago=40)
            mentorship = pair(mentees=2, published_days_ago=20, ends_in_days=10)
            scheduled(mentorship, hours_ahead=5)
            mentor, _ = people(mentorship)
            held(
                mentorship, days_ago=40, logged_by=mentor, logged_at=ago(3),
                confirmation=MentoringSession.Confirmation.ONE_SIDED,
            )  # fmt: skip
            held(mentorship, days_ago=3)

    with tenant_a.scope():
        everything_due(1)
        with CaptureQueriesContext(connection) as few:
            first = reminders.reminders_send()
        everything_due(5)
        with CaptureQueriesContext(connection) as many:
            second = reminders.reminders_send()
    assert all(first[category] > 0 for category in first), first
    assert all(second[category] == 5 * first[category] for category in second), (first, second)
    assert len(many) == len(few)


def test_the_benchmarks_organization_gets_every_kind_once(tenant_a):
    from programs.management.commands.bench_reminders import Generator

    with tenant_a.scope():
        generated = Generator(tenant_a.organization, participants=200).run()
        first = reminders.reminders_send()
        second = reminders.reminders_send()
        recorded = Notification.objects.count()
        recipients_ = Notification.objects.values("membership_id").distinct().count()
    assert generated["participants"] == 200
    assert all(first[category] > 0 for category in first), first
    assert recorded == sum(first.values()) > recipients_
    assert len(mail.outbox) == recipients_  # one email a person, a digest for those with several
    assert set(second.values()) == {0}


# --- The nightly fan-out, in a real worker ---


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reminds_each_organization_of_its_own_people(worker, tenants, monkeypatch):  # noqa: F811
    monkeypatch.setattr(
        tasks.reminders_send_task,
        "delay",
        lambda **kwargs: tasks.reminders_send_task.apply_async(kwargs=kwargs, queue=worker),
    )
    expected = {}
    for tenant in tenants:
        with tenant.scope():
            mentorship = pair(published_days_ago=5)
            scheduled(mentorship, hours_ahead=5)
            mentor, mentees = people(mentorship)
            expected[tenant.organization.pk] = {mentor.pk, *(m.pk for m in mentees)}
    assert tasks.reminders_send_all_task() == 2
    deadline = time.monotonic() + 60
    for tenant in tenants:
        with tenant.scope():
            while time.monotonic() < deadline and Notification.objects.count() < 2:
                time.sleep(0.2)
            assert {n.membership_id for n in Notification.objects.all()} == expected[tenant.organization.pk]
            assert all(n.emailed and n.category == "session_upcoming" for n in Notification.objects.all())
