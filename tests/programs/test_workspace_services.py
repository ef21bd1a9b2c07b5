"""Services of the mentorship workspace (programs/workspace/): sessions (schedule, log, confirm, correct, cancel,
private notes), goals and action items, feedback, assessments and the pulse, and what is due. Real database, real
services; every error a participant can cause is a ValidationError keyed by the field it is about."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from matching.models import RematchRequest
from programs.models import (
    ActionItem,
    CapabilityAssessment,
    Goal,
    GoalUpdate,
    MentoringSession,
    Mentorship,
    PrivateNote,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from programs.workspace import assessments, feedback, goals, sessions
from programs.workspace.selectors import workspace_for
from tests import factories
from tests.programs.workspace_setup import make_workspace_pair, publish_pairs, running_cohort


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def ahead(**delta):
    return timezone.now() + timedelta(**delta)


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def log(pair, by=None, **fields):
    values = {"starts_at": ago(days=2), "duration_minutes": 60, **fields}
    return sessions.session_log(mentorship=pair.mentorship, logged_by=by or pair.mentor, **values)


# --- Schedule, move, cancel ---


def test_schedule_a_session_in_the_future_with_a_stage_of_the_flow(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentee, starts_at=ahead(days=3), duration_minutes=45,
            location="  Room 4.12 ", stage=pair.stages[1].pk,
        )  # fmt: skip
        session.refresh_from_db()
    assert session.status == MentoringSession.Status.SCHEDULED
    assert (session.location, session.stage_id, session.scheduled_by_id) == (
        "Room 4.12",
        pair.stages[1].pk,
        pair.mentee.pk,
    )
    assert session.confirmation == MentoringSession.Confirmation.NOT_LOGGED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": ago(hours=1)}, "starts_at"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"location": "x" * 301}, "location"),
    ],
)
def test_schedule_refuses_bad_input_by_field(tenant_a, fields, field):
    pair = make_workspace_pair(tenant_a)
    values = {"starts_at": ahead(days=1), "duration_minutes": 60, **fields}
    with tenant_a.scope(), pytest.raises(ValidationError) as excinfo:
        sessions.session_schedule(mentorship=pair.mentorship, scheduled_by=pair.mentor, **values)
    assert field in error_fields(excinfo)
    with tenant_a.scope():
        assert not MentoringSession.objects.exists()


def test_schedule_refuses_a_stage_of_another_program(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        foreign_stage = factories.make_program("Other").stages.first()
        with pytest.raises(ValidationError) as excinfo:
            sessions.session_schedule(
                mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=1), stage=foreign_stage.pk
            )
    assert error_fields(excinfo) == {"stage"}


def test_reschedule_and_cancel_only_scheduled_sessions(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=1)
        )
        session.mentorship = pair.mentorship
        sessions.session_reschedule(session=session, starts_at=ahead(days=2), location=" Café ")
        with pytest.raises(ValidationError) as excinfo:
            sessions.session_reschedule(session=session, starts_at=ago(days=1))
        assert error_fields(excinfo) == {"starts_at"}
        session.refresh_from_db()
        assert session.location == "Café" and session.starts_at > ahead(days=1)
        sessions.session_cancel(session=session)
        assert MentoringSession.objects.get(pk=session.pk).status == MentoringSession.Status.CANCELLED
        with pytest.raises(ValidationError):
            sessions.session_cancel(session=session)
        held = log(pair)
        held.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            sessions.session_reschedule(session=held, starts_at=ahead(days=3))


def test_an_ended_mentorship_takes_no_new_sessions(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        Mentorship.objects.filter(pk=pair.mentorship.pk).update(status=Mentorship.Status.ENDED)
    pair.reload()
    with tenant_a.scope():
        with pytest.raises(ValidationError):
            log(pair)
        with pytest.raises(ValidationError):
            sessions.session_schedule(mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=1))
        assert not MentoringSession.objects.exists()


# --- Log ---


def test_log_a_held_session_with_attendance_reflections_and_private_note(tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    stage = pair.stages[0]
    with tenant_a.scope():
        session = log(
            pair, by=pair.mentee, stage=stage.pk, attended=[pair.mentor.pk, pair.mentee.pk], topics=" goals ",
            shared_notes="We agreed on two goals.", reflection_answers=["Grow as a facilitator", "  "],
            private_note="Nervous about it.",
        )  # fmt: skip
        session.refresh_from_db()
        attendance = dict(SessionAttendance.objects.filter(session=session).values_list("membership_id", "attended"))
        note = PrivateNote.objects.get(session=session)
    assert session.status == MentoringSession.Status.HELD
    assert session.confirmation == MentoringSession.Confirmation.ONE_SIDED
    assert session.logged_by_id == pair.mentee.pk and session.logged_at is not None
    assert session.topics == "goals"
    assert session.reflection_answers == [{"prompt": stage.reflection_prompts[0], "answer": "Grow as a facilitator"}]
    assert attendance == {pair.mentor.pk: True, pair.mentee.pk: True, pair.mentees[1].pk: False}
    assert (note.author_id, note.text) == (pair.mentee.pk, "Nervous about it.")


def test_log_without_attendance_means_everybody_attended(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair)
        assert set(SessionAttendance.objects.filter(session=session).values_list("membership_id", "attended")) == {
            (pair.mentor.pk, True),
            (pair.mentee.pk, True),
        }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": ahead(days=1)}, "starts_at"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"attended": []}, "attendance"),
        ({"attended": ["not-an-id"]}, "attendance"),
        ({"stage": 987654}, "stage"),
        ({"reflection_answers": [{"prompt": "A question of another stage", "answer": "x"}]}, "reflection_answers"),
        ({"reflection_answers": "not a list"}, "reflection_answers"),
    ],
)
def test_log_refuses_bad_input_by_field_and_writes_nothing(tenant_a, fields, field):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope(), pytest.raises(ValidationError) as excinfo:
        log(pair, stage=fields.pop("stage", pair.stages[0].pk), **fields)
    assert field in error_fields(excinfo)
    with tenant_a.scope():
        assert not MentoringSession.objects.exists() and not SessionAttendance.objects.exists()


def test_log_refuses_attendance_of_someone_outside_the_match(tenant_a):
    pair = make_workspace_pair(tenant_a)
    other = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope(), pytest.raises(ValidationError) as excinfo:
        log(pair, attended=[pair.mentor.pk, other.mentee.pk])
    assert error_fields(excinfo) == {"attendance"}


def test_only_participants_log(tenant_a):
    pair = make_workspace_pair(tenant_a)
    other = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope():
        for outsider in (other.mentor, other.mentee, tenant_a.admin):
            with pytest.raises(Http404):
                log(pair, by=outsider)
        assert not MentoringSession.objects.exists()


def test_a_scheduled_session_is_logged_as_held_once(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        scheduled = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(minutes=1)
        )
        MentoringSession.objects.filter(pk=scheduled.pk).update(starts_at=ago(hours=1))
        scheduled.refresh_from_db()
        held = log(pair, session=scheduled, starts_at=scheduled.starts_at, duration_minutes=50)
        assert held.pk == scheduled.pk and MentoringSession.objects.count() == 1
        assert MentoringSession.objects.get().status == MentoringSession.Status.HELD
        with pytest.raises(ValidationError):
            log(pair, session=held)


# --- Confirm and correct ---


def test_the_other_side_confirms_and_the_logging_side_cannot(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair, by=pair.mentor)
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            sessions.session_confirm(session=session, confirmed_by=pair.mentor)
        sessions.session_confirm(session=session, confirmed_by=pair.mentee)
        session.refresh_from_db()
        assert session.confirmation == MentoringSession.Confirmation.CONFIRMED
        assert session.confirmed_by_id == pair.mentee.pk and session.confirmed_at is not None
        first_confirmed_at = session.confirmed_at
        session.mentorship = pair.mentorship
        sessions.session_confirm(session=session, confirmed_by=pair.mentee)  # twice: nothing changes
        session.refresh_from_db()
        assert session.confirmed_at == first_confirmed_at


def test_in_a_group_another_mentee_is_the_same_side(tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    with tenant_a.scope():
        session = log(pair, by=pair.mentees[0])
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            sessions.session_confirm(session=session, confirmed_by=pair.mentees[1])
        sessions.session_confirm(session=session, confirmed_by=pair.mentor)
        assert MentoringSession.objects.get().confirmation == MentoringSession.Confirmation.CONFIRMED


def test_a_scheduled_session_cannot_be_confirmed(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=1)
        )
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            sessions.session_confirm(session=session, confirmed_by=pair.mentee)


def test_the_other_side_corrects_the_log(tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    with tenant_a.scope():
        session = log(pair, by=pair.mentor, duration_minutes=90, stage=pair.stages[0].pk, topics="goals")
        session.mentorship = pair.mentorship
        sessions.session_correct(
            session=session, corrected_by=pair.mentee, duration_minutes=60, stage=pair.stages[1].pk,
            reflection_answers=["Listening"], attended=[pair.mentor.pk, pair.mentee.pk],
        )  # fmt: skip
        session.refresh_from_db()
        attendance = dict(SessionAttendance.objects.filter(session=session).values_list("membership_id", "attended"))
    assert session.confirmation == MentoringSession.Confirmation.CORRECTED
    assert session.confirmed_by_id == pair.mentee.pk
    assert (session.duration_minutes, session.stage_id, session.topics) == (60, pair.stages[1].pk, "goals")
    assert session.reflection_answers == [{"prompt": pair.stages[1].reflection_prompts[0], "answer": "Listening"}]
    assert attendance == {pair.mentor.pk: True, pair.mentee.pk: True, pair.mentees[1].pk: False}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": ahead(days=1)}, "starts_at"),
        ({"duration_minutes": 500}, "duration_minutes"),
        ({"stage": 987654}, "stage"),
        ({"location": "Elsewhere"}, "location"),
        ({"attended": [987654]}, "attendance"),
    ],
)
def test_a_correction_refuses_bad_input_by_field(tenant_a, fields, field):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair, by=pair.mentor)
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError) as excinfo:
            sessions.session_correct(session=session, corrected_by=pair.mentee, **fields)
        assert field in error_fields(excinfo)
        assert MentoringSession.objects.get().confirmation == MentoringSession.Confirmation.ONE_SIDED


def test_the_logging_side_cannot_correct_its_own_log(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair, by=pair.mentee)
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            sessions.session_correct(session=session, corrected_by=pair.mentee, duration_minutes=30)
        assert MentoringSession.objects.get().duration_minutes == 60


# --- Private notes ---


def test_private_notes_are_per_author_and_emptying_deletes(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair, private_note="mentor's own")
        session.mentorship = pair.mentorship
        sessions.private_note_set(session=session, author=pair.mentee, text="mentee's own")
        assert sessions.private_note_of(session=session, author=pair.mentor).text == "mentor's own"
        assert sessions.private_note_of(session=session, author=pair.mentee).text == "mentee's own"
        sessions.private_note_set(session=session, author=pair.mentee, text="changed")
        assert PrivateNote.objects.filter(author=pair.mentee).get().text == "changed"
        assert sessions.private_note_set(session=session, author=pair.mentee, text="   ") is None
        assert list(PrivateNote.objects.values_list("author_id", flat=True)) == [pair.mentor.pk]
        with pytest.raises(ValidationError) as excinfo:
            sessions.private_note_set(session=session, author=pair.mentee, text="x" * 20_001)
        assert error_fields(excinfo) == {"private_note"}
        with pytest.raises(Http404):
            sessions.private_note_set(session=session, author=tenant_a.admin, text="snooping")


# --- Goals and action items ---


def test_goals_belong_to_a_mentee_and_a_program_skill(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        own = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title=" Lead a review ")
        by_mentor = goals.goal_create(
            mentorship=pair.mentorship, created_by=pair.mentor, title="Present to the board", skill=pair.skills[0].pk,
            measure="one presentation", target_date=pair.cohort.ends_on,
        )  # fmt: skip
    mentee_application = pair.participant(pair.mentee).application
    assert (own.title, own.mentee_id, own.created_by_id) == ("Lead a review", mentee_application.pk, pair.mentee.pk)
    assert by_mentor.mentee_id == mentee_application.pk and by_mentor.skill_id == pair.skills[0].pk


def test_in_a_group_the_mentor_names_the_mentee_and_a_mentee_only_themself(tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    first, second = (pair.participant(m).application for m in pair.mentees)
    with tenant_a.scope():
        with pytest.raises(ValidationError) as excinfo:
            goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentor, title="Whose?")
        assert error_fields(excinfo) == {"mentee"}
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentor, title="Yours", mentee=second.pk)
        assert goal.mentee_id == second.pk
        with pytest.raises(ValidationError) as excinfo:
            goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentees[0], title="Theirs", mentee=second.pk)
        assert error_fields(excinfo) == {"mentee"}
        assert (
            goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentees[0], title="Mine").mentee_id
            == first.pk
        )


@pytest.mark.parametrize("case", ["foreign skill", "before the cohort", "no title", "outsider"])
def test_goal_create_refuses(tenant_a, case):
    pair = make_workspace_pair(tenant_a)
    values = {"mentorship": pair.mentorship, "created_by": pair.mentee, "title": "Lead a review"}
    with tenant_a.scope():
        if case == "foreign skill":
            values["skill"] = factories.make_skill("Not in this program").pk
        elif case == "before the cohort":
            values["target_date"] = pair.cohort.starts_on - timedelta(days=1)
        elif case == "no title":
            values["title"] = "  "
        else:
            values["created_by"] = tenant_a.member
        expected = Http404 if case == "outsider" else ValidationError
        with pytest.raises(expected) as excinfo:
            goals.goal_create(**values)
        if expected is ValidationError:
            field = {"foreign skill": "skill", "before the cohort": "target_date", "no title": "title"}[case]
            assert field in error_fields(excinfo)
        assert not Goal.objects.exists()


def test_goal_progress_keeps_a_history_and_100_percent_is_achieved(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Lead a review")
        goal.mentorship = pair.mentorship
        goals.goal_progress(goal=goal, author=pair.mentee, progress=40, note="First draft done")
        assert (goal.progress, goal.status, goal.achieved_at) == (40, Goal.Status.IN_PROGRESS, None)
        goals.goal_progress(goal=goal, author=pair.mentor, progress=100)
        assert goal.status == Goal.Status.ACHIEVED and goal.achieved_at is not None
        goals.goal_progress(goal=goal, author=pair.mentor, progress=100, status=Goal.Status.IN_PROGRESS)
        assert goal.achieved_at is None
        history = list(GoalUpdate.objects.filter(goal=goal).order_by("id").values_list("progress", "status", "note"))
        assert history == [
            (40, "in_progress", "First draft done"),
            (100, "achieved", ""),
            (100, "in_progress", ""),
        ]
        for bad in ({"progress": 101}, {"progress": 50, "status": "finished"}):
            with pytest.raises(ValidationError) as excinfo:
                goals.goal_progress(goal=goal, author=pair.mentee, **bad)
            assert error_fields(excinfo) & {"progress", "status"}
        assert GoalUpdate.objects.count() == 3


def test_action_items_have_an_owner_among_the_participants(tenant_a):
    pair = make_workspace_pair(tenant_a)
    other = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope():
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Lead a review")
        foreign_goal = goals.goal_create(mentorship=other.mentorship, created_by=other.mentee, title="Elsewhere")
        mine = goals.action_item_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Draft the agenda")
        assert mine.owner_id == pair.mentee.pk
        theirs = goals.action_item_create(
            mentorship=pair.mentorship, created_by=pair.mentee, title="Share data", owner=pair.mentor.pk, goal=goal.pk,
            due_on=timezone.localdate() + timedelta(days=7),
        )  # fmt: skip
        assert (theirs.owner_id, theirs.goal_id) == (pair.mentor.pk, goal.pk)
        with pytest.raises(ValidationError) as excinfo:
            goals.action_item_create(
                mentorship=pair.mentorship, created_by=pair.mentee, title="x", owner=other.mentor.pk
            )
        assert error_fields(excinfo) == {"owner"}
        with pytest.raises(ValidationError) as excinfo:
            goals.action_item_create(
                mentorship=pair.mentorship, created_by=pair.mentee, title="x", goal=foreign_goal.pk
            )
        assert error_fields(excinfo) == {"goal"}
        assert ActionItem.objects.filter(mentorship=pair.mentorship).count() == 2


def test_action_item_done_toggles_and_keeps_the_first_done_time(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        item = goals.action_item_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Draft the agenda")
        item.mentorship = pair.mentorship
        goals.action_item_set_done(item=item, by=pair.mentor, done=True)
        done_at = ActionItem.objects.get().done_at
        assert done_at is not None
        goals.action_item_set_done(item=item, by=pair.mentor, done=True)
        assert ActionItem.objects.get().done_at == done_at
        goals.action_item_set_done(item=item, by=pair.mentee, done=False)
        assert ActionItem.objects.get().done_at is None
        with pytest.raises(Http404):
            goals.action_item_set_done(item=item, by=tenant_a.member, done=True)


# --- Feedback ---


def feedback_on(session, author, **fields):
    return feedback.feedback_submit(session=session, author=author, **{"rating": 4, **fields})


def test_feedback_once_per_participant_and_session(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair)
        session.mentorship = pair.mentorship
        feedback_on(session, pair.mentor, comment=" Useful ", pairing_fit="good")
        feedback_on(session, pair.mentee, rating=5)
        with pytest.raises(ValidationError) as excinfo:
            feedback_on(session, pair.mentee, rating=3)
        assert error_fields(excinfo) == {"rating"}
        rows = set(SessionFeedback.objects.values_list("author_id", "rating", "comment", "pairing_fit"))
    assert rows == {(pair.mentor.pk, 4, "Useful", "good"), (pair.mentee.pk, 5, "", "")}


@pytest.mark.parametrize(
    ("fields", "field"), [({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"pairing_fit": "meh"}, "pairing_fit")]
)
def test_feedback_refuses_bad_values(tenant_a, fields, field):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        session = log(pair)
        session.mentorship = pair.mentorship
        with pytest.raises(ValidationError) as excinfo:
            feedback_on(session, pair.mentee, **fields)
        assert field in error_fields(excinfo)
        assert not SessionFeedback.objects.exists()


def test_feedback_is_for_held_sessions_of_participants(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        scheduled = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=1)
        )
        scheduled.mentorship = pair.mentorship
        with pytest.raises(ValidationError):
            feedback_on(scheduled, pair.mentee)
        held = log(pair)
        held.mentorship = pair.mentorship
        with pytest.raises(Http404):
            feedback_on(held, tenant_a.admin)
        assert not SessionFeedback.objects.exists()


def test_the_pairing_fit_question_belongs_to_the_first_held_session(tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        first = log(pair, starts_at=ago(days=20))
        second = log(pair, starts_at=ago(days=5))
        for session in (first, second):
            session.mentorship = pair.mentorship
        assert feedback.is_first_session(first) and not feedback.is_first_session(second)
        with pytest.raises(ValidationError) as excinfo:
            feedback_on(second, pair.mentee, pairing_fit="unsure")
        assert error_fields(excinfo) == {"pairing_fit"}
        feedback_on(second, pair.mentee)
        feedback_on(first, pair.mentee, pairing_fit="unsure")
        assert SessionFeedback.objects.get(session=first).pairing_fit == "unsure"


def test_not_a_good_fit_on_the_first_session_opens_a_rematch_request(tenant_a):
    pair = make_workspace_pair(tenant_a)
    publish_pairs(pair)
    with tenant_a.scope():
        session = log(pair)
        session.mentorship = pair.mentorship
        feedback_on(session, pair.mentee, rating=2, pairing_fit="not_good", comment="We never agree on a time.")
        request = RematchRequest.objects.get()
    assert request.mentee_id == pair.participant(pair.mentee).application.pk
    assert request.status == RematchRequest.Status.OPEN
    assert (request.created_by_id, request.reason) == (pair.mentee.pk, "We never agree on a time.")


def test_a_mentor_of_one_mentee_opens_the_rematch_a_group_mentor_does_not(tenant_a):
    one = make_workspace_pair(tenant_a)
    group = make_workspace_pair(tenant_a, mentees=2)
    publish_pairs(one)
    publish_pairs(group)
    with tenant_a.scope():
        for pair in (one, group):
            session = log(pair)
            session.mentorship = pair.mentorship
            feedback_on(session, pair.mentor, pairing_fit="not_good")
        requests = list(RematchRequest.objects.values_list("mentee_id", "created_by_id", "reason"))
    assert requests == [
        (one.participant(one.mentee).application.pk, one.mentor.pk,
         "Marked as not a good fit in the feedback on the first session.")
    ]  # fmt: skip


# --- Assessments and the pulse ---


def ratings_for(pair, level=3):
    return {skill.pk: (level, f"evidence for {skill.name}") for skill in pair.skills}


def test_the_mentee_rates_themself_and_the_mentor_rates_the_mentee(tenant_a):
    pair = make_workspace_pair(tenant_a)
    mentee = pair.participant(pair.mentee).application
    with tenant_a.scope():
        assessments.assessment_submit(
            mentorship=pair.mentorship,
            mentee=mentee,
            assessor=pair.mentee,
            phase="baseline",
            ratings=ratings_for(pair, 2),
        )
        assessments.assessment_submit(
            mentorship=pair.mentorship,
            mentee=mentee,
            assessor=pair.mentor,
            phase="baseline",
            ratings=ratings_for(pair, 3),
        )
        rows = set(CapabilityAssessment.objects.values_list("skill_id", "rater", "level", "assessor_id"))
    assert rows == {
        *((skill.pk, "self", 2, pair.mentee.pk) for skill in pair.skills),
        *((skill.pk, "mentor", 3, pair.mentor.pk) for skill in pair.skills),
    }


def test_a_phase_given_again_replaces_the_ratings(tenant_a):
    pair = make_workspace_pair(tenant_a)
    mentee = pair.participant(pair.mentee).application
    with tenant_a.scope():
        for level in (2, 4):
            assessments.assessment_submit(
                mentorship=pair.mentorship, mentee=mentee, assessor=pair.mentee, phase="baseline",
                ratings=ratings_for(pair, level),
            )  # fmt: skip
        assert list(CapabilityAssessment.objects.values_list("level", flat=True).distinct()) == [4]
        assert CapabilityAssessment.objects.count() == len(pair.skills)


def test_a_group_mentee_rates_only_themself_and_outsiders_nobody(tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    groupmate = pair.participant(pair.mentees[1]).application
    with tenant_a.scope():
        for assessor in (pair.mentees[0], tenant_a.admin):
            with pytest.raises(Http404):
                assessments.assessment_submit(
                    mentorship=pair.mentorship, mentee=groupmate, assessor=assessor, phase="baseline",
                    ratings=ratings_for(pair),
                )  # fmt: skip
        assert not CapabilityAssessment.objects.exists()


@pytest.mark.parametrize(
    ("ratings", "phase", "field"),
    [
        ("missing one", "baseline", "ratings"),
        ("level 6", "baseline", "ratings"),
        ("foreign skill", "baseline", "ratings"),
        ("fine", "midpoint", "phase"),
        ("fine", "final", "phase"),
        ("fine", "later", "phase"),
    ],
)
def test_assessment_refuses(tenant_a, ratings, phase, field):
    pair = make_workspace_pair(tenant_a)  # the cohort started 30 days ago and runs 180 days: only baseline is open
    mentee = pair.participant(pair.mentee).application
    given = ratings_for(pair)
    with tenant_a.scope():
        if ratings == "missing one":
            given.pop(pair.skills[0].pk)
        elif ratings == "level 6":
            given[pair.skills[0].pk] = (6, "")
        elif ratings == "foreign skill":
            given[factories.make_skill("Elsewhere").pk] = (3, "")
        with pytest.raises(ValidationError) as excinfo:
            assessments.assessment_submit(
                mentorship=pair.mentorship, mentee=mentee, assessor=pair.mentee, phase=phase, ratings=given
            )
        assert field in error_fields(excinfo)
        assert not CapabilityAssessment.objects.exists()


def test_phases_open_by_the_cohort_dates(tenant_a):
    cohort, _ = running_cohort(tenant_a, started_days_ago=100, length_days=180)
    today = timezone.localdate()
    assert assessments.open_phases(cohort, today) == ["baseline", "midpoint"]
    assert assessments.open_phases(cohort, cohort.starts_on) == ["baseline"]
    assert assessments.open_phases(cohort, assessments.final_window_opens(cohort)) == ["baseline", "final"]


def test_due_items_follow_the_cohort_dates_and_what_is_given(tenant_a):
    start = make_workspace_pair(tenant_a)
    mid = make_workspace_pair(tenant_a, started_days_ago=100, length_days=180, skill_names=("Coaching",))
    end = make_workspace_pair(tenant_a, mentees=2, started_days_ago=170, length_days=180, skill_names=("Writing",))

    def due(pair, membership):
        with tenant_a.scope():
            me = pair.participant(membership)
            return [(i.kind, i.phase, i.mentee.pk if i.mentee else None, i.optional) for i in workspace_for(
                mentorship=pair.mentorship, me=me).due]  # fmt: skip

    assert due(start, start.mentee) == [("assessment", "baseline", None, False), ("pulse", "start", None, False)]
    assert due(mid, mid.mentee) == [
        ("assessment", "baseline", None, False), ("assessment", "midpoint", None, True), ("pulse", "start", None, False)
    ]  # fmt: skip
    first, second = (end.participant(m).application.pk for m in end.mentees)
    assert due(end, end.mentor) == [
        ("assessment", "baseline", first, False), ("assessment", "baseline", second, False),
        ("assessment", "final", first, False), ("assessment", "final", second, False),
        ("pulse", "start", None, False), ("pulse", "end", None, False),
    ]  # fmt: skip
    mentee = start.participant(start.mentee).application
    with tenant_a.scope():
        assessments.assessment_submit(
            mentorship=start.mentorship,
            mentee=mentee,
            assessor=start.mentee,
            phase="baseline",
            ratings=ratings_for(start),
        )
        assessments.pulse_submit(
            mentorship=start.mentorship, participant=start.mentee, phase="start", cross_department_colleagues=4,
            trust_other_departments=3,
        )  # fmt: skip
    assert due(start, start.mentee) == []
    assert due(start, start.mentor) == [("assessment", "baseline", mentee.pk, False), ("pulse", "start", None, False)]
    with tenant_a.scope():
        Mentorship.objects.filter(pk=end.mentorship.pk).update(status=Mentorship.Status.ENDED)
    end.reload()
    assert due(end, end.mentor) == []


def test_pulse_start_any_time_end_in_the_final_window_and_replaced_when_given_again(tenant_a):
    pair = make_workspace_pair(tenant_a)
    values = {"mentorship": pair.mentorship, "participant": pair.mentee, "trust_other_departments": 3}
    with tenant_a.scope():
        assessments.pulse_submit(phase="start", cross_department_colleagues=2, **values)
        assessments.pulse_submit(phase="start", cross_department_colleagues=5, **values)
        assert list(PulseSurvey.objects.values_list("phase", "cross_department_colleagues")) == [("start", 5)]
        with pytest.raises(ValidationError) as excinfo:
            assessments.pulse_submit(phase="end", cross_department_colleagues=6, **values)
        assert error_fields(excinfo) == {"phase"}
        with pytest.raises(ValidationError) as excinfo:
            assessments.pulse_submit(phase="start", cross_department_colleagues=501, **values)
        assert "cross_department_colleagues" in error_fields(excinfo)
        with pytest.raises(Http404):
            assessments.pulse_submit(
                **{**values, "participant": tenant_a.admin}, phase="start", cross_department_colleagues=1
            )
        assert PulseSurvey.objects.count() == 1
