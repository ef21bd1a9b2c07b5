"""The participant's workspace pages: My mentorships, My mentorship (people, flow, sessions, goals, what is due,
timeline) in a constant number of queries, and the forms to schedule, log, confirm, correct, give feedback, set
goals and action items, assess and answer the pulse. Field errors land on their fields and keep the input."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from matching.models import RematchRequest
from mentorship.tenancy.models import Membership
from programs.models import (
    ActionItem,
    Application,
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
from programs.workspace import feedback, goals, sessions
from programs.workspace.selectors import TIMELINE_PAGE_SIZE
from tests import factories
from tests.conftest import login
from tests.programs.workspace_setup import (
    MENTEE_NAMES,
    MENTOR_NAME,
    local_input,
    make_workspace_pair,
    publish_pairs,
    url,
)


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def ahead(**delta):
    return timezone.now() + timedelta(**delta)


def detail_url(pair):
    return url("mentorship_detail", pair.tenant, mentorship_id=pair.mentorship.pk)


def held(pair, by=None, **fields):
    values = {"starts_at": ago(days=2), "duration_minutes": 60, **fields}
    with pair.tenant.scope():
        return sessions.session_log(mentorship=pair.mentorship, logged_by=by or pair.mentor, **values)


def scheduled(pair, **fields):
    values = {"starts_at": ahead(days=2), **fields}
    with pair.tenant.scope():
        return sessions.session_schedule(mentorship=pair.mentorship, scheduled_by=pair.mentor, **values)


def log_post(pair, **overrides):
    data = {
        "starts_at": local_input(ago(hours=2)),
        "duration_minutes": "45",
        "stage": str(pair.stages[0].pk),
        "reflection_stage": str(pair.stages[0].pk),
        "topics": "Goals for the quarter",
        "shared_notes": "We agreed on two goals.",
        "private_note": "Keep an eye on the workload.",
        "reflection_0": "Grow as a facilitator",
        "reflection_1": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def session_count(pair) -> int:
    with pair.tenant.scope():
        return MentoringSession.objects.count()


# --- My mentorships ---


def test_my_mentorships_lists_mine_with_the_people_and_sessions(client, tenants):
    tenant_a, tenant_b = tenants
    pair = make_workspace_pair(tenant_a)
    make_workspace_pair(tenant_a, cohort=pair.cohort)  # someone else's in the same cohort
    make_workspace_pair(tenant_b)
    held(pair)
    next_one = scheduled(pair, starts_at=ahead(days=3))
    response = login(client, pair.mentee).get(url("my_mentorships", tenant_a))
    assert response.status_code == 200
    assert [row.mentorship.pk for row in response.context["rows"]] == [pair.mentorship.pk]
    content = response.content.decode()
    assert "Build Together" in content and MENTOR_NAME in content and "you are the mentee" in content
    assert "1 session held" in content
    assert f"next on {timezone.localtime(next_one.starts_at):%a} " in content


def test_my_mentorships_says_what_to_do_without_one(client, tenant_a):
    response = login(client, tenant_a.member).get(url("my_mentorships", tenant_a))
    assert response.status_code == 200
    assert b"No mentorship yet" in response.content and b"See the opportunities" in response.content


def test_my_mentorships_runs_a_constant_number_of_queries(client, tenant_a, django_assert_num_queries):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentor)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("my_mentorships", tenant_a)).status_code == 200
    for _ in range(3):  # the same mentor in three more cohorts, with sessions
        other = make_workspace_pair(tenant_a, mentees=2)
        with tenant_a.scope():
            Application.objects.filter(pk=other.mentorship.mentor_id).update(membership=pair.mentor)
        other.reload()
        held(other, by=other.mentees[0])
    with django_assert_num_queries(len(one)):
        response = client.get(url("my_mentorships", tenant_a))
    assert len(response.context["rows"]) == 4


def test_every_member_sees_my_mentorships_in_the_sidebar(client, tenant_a):
    for membership in (tenant_a.member, tenant_a.admin):
        response = login(client, membership).get(url("org_home", tenant_a))
        assert f'href="{url("my_mentorships", tenant_a)}"'.encode() in response.content
        assert b"My mentorships" in response.content


# --- My mentorship ---


def test_the_page_shows_people_flow_sessions_goals_and_what_is_due(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    first = held(
        pair, by=pair.mentor, stage=pair.stages[0].pk, topics="Expectations", shared_notes="We met in the café.",
        attended=[pair.mentor.pk, pair.mentees[0].pk], reflection_answers=["Learn to facilitate"],
    )  # fmt: skip
    next_one = scheduled(pair, starts_at=ahead(days=2), location="https://meet.example/abc")
    later = scheduled(pair, starts_at=ahead(days=9), location="Room 4.12")
    with tenant_a.scope():
        goal = goals.goal_create(
            mentorship=pair.mentorship, created_by=pair.mentee, title="Run the planning workshop",
            skill=pair.skills[0].pk, target_date=pair.cohort.ends_on,
        )  # fmt: skip
        goals.action_item_create(
            mentorship=pair.mentorship, created_by=pair.mentee, title="Draft the agenda", goal=goal.pk
        )
        pair.mentor.job_title = "Head of Sales"
        pair.mentor.save()
    response = login(client, pair.mentee).get(detail_url(pair))
    assert response.status_code == 200
    content = response.content.decode()
    # People: name, department, role
    for name in (MENTOR_NAME, *MENTEE_NAMES[:2]):
        assert name in content
    assert str(pair.mentor.department) in content and "Head of Sales" in content
    # The flow: stage 2 of 4 is current, with what it is for and its prompts
    assert "Stage 2 of 4: Identify strengths and growth areas" in content
    assert pair.stages[1].objectives.replace("'", "&#x27;") in content
    assert all(prompt in content for prompt in pair.stages[1].reflection_prompts)
    assert "1 of 4 stages held" in content
    # Next and upcoming sessions
    workspace = response.context["workspace"]
    assert workspace.next_session.pk == next_one.pk and [s.pk for s in workspace.upcoming] == [next_one.pk, later.pk]
    assert 'href="https://meet.example/abc"' in content and "Room 4.12" in content
    # Goals and action items
    assert "Run the planning workshop" in content and "Draft the agenda" in content
    # The timeline entry
    assert f'id="session-{first.pk}"' in content
    for text in ("Held", "Logged by one side", "60 min", "Stage 1: Establish trust and define goals", "Expectations",
                 "We met in the café.", "Learn to facilitate"):  # fmt: skip
        assert text in content, text
    assert f"{MENTEE_NAMES[1]} ✗" in content  # the second mentee missed it
    # What is due: confirm the mentor's log, feedback, baseline assessment, start pulse
    assert url("mentorship_session_confirm", tenant_a, session_id=first.pk) in content
    assert url("mentorship_session_feedback", tenant_a, session_id=first.pk) in content
    assert url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase="baseline") in content
    assert url("mentorship_pulse", tenant_a, mentorship_id=pair.mentorship.pk, phase="start") in content


def test_confirm_and_correct_buttons_are_for_the_other_side_only(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    session = held(pair, by=pair.mentees[0])
    confirm = url("mentorship_session_confirm", tenant_a, session_id=session.pk)
    for viewer, shown in ((pair.mentor, True), (pair.mentees[0], False), (pair.mentees[1], False)):
        content = login(client, viewer).get(detail_url(pair)).content.decode()
        assert (confirm in content) is shown, viewer
        assert ("Waiting for the other side to confirm." in content) is not shown


def test_an_empty_mentorship_says_what_to_do_next(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    content = login(client, pair.mentor).get(detail_url(pair)).content.decode()
    for text in ("No session is scheduled.", "No session logged yet.", "No open goals.", "No open action items.",
                 "Stage 1 of 4: Establish trust and define goals"):  # fmt: skip
        assert text in content, text


def test_a_past_scheduled_session_is_offered_to_log_as_held(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = scheduled(pair, starts_at=ahead(minutes=1))
    with tenant_a.scope():
        MentoringSession.objects.filter(pk=session.pk).update(starts_at=ago(hours=1))
    content = login(client, pair.mentee).get(detail_url(pair)).content.decode()
    assert "Scheduled, not logged yet" in content
    assert url("mentorship_session_log_scheduled", tenant_a, session_id=session.pk) in content


def test_the_page_runs_the_same_number_of_queries_for_2_and_12_sessions(client, tenant_a, django_assert_num_queries):
    def build(count):
        pair = make_workspace_pair(tenant_a, mentees=3)
        with tenant_a.scope():
            for n in range(count):
                session = sessions.session_log(
                    mentorship=pair.mentorship, logged_by=pair.mentees[n % 3], starts_at=ago(days=n + 1),
                    duration_minutes=60, stage=pair.stages[n % 4].pk, shared_notes=f"notes {n}",
                    private_note=f"mine {n}", attended=[pair.mentor.pk, pair.mentees[n % 3].pk],
                )  # fmt: skip
                session.mentorship = pair.mentorship
                feedback.feedback_submit(session=session, author=pair.mentees[n % 3], rating=4)
                sessions.private_note_set(session=session, author=pair.mentor, text=f"mentor {n}")
                goal = goals.goal_create(
                    mentorship=pair.mentorship, created_by=pair.mentor, title=f"Goal {n}", skill=pair.skills[0].pk,
                    mentee=pair.participant(pair.mentees[n % 3]).application.pk,
                )  # fmt: skip
                goals.action_item_create(
                    mentorship=pair.mentorship, created_by=pair.mentor, title=f"Item {n}", owner=pair.mentees[n % 3].pk,
                    goal=goal.pk,
                )  # fmt: skip
                sessions.session_schedule(
                    mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=ahead(days=n + 1),
                    stage=pair.stages[n % 4].pk,
                )  # fmt: skip
        return pair

    small, large = build(2), build(12)
    login(client, small.mentor)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(detail_url(small)).status_code == 200
    login(client, large.mentor)
    with django_assert_num_queries(len(baseline)):
        response = client.get(detail_url(large))
    workspace = response.context["workspace"]
    assert len(workspace.timeline) == TIMELINE_PAGE_SIZE and workspace.timeline_page.paginator.count == 12
    assert len(workspace.upcoming) == 12


def test_the_timeline_is_paginated_while_what_is_due_counts_every_past_session(
    client, tenant_a, django_assert_num_queries
):
    """A long mentorship renders one page of its history (the page's time grew with it: the load test found
    it); feedback due and the totals still cover every session, in the same number of queries."""
    short, long = make_workspace_pair(tenant_a), make_workspace_pair(tenant_a)
    with tenant_a.scope():
        held(short, starts_at=ago(days=1))
        for n in range(25):
            held(long, by=long.mentor, starts_at=ago(days=n + 1), shared_notes=f"notes {n}")
    login(client, short.mentee)
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(detail_url(short)).status_code == 200
    login(client, long.mentee)
    with django_assert_num_queries(len(baseline)):
        first = client.get(detail_url(long))
    workspace = first.context["workspace"]
    assert [entry.session.shared_notes for entry in workspace.timeline] == [f"notes {n}" for n in range(10)]
    assert len(workspace.feedback_due) == 25 and len(workspace.to_confirm) == 25  # beyond the page too
    content = first.content.decode()
    assert "25 sessions held" in content and "Sessions 1-10 of 25" in content
    # What's due lists the newest five of each kind and counts the rest.
    due = content.split('id="due-heading"')[1].split("</section>")[0]
    assert due.count("<strong>Confirm</strong>") == 5 and due.count("<strong>Feedback</strong>") == 5
    slug = tenant_a.organization.slug
    confirm = [reverse("mentorship_session_confirm", args=[slug, s.pk]) for s in workspace.to_confirm]
    assert [url in due for url in confirm] == [True] * 5 + [False] * 20  # the newest five
    assert "…and 20 older logs to confirm" in due and "…and feedback on 20 older sessions" in due
    assert "notes 9" in content and "notes 10" not in content
    assert '?page=2#timeline">Older sessions' in content and "Newer sessions" not in content
    last = client.get(detail_url(long) + "?page=3").content.decode()
    assert "Sessions 21-25 of 25" in last and "notes 24" in last and "notes 19" not in last
    assert '?page=2#timeline">Newer sessions' in last and "Older sessions" not in last
    for page in ("99", "nope", "-1"):  # out of range or not a number: the nearest page, never an error
        assert client.get(detail_url(long) + f"?page={page}").status_code == 200


def test_a_mentee_who_left_a_group_still_shows_in_the_sessions_they_logged_and_attended(
    client, tenant_a, django_assert_max_num_queries
):
    """The timeline's people come from the participants the page loaded; someone no longer among them (who left
    the group, or moved at a re-match) is read in one more query, not one per session."""
    pair = make_workspace_pair(tenant_a, mentees=3)
    leaver = pair.mentees[2]
    with tenant_a.scope():
        for n in range(3):
            sessions.session_log(
                mentorship=pair.mentorship, logged_by=leaver, starts_at=ago(days=n + 1), duration_minutes=60,
                attended=[pair.mentor.pk, leaver.pk],
            )  # fmt: skip
        pair.mentorship.mentees.filter(mentee__membership=leaver).delete()
    login(client, pair.mentor)
    with CaptureQueriesContext(connection) as queries:
        content = client.get(detail_url(pair)).content.decode()
    assert content.count(f"no stage · logged by {MENTEE_NAMES[2]}") == 3
    assert content.count(f'<span class="attendee present">{MENTEE_NAMES[2]} ✓') == 3
    assert content.count(f'<span class="attendee absent">{MENTEE_NAMES[0]} ✗') == 3
    with tenant_a.scope():
        held(pair, by=leaver, starts_at=ago(days=5), attended=[pair.mentor.pk, leaver.pk])
    with django_assert_max_num_queries(len(queries)):
        assert client.get(detail_url(pair)).content.decode().count(f"no stage · logged by {MENTEE_NAMES[2]}") == 4


def test_times_are_shown_and_read_in_the_members_time_zone(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        Membership.objects.filter(pk=pair.mentor.pk).update(time_zone="Asia/Tokyo")
    login(client, pair.mentor)
    starts = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    in_tokyo = starts.astimezone(ZoneInfo("Asia/Tokyo"))
    client.post(
        url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk),
        log_post(pair, starts_at=in_tokyo.strftime("%Y-%m-%dT%H:%M")),
    )
    with tenant_a.scope():
        assert MentoringSession.objects.get().starts_at == starts
    content = client.get(detail_url(pair)).content.decode()
    assert f"{in_tokyo:%H:%M}" in content and "Times in Asia/Tokyo." in content


# --- Schedule, reschedule, cancel ---


def test_schedule_a_session(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentee)
    schedule = url("mentorship_session_schedule", tenant_a, mentorship_id=pair.mentorship.pk)
    assert client.get(schedule).status_code == 200
    response = client.post(
        schedule,
        {"starts_at": local_input(ahead(days=4)), "duration_minutes": "45", "location": "https://meet.example/x",
         "stage": str(pair.stages[1].pk)},
        follow=True,
    )  # fmt: skip
    assert response.redirect_chain[-1][0] == detail_url(pair) + "#upcoming"
    assert b"Session scheduled for" in response.content
    with tenant_a.scope():
        session = MentoringSession.objects.get()
    assert (session.status, session.duration_minutes, session.stage_id) == ("scheduled", 45, pair.stages[1].pk)
    assert session.scheduled_by_id == pair.mentee.pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_at": "past"}, "starts_at"),
        ({"starts_at": "not a date"}, "starts_at"),
        ({"duration_minutes": "481"}, "duration_minutes"),
        ({"duration_minutes": "2"}, "duration_minutes"),
        ({"stage": "foreign"}, "stage"),
    ],
)
def test_schedule_shows_errors_on_their_fields_and_keeps_the_input(client, tenant_a, overrides, field):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        foreign_stage = factories.make_program("Another").stages.first()
    data = {"starts_at": local_input(ahead(days=4)), "duration_minutes": "45", "location": "Room 7.01", "stage": ""}
    data.update(overrides)
    data["starts_at"] = local_input(ago(days=1)) if data["starts_at"] == "past" else data["starts_at"]
    data["stage"] = str(foreign_stage.pk) if data["stage"] == "foreign" else data["stage"]
    response = login(client, pair.mentor).post(
        url("mentorship_session_schedule", tenant_a, mentorship_id=pair.mentorship.pk), data
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'id="id_{field}_error"'.encode() in response.content
    assert b'value="Room 7.01"' in response.content
    assert session_count(pair) == 0


def test_reschedule_and_cancel(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = scheduled(pair, starts_at=ahead(days=2), location="Room 1")
    login(client, pair.mentee)
    reschedule = url("mentorship_session_reschedule", tenant_a, session_id=session.pk)
    page = client.get(reschedule)
    assert page.status_code == 200 and b'value="Room 1"' in page.content
    new_time = ahead(days=5).replace(second=0, microsecond=0)
    response = client.post(
        reschedule, {"starts_at": local_input(new_time), "duration_minutes": "30", "location": "Room 2", "stage": ""}
    )
    assert response.status_code == 302
    with tenant_a.scope():
        session.refresh_from_db()
    assert (session.starts_at, session.duration_minutes, session.location) == (new_time, 30, "Room 2")
    response = client.post(url("mentorship_session_cancel", tenant_a, session_id=session.pk), follow=True)
    assert b"is cancelled" in response.content
    with tenant_a.scope():
        assert MentoringSession.objects.get().status == MentoringSession.Status.CANCELLED
    assert "Cancelled" in client.get(detail_url(pair)).content.decode()


# --- Log ---


def test_log_form_defaults_to_the_current_stage_and_a_recent_past_start(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    held(pair, stage=pair.stages[0].pk)
    response = login(client, pair.mentee).get(url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk))
    form = response.context["form"]
    assert form.initial["stage"] == pair.stages[1].pk
    assert ago(hours=1, minutes=6) < form.initial["starts_at"] <= ago(hours=1)
    content = response.content.decode()
    assert all(prompt.replace("'", "&#x27;") in content for prompt in pair.stages[1].reflection_prompts)
    assert "Only you can read this." in content and "Visible to everyone in this mentorship." in content
    assert content.count('name="attendance"') == 3  # a group: one checkbox per participant


def test_a_one_to_one_log_asks_no_attendance(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    response = login(client, pair.mentor).get(url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk))
    assert b'name="attendance"' not in response.content


def test_log_a_session_in_one_post(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    login(client, pair.mentor)
    response = client.post(
        url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk),
        log_post(pair, attendance=[str(pair.mentor.pk), str(pair.mentees[1].pk)]),
        follow=True,
    )
    assert response.status_code == 200
    assert b"logged. The other side of the mentorship can now confirm it" in response.content
    with tenant_a.scope():
        session = MentoringSession.objects.get()
        attendance = dict(SessionAttendance.objects.values_list("membership_id", "attended"))
        note = PrivateNote.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(pair) + f"#session-{session.pk}"
    assert (session.status, session.duration_minutes, session.stage_id) == ("held", 45, pair.stages[0].pk)
    assert (session.topics, session.shared_notes) == ("Goals for the quarter", "We agreed on two goals.")
    assert session.reflection_answers == [
        {"prompt": pair.stages[0].reflection_prompts[0], "answer": "Grow as a facilitator"}
    ]
    assert session.logged_by_id == pair.mentor.pk and session.confirmation == "one_sided"
    assert attendance == {pair.mentor.pk: True, pair.mentees[0].pk: False, pair.mentees[1].pk: True}
    assert (note.author_id, note.text) == (pair.mentor.pk, "Keep an eye on the workload.")


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("in the future", "starts_at"),
        ("too short", "duration_minutes"),
        ("too long", "duration_minutes"),
        ("stage of another program", "stage"),
        ("attendee outside the match", "attendance"),
        ("nobody attended", "attendance"),
    ],
)
def test_log_errors_land_on_their_fields_and_nothing_is_lost(client, tenant_a, case, field):
    pair = make_workspace_pair(tenant_a, mentees=2)
    stranger = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope():
        foreign_stage = factories.make_program("Another").stages.first()
    overrides = {
        "in the future": {"starts_at": local_input(ahead(days=1))},
        "too short": {"duration_minutes": "4"},
        "too long": {"duration_minutes": "481"},
        "stage of another program": {"stage": str(foreign_stage.pk)},
        "attendee outside the match": {"attendance": [str(pair.mentor.pk), str(stranger.mentee.pk)]},
        "nobody attended": {"attendance": None},
    }[case]
    data = log_post(pair, **{"attendance": [str(pair.mentor.pk)], **overrides})
    response = login(client, pair.mentor).post(
        url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk), data
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert f'id="id_{field}_error"'.encode() in response.content
    content = response.content.decode()
    assert "We agreed on two goals." in content and "Keep an eye on the workload." in content
    assert session_count(pair) == 0


def test_a_changed_stage_without_new_prompts_asks_to_check_the_answers(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    response = login(client, pair.mentor).post(
        url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk),
        log_post(pair, stage=str(pair.stages[2].pk), reflection_stage=str(pair.stages[0].pk)),
    )
    assert response.status_code == 400
    assert "The reflection prompts changed with the stage" in response.context["form"].errors["stage"][0]
    content = response.content.decode()
    assert pair.stages[2].reflection_prompts[0] in content and "Grow as a facilitator" in content
    assert f'name="reflection_stage" value="{pair.stages[2].pk}"' in content
    assert session_count(pair) == 0


def test_the_prompts_follow_the_chosen_stage(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    prompts = url("mentorship_session_prompts", tenant_a, mentorship_id=pair.mentorship.pk)
    login(client, pair.mentee)
    response = client.get(prompts, {"stage": pair.stages[3].pk}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200 and 'id="reflection-prompts"' in content
    assert all(prompt in content for prompt in pair.stages[3].reflection_prompts)
    assert pair.stages[0].reflection_prompts[0] not in content
    assert "Choose a stage" in client.get(prompts, {"stage": ""}).content.decode()
    assert "Choose a stage" in client.get(prompts, {"stage": "junk"}).content.decode()


def test_log_a_scheduled_session_as_held_from_its_timeline_entry(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = scheduled(pair, starts_at=ahead(minutes=1), stage=pair.stages[1].pk)
    with tenant_a.scope():
        MentoringSession.objects.filter(pk=session.pk).update(starts_at=ago(hours=3).replace(second=0, microsecond=0))
        session.refresh_from_db()
    login(client, pair.mentee)
    log_url = url("mentorship_session_log_scheduled", tenant_a, session_id=session.pk)
    form = client.get(log_url).context["form"]
    assert form.initial["stage"] == pair.stages[1].pk and form.initial["starts_at"] == session.starts_at
    data = log_post(
        pair, starts_at=local_input(session.starts_at), stage=str(pair.stages[1].pk),
        reflection_stage=str(pair.stages[1].pk), reflection_0="Listening",
    )  # fmt: skip
    assert client.post(log_url, data).status_code == 302
    with tenant_a.scope():
        session.refresh_from_db()
        assert MentoringSession.objects.count() == 1
    assert (session.status, session.logged_by_id, session.confirmation) == ("held", pair.mentee.pk, "one_sided")
    again = client.get(log_url, follow=True)
    assert b"This session is logged already" in again.content


# --- Confirm and correct ---


def test_the_other_side_confirms(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(pair, by=pair.mentor)
    response = login(client, pair.mentee).post(
        url("mentorship_session_confirm", tenant_a, session_id=session.pk), follow=True
    )
    assert b"is confirmed by both sides" in response.content
    assert b"Confirmed by both sides" in response.content
    with tenant_a.scope():
        session.refresh_from_db()
    assert (session.confirmation, session.confirmed_by_id) == ("confirmed", pair.mentee.pk)


def test_the_logging_side_cannot_confirm_its_own_log(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(pair, by=pair.mentor)
    response = login(client, pair.mentor).post(
        url("mentorship_session_confirm", tenant_a, session_id=session.pk), follow=True
    )
    assert b"the other side of the mentorship confirms a log" in response.content.lower()
    with tenant_a.scope():
        assert MentoringSession.objects.get().confirmation == "one_sided"


def test_the_other_side_corrects_from_a_pre_filled_form(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(
        pair, by=pair.mentor, duration_minutes=90, stage=pair.stages[0].pk, topics="Expectations",
        shared_notes="Long first chat.", reflection_answers=["Grow", "Workshop"], private_note="mentor only",
    )  # fmt: skip
    correct = url("mentorship_session_correct", tenant_a, session_id=session.pk)
    login(client, pair.mentee)
    page = client.get(correct)
    content = page.content.decode()
    assert page.status_code == 200 and "Logged by Mona Mentor" in content
    for value in ('value="90"', 'value="Expectations"', "Long first chat.", "Grow", "Workshop"):
        assert value in content, value
    assert "mentor only" not in content
    data = log_post(
        pair, starts_at=local_input(session.starts_at), duration_minutes="60", topics="Expectations and goals",
        shared_notes="Long first chat.", reflection_0="Grow", reflection_1="Workshop", private_note="my side",
    )  # fmt: skip
    response = client.post(correct, data, follow=True)
    assert b"corrected; it now counts as confirmed" in response.content
    assert b"Corrected by Mia Mentee" in response.content
    with tenant_a.scope():
        session.refresh_from_db()
        notes = dict(PrivateNote.objects.values_list("author_id", "text"))
    assert (session.duration_minutes, session.topics, session.confirmation) == (
        60,
        "Expectations and goals",
        "corrected",
    )
    assert notes == {pair.mentor.pk: "mentor only", pair.mentee.pk: "my side"}


def test_a_correction_with_bad_input_shows_the_errors_and_changes_nothing(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(pair, by=pair.mentor, duration_minutes=90)
    response = login(client, pair.mentee).post(
        url("mentorship_session_correct", tenant_a, session_id=session.pk),
        log_post(pair, starts_at=local_input(ahead(days=1)), duration_minutes="30"),
    )
    assert response.status_code == 400 and list(response.context["form"].errors) == ["starts_at"]
    with tenant_a.scope():
        session.refresh_from_db()
        assert not PrivateNote.objects.exists()
    assert (session.duration_minutes, session.confirmation) == (90, "one_sided")


def test_the_logging_side_is_told_the_other_side_corrects(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(pair, by=pair.mentor, duration_minutes=90)
    correct = url("mentorship_session_correct", tenant_a, session_id=session.pk)
    login(client, pair.mentor)
    assert b"You are on the side that logged this session" in client.get(correct).content
    response = client.post(correct, log_post(pair, starts_at=local_input(session.starts_at), duration_minutes="30"))
    assert response.status_code == 400
    with tenant_a.scope():
        assert MentoringSession.objects.get().duration_minutes == 90


# --- Feedback ---


def test_feedback_on_the_first_session_asks_the_pairing_fit(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    first = held(pair, starts_at=ago(days=10))
    second = held(pair, starts_at=ago(days=2))
    login(client, pair.mentee)
    assert (
        b"is this pairing a good fit?"
        in client.get(url("mentorship_session_feedback", tenant_a, session_id=first.pk)).content
    )
    assert (
        b"is this pairing a good fit?"
        not in client.get(url("mentorship_session_feedback", tenant_a, session_id=second.pk)).content
    )
    missing = client.post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk), {"rating": "5", "comment": "Kept"}
    )
    assert missing.status_code == 400 and list(missing.context["form"].errors) == ["pairing_fit"]
    assert b"Kept" in missing.content
    response = client.post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk),
        {"rating": "5", "comment": "Great start", "pairing_fit": "good"},
        follow=True,
    )
    assert b"Thank you for your feedback." in response.content
    with tenant_a.scope():
        assert list(SessionFeedback.objects.values_list("session_id", "rating", "comment", "pairing_fit")) == [
            (first.pk, 5, "Great start", "good")
        ]
    # once: the page now shows what was given, a second post changes nothing
    again = client.get(url("mentorship_session_feedback", tenant_a, session_id=first.pk))
    assert b"You gave this session 5 of 5" in again.content
    client.post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk), {"rating": "1", "pairing_fit": "unsure"}
    )
    with tenant_a.scope():
        assert list(SessionFeedback.objects.values_list("rating", flat=True)) == [5]
    assert "✓ Your feedback is in" in client.get(detail_url(pair)).content.decode()


@pytest.mark.parametrize("rating", ["0", "6", "", "x"])
def test_feedback_rating_errors(client, tenant_a, rating):
    pair = make_workspace_pair(tenant_a)
    first = held(pair)
    response = login(client, pair.mentee).post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk), {"rating": rating, "pairing_fit": "good"}
    )
    assert response.status_code == 400 and list(response.context["form"].errors) == ["rating"]
    with tenant_a.scope():
        assert not SessionFeedback.objects.exists()


def test_not_a_good_fit_tells_the_participant_the_program_team_will_look(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    publish_pairs(pair)
    first = held(pair)
    response = login(client, pair.mentee).post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk),
        {"rating": "2", "comment": "Our schedules never fit.", "pairing_fit": "not_good"},
        follow=True,
    )
    assert b"the program team will look at it" in response.content
    with tenant_a.scope():
        request = RematchRequest.objects.select_related("mentee").get()
    assert (request.mentee.membership_id, request.reason) == (pair.mentee.pk, "Our schedules never fit.")


def test_a_group_mentor_saying_not_a_good_fit_is_pointed_to_the_mentees(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    first = held(pair)
    response = login(client, pair.mentor).post(
        url("mentorship_session_feedback", tenant_a, session_id=first.pk),
        {"rating": "2", "pairing_fit": "not_good"},
        follow=True,
    )
    assert "“Not a good fit?” next to them under People" in response.content.decode()
    for mentee in pair.mentees:
        application = pair.participant(mentee).application
        assert url("match_rematch_new", tenant_a, application_id=application.pk) in response.content.decode()


# --- Private notes ---


def test_a_participant_saves_and_deletes_their_own_private_note(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    session = held(pair)
    note_url = url("mentorship_session_private_note", tenant_a, session_id=session.pk)
    login(client, pair.mentee)
    response = client.post(note_url, {"private_note": "Ask about the budget."}, follow=True)
    assert b"Your private note is saved." in response.content and b"Ask about the budget." in response.content
    with tenant_a.scope():
        assert list(PrivateNote.objects.values_list("author_id", "text")) == [(pair.mentee.pk, "Ask about the budget.")]
    client.post(note_url, {"private_note": ""})
    with tenant_a.scope():
        assert not PrivateNote.objects.exists()


# --- Goals and action items ---


def test_create_a_goal(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentee)
    create = url("mentorship_goal_create", tenant_a, mentorship_id=pair.mentorship.pk)
    page = client.get(create)
    assert page.status_code == 200 and b'name="mentee"' not in page.content
    assert all(skill.name.encode() in page.content for skill in pair.skills)
    response = client.post(
        create,
        {"title": "Run the planning workshop", "measure": "Two workshops", "target_date": str(pair.cohort.ends_on),
         "skill": str(pair.skills[1].pk)},
        follow=True,
    )  # fmt: skip
    assert b"Goal \xe2\x80\x9cRun the planning workshop\xe2\x80\x9d added" in response.content
    with tenant_a.scope():
        goal = Goal.objects.select_related("mentee").get()
    assert (goal.mentee.membership_id, goal.skill_id, goal.measure) == (
        pair.mentee.pk,
        pair.skills[1].pk,
        "Two workshops",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"target_date": "yesterday"}, "target_date"),
        ({"target_date": "before"}, "target_date"),
        ({"skill": "foreign"}, "skill"),
        ({"mentee": ""}, "mentee"),
        ({"mentee": "stranger"}, "mentee"),
    ],
)
def test_goal_errors_land_on_their_fields(client, tenant_a, data, field):
    pair = make_workspace_pair(tenant_a, mentees=2)
    stranger = make_workspace_pair(tenant_a, cohort=pair.cohort)
    with tenant_a.scope():
        foreign_skill = factories.make_skill("Not in this program")
    post = {
        "title": "Lead a review",
        "measure": "Kept",
        "mentee": str(pair.participant(pair.mentees[0]).application.pk),
    }
    post.update(data)
    post["target_date"] = {"before": str(pair.cohort.starts_on - timedelta(days=1))}.get(
        post.get("target_date"), post.get("target_date", "")
    )
    post["skill"] = str(foreign_skill.pk) if post.get("skill") == "foreign" else post.get("skill", "")
    if post["mentee"] == "stranger":
        post["mentee"] = str(stranger.participant(stranger.mentee).application.pk)
    response = login(client, pair.mentor).post(
        url("mentorship_goal_create", tenant_a, mentorship_id=pair.mentorship.pk), post
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert b'value="Kept"' in response.content
    with tenant_a.scope():
        assert not Goal.objects.exists()


def test_goal_progress_with_its_history(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Lead a review")
    detail = url("mentorship_goal_detail", tenant_a, goal_id=goal.pk)
    login(client, pair.mentor)
    assert b"No progress updates yet." in client.get(detail).content
    response = client.post(
        detail, {"progress": "40", "status": "in_progress", "note": "First draft reviewed"}, follow=True
    )
    assert b"40 %, In progress" in response.content
    client.post(detail, {"progress": "100", "status": "achieved", "note": "Done!"})
    page = client.get(detail).content.decode()
    assert "First draft reviewed" in page and "Done!" in page and page.index("Done!") < page.index("First draft")
    with tenant_a.scope():
        goal.refresh_from_db()
        assert GoalUpdate.objects.count() == 2
    assert (goal.progress, goal.status) == (100, "achieved")
    bad = client.post(detail, {"progress": "140", "status": "in_progress"})
    assert bad.status_code == 400 and list(bad.context["form"].errors) == ["progress"]
    achieved = client.get(detail_url(pair)).content.decode()
    assert "Achieved and dropped (1)" in achieved


def test_add_an_action_item_and_tick_it_done_in_place(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    with tenant_a.scope():
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Lead a review")
    create = url("mentorship_action_item_create", tenant_a, mentorship_id=pair.mentorship.pk)
    login(client, pair.mentee)
    assert client.get(create, {"goal": goal.pk}).context["form"].initial["goal"] == str(goal.pk)
    response = client.post(
        create,
        {"title": "Draft the agenda", "owner": str(pair.mentor.pk), "due_on": "", "goal": str(goal.pk)},
        follow=True,
    )
    assert "Action item “Draft the agenda” added for Mona Mentor." in response.content.decode()
    with tenant_a.scope():
        item = ActionItem.objects.get()
    assert (item.owner_id, item.goal_id, item.created_by_id) == (pair.mentor.pk, goal.pk, pair.mentee.pk)
    done = url("mentorship_action_item_done", tenant_a, item_id=item.pk)
    swapped = client.post(done, {"done": "1"}, HTTP_HX_REQUEST="true")
    content = swapped.content.decode()
    assert swapped.status_code == 200 and content.lstrip().startswith(
        f'<li class="action-item done" id="action-item-{item.pk}"'
    )
    with tenant_a.scope():
        assert ActionItem.objects.get().done_at is not None
    client.post(done, {"done": "0"}, HTTP_HX_REQUEST="true")
    with tenant_a.scope():
        assert ActionItem.objects.get().done_at is None
    plain = client.post(done, {"done": "1"})
    assert plain.status_code == 302 and plain["Location"] == detail_url(pair) + "#action-items"


def test_an_action_item_owner_outside_the_match_is_a_field_error(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    response = login(client, pair.mentee).post(
        url("mentorship_action_item_create", tenant_a, mentorship_id=pair.mentorship.pk),
        {"title": "Draft the agenda", "owner": str(tenant_a.admin.pk)},
    )
    assert response.status_code == 400 and list(response.context["form"].errors) == ["owner"]
    with tenant_a.scope():
        assert not ActionItem.objects.exists()


# --- Assessments and the pulse ---


def test_the_mentee_assesses_themself_with_the_level_descriptions(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    assess = url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase="baseline")
    login(client, pair.mentee)
    page = client.get(assess).content.decode()
    assert "Rate yourself on each skill" in page and "Facilitation level 4" in page
    incomplete = client.post(assess, {f"level_{pair.skills[0].pk}": "2"})
    assert incomplete.status_code == 400 and list(incomplete.context["form"].errors) == [f"level_{pair.skills[1].pk}"]
    data = {f"level_{skill.pk}": "2" for skill in pair.skills} | {f"evidence_{pair.skills[0].pk}": "Ran one meeting"}
    response = client.post(assess, data, follow=True)
    assert b"Baseline (start) assessment of yourself saved." in response.content
    assert (
        url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase="baseline").encode()
        not in (response.content.split(b'id="due"')[1].split(b"</section>")[0])
    )
    with tenant_a.scope():
        rows = set(CapabilityAssessment.objects.values_list("skill_id", "rater", "level", "evidence"))
    assert rows == {(pair.skills[0].pk, "self", 2, "Ran one meeting"), (pair.skills[1].pk, "self", 2, "")}


def test_a_group_mentor_picks_the_mentee_to_assess(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    stranger = make_workspace_pair(tenant_a, cohort=pair.cohort)
    assess = url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase="baseline")
    login(client, pair.mentor)
    chooser = client.get(assess).content.decode()
    second = pair.participant(pair.mentees[1]).application
    assert "Whom do you assess?" in chooser and f"?mentee={second.pk}" in chooser
    data = {f"level_{skill.pk}": "3" for skill in pair.skills}
    assert client.post(f"{assess}?mentee={second.pk}", data).status_code == 302
    foreign = stranger.participant(stranger.mentee).application
    assert client.post(f"{assess}?mentee={foreign.pk}", data).status_code == 404
    with tenant_a.scope():
        assert set(CapabilityAssessment.objects.values_list("mentee_id", "rater")) == {(second.pk, "mentor")}


def test_an_assessment_phase_not_open_yet_says_when_it_opens(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentee)
    for phase in ("midpoint", "final"):
        page = client.get(url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase=phase))
        assert page.status_code == 200 and b"assessment opens on" in page.content
        data = {f"level_{skill.pk}": "3" for skill in pair.skills}
        refused = client.post(
            url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase=phase), data
        )
        assert refused.status_code == 400 and b"assessment opens on" in refused.content
    unknown = client.get(url("mentorship_assessment", tenant_a, mentorship_id=pair.mentorship.pk, phase="someday"))
    assert unknown.status_code == 404
    with tenant_a.scope():
        assert not CapabilityAssessment.objects.exists()


def test_the_collaboration_pulse(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    start = url("mentorship_pulse", tenant_a, mentorship_id=pair.mentorship.pk, phase="start")
    login(client, pair.mentor)
    bad = client.post(start, {"cross_department_colleagues": "-1", "trust_other_departments": "9"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"cross_department_colleagues", "trust_other_departments"}
    response = client.post(start, {"cross_department_colleagues": "6", "trust_other_departments": "4"}, follow=True)
    assert b"your collaboration pulse is saved" in response.content
    with tenant_a.scope():
        pulse = PulseSurvey.objects.select_related("application").get()
    assert (pulse.application.membership_id, pulse.phase, pulse.cross_department_colleagues) == (
        pair.mentor.pk,
        "start",
        6,
    )
    assert pulse.trust_other_departments == 4
    end = client.get(url("mentorship_pulse", tenant_a, mentorship_id=pair.mentorship.pk, phase="end"))
    assert b"The end-of-cohort pulse opens on" in end.content
    assert (
        client.get(url("mentorship_pulse", tenant_a, mentorship_id=pair.mentorship.pk, phase="middle")).status_code
        == 404
    )


# --- An ended mentorship ---


def test_an_ended_mentorship_is_read_only(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    held(pair, by=pair.mentor)
    with tenant_a.scope():
        Mentorship.objects.filter(pk=pair.mentorship.pk).update(status=Mentorship.Status.ENDED)
    login(client, pair.mentee)
    content = client.get(detail_url(pair)).content.decode()
    assert "This mentorship has ended." in content
    assert url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk) not in content
    response = client.post(url("mentorship_session_log", tenant_a, mentorship_id=pair.mentorship.pk), log_post(pair))
    assert response.status_code == 400 and b"This mentorship has ended" in response.content
    assert session_count(pair) == 1
