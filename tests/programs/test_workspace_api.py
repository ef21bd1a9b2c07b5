"""Workspace API: only a mentorship's participants reach it (everybody else, admins and HR included, gets the
same 404 as another organization's id, and nothing changes), private notes reach their author alone, every bad
input is a 400 naming its field and a state conflict a 409, the lists run a constant number of queries, and a
mentorship goes from scheduling to the pulse through the API alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matching.models import RematchRequest
from mentorship.tenancy.models import Role
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
from tests import factories
from tests.conftest import login
from tests.programs.workspace_setup import MENTEE_NAMES, MENTOR_NAME, make_workspace_pair, publish_pairs

WORKSPACE_MODELS = (
    MentoringSession, SessionAttendance, PrivateNote, Goal, GoalUpdate, ActionItem, SessionFeedback,
    CapabilityAssessment, PulseSurvey, RematchRequest,
)  # fmt: skip


def api(tenant, path: str) -> str:
    return f"/api/orgs/{tenant.organization.slug}/{path}"


def call(client, method: str, url: str, body=None):
    if method == "get":
        return client.get(url, body or {})
    return getattr(client, method)(url, body or {}, content_type="application/json")


def snapshot(tenant) -> dict:
    """Every workspace row of the organization, field by field."""
    with tenant.scope():
        return {
            model.__name__: sorted((model_to_dict(row) for row in model.objects.all()), key=lambda row: row["id"])
            for model in WORKSPACE_MODELS
        }


def ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


def ahead(**delta) -> str:
    return (timezone.now() + timedelta(**delta)).isoformat()


@dataclass
class World:
    """A 1:1 mentorship with a held session the mentor logged, an upcoming and an overdue scheduled one, a goal
    and an action item."""

    pair: object
    held: MentoringSession
    upcoming: MentoringSession
    overdue: MentoringSession
    goal: Goal
    item: ActionItem

    @property
    def mentorship_id(self) -> int:
        return self.pair.mentorship.pk


def build_world(tenant, pair=None) -> World:
    pair = pair or make_workspace_pair(tenant)
    publish_pairs(pair)  # a "not a good fit" that got through would open a re-match request
    now = timezone.now()
    with tenant.scope():
        mentorship = pair.mentorship
        held = sessions.session_log(
            mentorship=mentorship, logged_by=pair.mentor, starts_at=now - timedelta(days=2), duration_minutes=60,
            stage=pair.stages[0].pk,
        )  # fmt: skip
        upcoming = sessions.session_schedule(
            mentorship=mentorship, scheduled_by=pair.mentor, starts_at=now + timedelta(days=3)
        )
        overdue = sessions.session_schedule(
            mentorship=mentorship, scheduled_by=pair.mentor, starts_at=now + timedelta(minutes=1)
        )
        MentoringSession.objects.filter(pk=overdue.pk).update(starts_at=now - timedelta(hours=2))
        goal = goals.goal_create(mentorship=mentorship, created_by=pair.mentee, title="Lead a review")
        item = goals.action_item_create(mentorship=mentorship, created_by=pair.mentee, title="Draft the agenda")
    return World(pair, held, upcoming, overdue, goal, item)


def all_ratings(world, level=5) -> list[dict]:
    return [{"skill": skill.pk, "level": level, "evidence": "Sneaky"} for skill in world.pair.skills]


# (name, method, path, body or None); paths and bodies are built from a World.
ENDPOINTS = [
    ("workspace", "get", lambda w: f"mentorships/{w.mentorship_id}/", None),
    ("sessions", "get", lambda w: f"mentorships/{w.mentorship_id}/sessions/", None),
    (
        "schedule",
        "post",
        lambda w: f"mentorships/{w.mentorship_id}/sessions/",
        lambda w: {"starts_at": ahead(days=9), "duration_minutes": 30, "location": "Sneaky"},
    ),
    (
        "log",
        "post",
        lambda w: f"mentorships/{w.mentorship_id}/sessions/log/",
        lambda w: {
            "starts_at": ago(hours=1),
            "duration_minutes": 30,
            "stage": w.pair.stages[0].pk,
            "shared_notes": "Sneaky",
            "private_note": "Sneaky",
        },
    ),
    ("session", "get", lambda w: f"sessions/{w.held.pk}/", None),
    ("reschedule", "patch", lambda w: f"sessions/{w.upcoming.pk}/", lambda w: {"starts_at": ahead(days=9)}),
    ("log scheduled", "post", lambda w: f"sessions/{w.overdue.pk}/log/", lambda w: {"shared_notes": "Sneaky"}),
    ("cancel", "post", lambda w: f"sessions/{w.upcoming.pk}/cancel/", None),
    ("confirm", "post", lambda w: f"sessions/{w.held.pk}/confirm/", None),
    ("correct", "post", lambda w: f"sessions/{w.held.pk}/correct/", lambda w: {"topics": "Sneaky"}),
    ("private note", "get", lambda w: f"sessions/{w.held.pk}/private-note/", None),
    ("private note write", "put", lambda w: f"sessions/{w.held.pk}/private-note/", lambda w: {"text": "Sneaky"}),
    ("feedback", "get", lambda w: f"sessions/{w.held.pk}/feedback/", None),
    (
        "feedback give",
        "post",
        lambda w: f"sessions/{w.held.pk}/feedback/",
        lambda w: {"rating": 1, "comment": "Sneaky", "pairing_fit": "not_good"},
    ),
    ("goals", "get", lambda w: f"mentorships/{w.mentorship_id}/goals/", None),
    ("goal create", "post", lambda w: f"mentorships/{w.mentorship_id}/goals/", lambda w: {"title": "Sneaky"}),
    ("goal", "get", lambda w: f"goals/{w.goal.pk}/", None),
    ("goal edit", "patch", lambda w: f"goals/{w.goal.pk}/", lambda w: {"title": "Sneaky"}),
    ("goal progress", "post", lambda w: f"goals/{w.goal.pk}/progress/", lambda w: {"progress": 90, "note": "Sneaky"}),
    ("goal updates", "get", lambda w: f"goals/{w.goal.pk}/updates/", None),
    ("action items", "get", lambda w: f"mentorships/{w.mentorship_id}/action-items/", None),
    (
        "action item create",
        "post",
        lambda w: f"mentorships/{w.mentorship_id}/action-items/",
        lambda w: {"title": "Sneaky"},
    ),
    ("action item", "get", lambda w: f"action-items/{w.item.pk}/", None),
    ("action item done", "patch", lambda w: f"action-items/{w.item.pk}/", lambda w: {"done": True}),
    ("assessments", "get", lambda w: f"mentorships/{w.mentorship_id}/assessments/", None),
    (
        "assessment",
        "post",
        lambda w: f"mentorships/{w.mentorship_id}/assessments/",
        lambda w: {"phase": "baseline", "ratings": all_ratings(w)},
    ),
    (
        "pulse",
        "post",
        lambda w: f"mentorships/{w.mentorship_id}/pulse/",
        lambda w: {"phase": "start", "cross_department_colleagues": 9, "trust_other_departments": 5},
    ),
]


@dataclass
class Worlds:
    mine: World
    foreign: World
    neighbour: object
    outsiders: dict


@pytest.fixture
def worlds(tenants) -> Worlds:
    tenant_a, tenant_b = tenants
    mine = build_world(tenant_a)
    neighbour = make_workspace_pair(tenant_a, cohort=mine.pair.cohort)
    foreign = build_world(tenant_b)
    with tenant_a.scope():
        program_admin = factories.make_membership(roles=[Role.PROGRAM_ADMIN])
        hr_analyst = factories.make_membership(roles=[Role.HR_ANALYST])
    outsiders = {
        "mentee of another match in the cohort": (tenant_a, neighbour.mentee),
        "mentor of another match in the cohort": (tenant_a, neighbour.mentor),
        "program admin": (tenant_a, program_admin),
        "org admin": (tenant_a, tenant_a.admin),
        "HR analyst": (tenant_a, hr_analyst),
        "participant in another org, own address": (tenant_b, foreign.pair.mentee),
        "other org admin, own address": (tenant_b, tenant_b.admin),
        "participant in another org, this address": (tenant_a, foreign.pair.mentee),
    }
    return Worlds(mine, foreign, neighbour, outsiders)


# --- Isolation ---


@pytest.mark.parametrize(("name", "method", "path", "body"), ENDPOINTS, ids=[case[0] for case in ENDPOINTS])
def test_only_the_participants_reach_it_and_nobody_else_changes_anything(client, worlds, name, method, path, body):
    mine, foreign = worlds.mine, worlds.foreign
    tenant_a, tenant_b = mine.pair.tenant, foreign.pair.tenant
    before = snapshot(tenant_a), snapshot(tenant_b)
    for outsider, (tenant, membership) in worlds.outsiders.items():
        login(client, membership)
        response = call(client, method, api(tenant, path(mine)), body and body(mine))
        assert response.status_code == 404, (outsider, response.status_code, response.content)
        assert b"Sneaky" not in response.content
    # A participant here, asking for the other organization's mentorship, session, goal or action item.
    login(client, mine.pair.mentee)
    response = call(client, method, api(tenant_a, path(foreign)), body and body(foreign))
    assert response.status_code == 404, response.content
    assert (snapshot(tenant_a), snapshot(tenant_b)) == before
    # The mentee (the other side of the mentor's log) gets through, and a write changes something.
    response = call(client, method, api(tenant_a, path(mine)), body and body(mine))
    assert response.status_code in (200, 201), response.content
    if method != "get":
        assert snapshot(tenant_a) != before[0]
    assert snapshot(tenant_b) == before[1]


def test_my_mentorships_lists_only_my_own(client, worlds):
    mine = worlds.mine
    tenant_a = mine.pair.tenant
    for outsider, (tenant, membership) in worlds.outsiders.items():
        response = login(client, membership).get(api(tenant, "mentorships/"))
        if outsider == "participant in another org, this address":
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        assert mine.mentorship_id not in [row["id"] for row in response.json()["results"]], outsider
    body = login(client, mine.pair.mentee).get(api(tenant_a, "mentorships/")).json()
    assert [row["id"] for row in body["results"]] == [mine.mentorship_id]
    row = body["results"][0]
    assert (row["me"]["role"], row["me"]["membership_id"]) == ("mentee", mine.pair.mentee.pk)
    assert row["mentor"]["full_name"] == MENTOR_NAME and [p["full_name"] for p in row["mentees"]] == [MENTEE_NAMES[0]]
    assert row["program"]["name"] == "Build Together" and row["cohort"]["name"] == "Spring"
    assert row["progress"]["reached"] == 1 and row["progress"]["total"] == 4
    assert row["progress"]["current_stage"]["position"] == 2
    assert row["sessions_held"] == 1
    assert row["next_session_at"] == mine.upcoming.starts_at.isoformat().replace("+00:00", "Z")


# --- Private notes ---

NOTES = {"mentor": "NOTE-OF-THE-MENTOR", "mentee": "NOTE-OF-THE-MENTEE", "groupmate": "NOTE-OF-THE-GROUPMATE"}


def test_a_private_note_reaches_its_author_alone(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    people = {"mentor": pair.mentor, "mentee": pair.mentees[0], "groupmate": pair.mentees[1]}
    logged = call(
        login(client, pair.mentor), "post", api(tenant_a, f"mentorships/{pair.mentorship.pk}/sessions/log/"),
        {"starts_at": ago(days=1), "duration_minutes": 60, "private_note": NOTES["mentor"], "shared_notes": "SHARED"},
    )  # fmt: skip
    assert logged.status_code == 201, logged.content
    assert logged.json()["private_note"] == NOTES["mentor"]
    session_id = logged.json()["id"]
    assert client.get(api(tenant_a, f"sessions/{session_id}/")).json() == logged.json()  # as written = as stored
    for who in ("mentee", "groupmate"):
        written = call(
            login(client, people[who]), "put", api(tenant_a, f"sessions/{session_id}/private-note/"),
            {"text": NOTES[who]},
        )  # fmt: skip
        assert written.status_code == 200 and written.json()["text"] == NOTES[who]
        assert NOTES["mentor"] not in written.content.decode()
    reads = [
        f"mentorships/{pair.mentorship.pk}/", f"mentorships/{pair.mentorship.pk}/sessions/", f"sessions/{session_id}/",
        f"sessions/{session_id}/private-note/", f"sessions/{session_id}/feedback/", "mentorships/",
    ]  # fmt: skip
    for who, membership in people.items():
        login(client, membership)
        seen = "".join(client.get(api(tenant_a, path)).content.decode() for path in reads)
        if who != "mentor":  # the other side confirms: the answer carries the session, with the caller's note
            seen += call(client, "post", api(tenant_a, f"sessions/{session_id}/confirm/")).content.decode()
        assert "SHARED" in seen
        assert NOTES[who] in seen
        assert not [note for other, note in NOTES.items() if other != who and note in seen], who
        timeline = client.get(api(tenant_a, f"mentorships/{pair.mentorship.pk}/sessions/")).json()["results"]
        assert [row["private_note"] for row in timeline] == [NOTES[who]]
    # Emptying a note deletes it; the others stay.
    login(client, pair.mentees[0])
    emptied = call(client, "put", api(tenant_a, f"sessions/{session_id}/private-note/"), {"text": "  "})
    assert emptied.json() == {"text": "", "updated_at": None}
    with tenant_a.scope():
        assert sorted(PrivateNote.objects.values_list("text", flat=True)) == [NOTES["groupmate"], NOTES["mentor"]]


# --- 400s naming the field ---


@dataclass
class Setting:
    world: World
    other_stage: int  # a stage of another program of the organization
    foreign_stage: int  # a stage of another organization's program
    stranger: int  # a member of the organization outside the mentorship
    other_goal: int  # a goal of another mentorship in the cohort
    other_mentee: int  # the application of a mentee of another mentorship in the cohort


@pytest.fixture
def setting(tenants) -> Setting:
    tenant_a, tenant_b = tenants
    world = build_world(tenant_a)
    neighbour = make_workspace_pair(tenant_a, cohort=world.pair.cohort)
    with tenant_a.scope():
        other_stage = factories.make_program("Other program").stages.first().pk
        stranger = factories.make_membership().pk
        other_goal = goals.goal_create(mentorship=neighbour.mentorship, created_by=neighbour.mentee, title="Theirs").pk
    with tenant_b.scope():
        foreign_stage = factories.make_program("Foreign program").stages.first().pk
    return Setting(
        world, other_stage, foreign_stage, stranger, other_goal, neighbour.mentorship.mentees.all()[0].mentee_id
    )


def _m(path):
    return lambda s: f"mentorships/{s.world.mentorship_id}/{path}"


def schedule(fields):
    return lambda s: {"starts_at": ahead(days=5), "duration_minutes": 60, **fields(s)}


def log(fields):
    return lambda s: {"starts_at": ago(hours=2), "duration_minutes": 60, **fields(s)}


def assessment(fields):
    return lambda s: {"phase": "baseline", "ratings": all_ratings(s.world), **fields(s)}


def pulse(fields):
    return lambda s: {"phase": "start", "cross_department_colleagues": 3, "trust_other_departments": 3, **fields(s)}


HELD = lambda s: f"sessions/{s.world.held.pk}/"  # noqa: E731
UPCOMING = lambda s: f"sessions/{s.world.upcoming.pk}/"  # noqa: E731
GOAL = lambda s: f"goals/{s.world.goal.pk}/"  # noqa: E731
ITEM = lambda s: f"action-items/{s.world.item.pk}/"  # noqa: E731

# (case, method, path, body, the field the 400 names); the mentee calls.
BAD_INPUT = [
    ("schedule in the past", "post", _m("sessions/"), schedule(lambda s: {"starts_at": ago(hours=1)}), "starts_at"),
    ("schedule at no time", "post", _m("sessions/"), schedule(lambda s: {"starts_at": "next week"}), "starts_at"),
    ("schedule 4 minutes", "post", _m("sessions/"), schedule(lambda s: {"duration_minutes": 4}), "duration_minutes"),
    (
        "schedule 481 minutes",
        "post",
        _m("sessions/"),
        schedule(lambda s: {"duration_minutes": 481}),
        "duration_minutes",
    ),
    ("schedule another flow's stage", "post", _m("sessions/"), schedule(lambda s: {"stage": s.other_stage}), "stage"),
    ("schedule a stage id out of range", "post", _m("sessions/"), schedule(lambda s: {"stage": 2**70}), "stage"),
    ("schedule a foreign stage", "post", _m("sessions/"), schedule(lambda s: {"stage": s.foreign_stage}), "stage"),
    ("log a future session", "post", _m("sessions/log/"), log(lambda s: {"starts_at": ahead(hours=1)}), "starts_at"),
    ("log 0 minutes", "post", _m("sessions/log/"), log(lambda s: {"duration_minutes": 0}), "duration_minutes"),
    ("log without a duration", "post", _m("sessions/log/"), lambda s: {"starts_at": ago(hours=1)}, "duration_minutes"),
    ("log another flow's stage", "post", _m("sessions/log/"), log(lambda s: {"stage": s.other_stage}), "stage"),
    ("log a stranger attended", "post", _m("sessions/log/"), log(lambda s: {"attended": [s.stranger]}), "attended"),
    ("log nobody attended", "post", _m("sessions/log/"), log(lambda s: {"attended": []}), "attended"),
    ("log attendance by name", "post", _m("sessions/log/"), log(lambda s: {"attended": ["Mia"]}), "attended"),
    (
        "log an answer to no prompt",
        "post",
        _m("sessions/log/"),
        log(lambda s: {"stage": s.world.pair.stages[0].pk, "reflection_answers": [{"prompt": "Why?", "answer": "x"}]}),
        "reflection_answers",
    ),
    ("log a future scheduled session", "post", lambda s: f"sessions/{s.world.upcoming.pk}/log/", None, "starts_at"),
    ("reschedule to the past", "patch", UPCOMING, lambda s: {"starts_at": ago(days=1)}, "starts_at"),
    ("reschedule 500 minutes", "patch", UPCOMING, lambda s: {"duration_minutes": 500}, "duration_minutes"),
    ("reschedule another flow's stage", "patch", UPCOMING, lambda s: {"stage": s.other_stage}, "stage"),
    (
        "correct: a stranger attended",
        "post",
        lambda s: f"{HELD(s)}correct/",
        lambda s: {"attended": [s.stranger]},
        "attended",
    ),
    (
        "correct into the future",
        "post",
        lambda s: f"{HELD(s)}correct/",
        lambda s: {"starts_at": ahead(days=1)},
        "starts_at",
    ),
    ("correct a foreign stage", "post", lambda s: f"{HELD(s)}correct/", lambda s: {"stage": s.foreign_stage}, "stage"),
    ("feedback rated 6", "post", lambda s: f"{HELD(s)}feedback/", lambda s: {"rating": 6}, "rating"),
    ("feedback without a rating", "post", lambda s: f"{HELD(s)}feedback/", lambda s: {"comment": "Nice"}, "rating"),
    (
        "feedback with an unknown fit",
        "post",
        lambda s: f"{HELD(s)}feedback/",
        lambda s: {"rating": 4, "pairing_fit": "meh"},
        "pairing_fit",
    ),
    ("private note too long", "put", lambda s: f"{HELD(s)}private-note/", lambda s: {"text": "x" * 20_001}, "text"),
    ("goal without a title", "post", _m("goals/"), lambda s: {"title": " "}, "title"),
    ("goal on a skill of no program", "post", _m("goals/"), lambda s: {"title": "G", "skill": 10**9}, "skill"),
    (
        "goal before the cohort",
        "post",
        _m("goals/"),
        lambda s: {"title": "G", "target_date": "2001-01-01"},
        "target_date",
    ),
    ("goal of another mentee", "post", _m("goals/"), lambda s: {"title": "G", "mentee": s.other_mentee}, "mentee"),
    ("goal edit: unknown skill", "patch", GOAL, lambda s: {"skill": 10**9}, "skill"),
    ("goal edit: empty title", "patch", GOAL, lambda s: {"title": ""}, "title"),
    ("progress 101", "post", lambda s: f"{GOAL(s)}progress/", lambda s: {"progress": 101}, "progress"),
    ("progress -1", "post", lambda s: f"{GOAL(s)}progress/", lambda s: {"progress": -1}, "progress"),
    (
        "progress to an unknown status",
        "post",
        lambda s: f"{GOAL(s)}progress/",
        lambda s: {"progress": 5, "status": "bogus"},
        "status",
    ),
    ("action item for a stranger", "post", _m("action-items/"), lambda s: {"title": "A", "owner": s.stranger}, "owner"),
    (
        "action item on another match's goal",
        "post",
        _m("action-items/"),
        lambda s: {"title": "A", "goal": s.other_goal},
        "goal",
    ),
    ("action item without a title", "post", _m("action-items/"), lambda s: {"owner": s.stranger}, "title"),
    ("action item done maybe", "patch", ITEM, lambda s: {"done": "maybe"}, "done"),
    ("final assessment too early", "post", _m("assessments/"), assessment(lambda s: {"phase": "final"}), "phase"),
    ("assessment phase unknown", "post", _m("assessments/"), assessment(lambda s: {"phase": "later"}), "phase"),
    (
        "assessment missing a skill",
        "post",
        _m("assessments/"),
        assessment(lambda s: {"ratings": all_ratings(s.world)[:1]}),
        "ratings",
    ),
    (
        "assessment of a skill of no program",
        "post",
        _m("assessments/"),
        assessment(lambda s: {"ratings": [*all_ratings(s.world), {"skill": 10**9, "level": 3}]}),
        "ratings",
    ),
    (
        "assessment level 6",
        "post",
        _m("assessments/"),
        assessment(lambda s: {"ratings": all_ratings(s.world, level=6)}),
        "ratings",
    ),
    (
        "assessment rating a skill twice",
        "post",
        _m("assessments/"),
        assessment(lambda s: {"ratings": all_ratings(s.world) * 2}),
        "ratings",
    ),
    (
        "assessment of someone else",
        "post",
        _m("assessments/"),
        assessment(lambda s: {"mentee": s.other_mentee}),
        "mentee",
    ),
    ("end pulse too early", "post", _m("pulse/"), pulse(lambda s: {"phase": "end"}), "phase"),
    ("pulse trust 9", "post", _m("pulse/"), pulse(lambda s: {"trust_other_departments": 9}), "trust_other_departments"),
    (
        "pulse 501 colleagues",
        "post",
        _m("pulse/"),
        pulse(lambda s: {"cross_department_colleagues": 501}),
        "cross_department_colleagues",
    ),
    ("sessions of an unknown status", "get", _m("sessions/"), lambda s: {"status": "bogus"}, "status"),
    ("goals of an unknown status", "get", _m("goals/"), lambda s: {"status": "bogus"}, "status"),
    ("action items done maybe", "get", _m("action-items/"), lambda s: {"done": "maybe"}, "done"),
]


def test_a_body_that_is_no_object_is_a_400(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentee)
    url = api(tenant_a, f"mentorships/{pair.mentorship.pk}/sessions/log/")
    assert client.post(url, [1, 2], content_type="application/json").status_code == 400
    assert client.post(url, "{not json", content_type="application/json").status_code == 400
    assert session_count(pair) == 0


def session_count(pair) -> int:
    with pair.tenant.scope():
        return MentoringSession.objects.count()


@pytest.mark.parametrize(("case", "method", "path", "body", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(client, setting, case, method, path, body, field):
    tenant = setting.world.pair.tenant
    before = snapshot(tenant)
    login(client, setting.world.pair.mentee)
    response = call(client, method, api(tenant, path(setting)), body and body(setting))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot(tenant) == before


def test_feedback_is_once_per_participant_and_the_pairing_fit_belongs_to_the_first_session(client, tenant_a):
    world = build_world(tenant_a)
    with tenant_a.scope():
        later = sessions.session_log(
            mentorship=world.pair.mentorship, logged_by=world.pair.mentor,
            starts_at=timezone.now() - timedelta(hours=5), duration_minutes=30,
        )  # fmt: skip
    login(client, world.pair.mentee)
    first = api(tenant_a, f"sessions/{world.held.pk}/feedback/")
    assert client.get(first).json() == {"feedback": None, "asks_pairing_fit": True}
    given = call(client, "post", first, {"rating": 4, "comment": "Useful", "pairing_fit": "good"})
    assert given.status_code == 201, given.content
    assert client.get(first).json()["feedback"]["id"] == given.json()["id"]
    again = call(client, "post", first, {"rating": 2})
    assert again.status_code == 400 and "rating" in again.json()
    second = api(tenant_a, f"sessions/{later.pk}/feedback/")
    assert client.get(second).json() == {"feedback": None, "asks_pairing_fit": False}
    refused = call(client, "post", second, {"rating": 4, "pairing_fit": "good"})
    assert refused.status_code == 400 and "pairing_fit" in refused.json()
    # The mentor's feedback is the mentor's own; the mentee's stays out of it.
    login(client, world.pair.mentor)
    assert client.get(first).json()["feedback"] is None
    with tenant_a.scope():
        assert SessionFeedback.objects.filter(session=world.held).count() == 1


def test_a_group_mentor_names_the_mentee_and_each_mentee_reads_their_own_ratings(client, tenant_a):
    pair = make_workspace_pair(tenant_a, mentees=2)
    mine, theirs = (link.mentee_id for link in pair.mentorship.mentees.all())
    base = f"mentorships/{pair.mentorship.pk}/"
    ratings = [{"skill": skill.pk, "level": 3} for skill in pair.skills]
    mentor = login(Client(), pair.mentor)
    unnamed = call(mentor, "post", api(tenant_a, base + "goals/"), {"title": "Speak up"})
    assert unnamed.status_code == 400 and "mentee" in unnamed.json()
    named = call(mentor, "post", api(tenant_a, base + "goals/"), {"title": "Speak up", "mentee": theirs})
    assert named.status_code == 201 and named.json()["mentee_id"] == theirs
    unnamed = call(mentor, "post", api(tenant_a, base + "assessments/"), {"phase": "baseline", "ratings": ratings})
    assert unnamed.status_code == 400 and "mentee" in unnamed.json()
    for mentee in (mine, theirs):
        body = {"phase": "baseline", "mentee": mentee, "ratings": ratings}
        rated = call(mentor, "post", api(tenant_a, base + "assessments/"), body)
        assert rated.status_code == 201, rated.content
        assert (rated.json()["mentee_id"], rated.json()["rater"], len(rated.json()["ratings"])) == (mentee, "mentor", 2)
    mentee = login(Client(), pair.mentees[0])
    self_rated = call(mentee, "post", api(tenant_a, base + "assessments/"), {"phase": "baseline", "ratings": ratings})
    assert self_rated.status_code == 201 and self_rated.json()["rater"] == "self"
    rows = mentee.get(api(tenant_a, base + "assessments/")).json()["results"]
    assert {(row["mentee_id"], row["rater"]) for row in rows} == {(mine, "self"), (mine, "mentor")}
    rows = mentor.get(api(tenant_a, base + "assessments/")).json()["results"]
    assert {(row["mentee_id"], row["rater"]) for row in rows} == {(mine, "self"), (mine, "mentor"), (theirs, "mentor")}
    # Attendance in a group: the mentor ticks who came.
    logged = call(
        mentor, "post", api(tenant_a, base + "sessions/log/"),
        {"starts_at": ago(days=1), "duration_minutes": 50, "attended": [pair.mentor.pk, pair.mentees[0].pk]},
    )  # fmt: skip
    assert logged.status_code == 201, logged.content
    attendance = {row["membership_id"]: row["attended"] for row in logged.json()["attendance"]}
    assert attendance == {pair.mentor.pk: True, pair.mentees[0].pk: True, pair.mentees[1].pk: False}
    # The log's answer is built from what it wrote, without reading it back: it is what reading it back gives.
    assert mentor.get(api(tenant_a, f"sessions/{logged.json()['id']}/")).json() == logged.json()


# --- 409s ---


def test_state_conflicts_are_409_with_the_message_and_change_nothing(client, tenant_a):
    world = build_world(tenant_a)
    held, upcoming = f"sessions/{world.held.pk}/", f"sessions/{world.upcoming.pk}/"
    cases = [
        (world.pair.mentor, "post", held + "confirm/", None, "other side"),
        (world.pair.mentee, "post", held + "cancel/", None, "Only a scheduled session"),
        (world.pair.mentee, "post", held + "log/", None, "logged already"),
        (world.pair.mentee, "patch", held, {"duration_minutes": 30}, "Only a scheduled session"),
        (world.pair.mentee, "post", upcoming + "confirm/", None, "Only a logged session"),
        (world.pair.mentee, "post", upcoming + "feedback/", {"rating": 3}, "sessions that were held"),
    ]
    before = snapshot(tenant_a)
    for membership, method, path, body, message in cases:
        response = call(login(client, membership), method, api(tenant_a, path), body)
        assert response.status_code == 409, (path, response.content)
        assert message in response.json()["detail"], response.json()
    with tenant_a.scope():
        Mentorship.objects.filter(pk=world.mentorship_id).update(status=Mentorship.Status.ENDED)
    login(client, world.pair.mentee)
    for method, path, body in [
        ("post", f"mentorships/{world.mentorship_id}/sessions/", {"starts_at": ahead(days=2)}),
        ("post", f"mentorships/{world.mentorship_id}/goals/", {"title": "Late"}),
        ("patch", f"action-items/{world.item.pk}/", {"done": True}),
    ]:
        response = call(client, method, api(tenant_a, path), body)
        assert response.status_code == 409 and "ended" in response.json()["detail"], response.content
    assert snapshot(tenant_a) == before


# --- Constant queries ---


def grow(pair, count: int, offset: int) -> None:
    """`count` more held sessions (each with a note and feedback), goals with updates, action items and ratings."""
    with pair.tenant.scope():
        first_goal = Goal.objects.filter(mentorship=pair.mentorship).order_by("pk").first()
        for n in range(offset, offset + count):
            session = sessions.session_log(
                mentorship=pair.mentorship, logged_by=pair.mentor, starts_at=timezone.now() - timedelta(days=n + 1),
                duration_minutes=30, stage=pair.stages[n % 4].pk, private_note=f"Mentor note {n}",
            )  # fmt: skip
            session.mentorship = pair.mentorship
            sessions.private_note_set(session=session, author=pair.mentee, text=f"Mentee note {n}")
            feedback.feedback_submit(session=session, author=pair.mentee, rating=4)
            goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title=f"Goal {n}")
            goal.mentorship = pair.mentorship
            first_goal = first_goal or goal
            first_goal.mentorship = pair.mentorship
            goals.goal_progress(goal=first_goal, author=pair.mentor, progress=n)
            goals.action_item_create(mentorship=pair.mentorship, created_by=pair.mentor, title=f"Item {n}")
            factories.make_assessment(pair.mentorship, skill=factories.make_skill())


def test_the_lists_run_the_same_number_of_queries_for_2_and_10_rows(client, tenant_a):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentee)
    grow(pair, 2, 0)
    with tenant_a.scope():
        goal = Goal.objects.filter(mentorship=pair.mentorship).order_by("pk").first()
    paths = [
        f"mentorships/{pair.mentorship.pk}/sessions/", f"mentorships/{pair.mentorship.pk}/goals/",
        f"mentorships/{pair.mentorship.pk}/action-items/", f"mentorships/{pair.mentorship.pk}/assessments/",
        f"goals/{goal.pk}/updates/", f"mentorships/{pair.mentorship.pk}/",
    ]  # fmt: skip

    def measure() -> dict:
        counts = {}
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(api(tenant_a, path))
            assert response.status_code == 200, (path, response.content)
            body = response.json()
            counts[path] = (len(queries), len(body["results"]) if "results" in body else None)
        return counts

    few = measure()
    grow(pair, 8, 2)
    many = measure()
    for path in paths:
        assert few[path][0] == many[path][0], (path, few[path], many[path])
        if many[path][1] is not None:
            assert (few[path][1], many[path][1]) == (2, 10), path


def test_my_mentorships_run_the_same_number_of_queries_for_1_and_4(client, tenant_a, django_assert_num_queries):
    pair = make_workspace_pair(tenant_a)
    login(client, pair.mentor)
    with CaptureQueriesContext(connection) as one:
        assert client.get(api(tenant_a, "mentorships/")).status_code == 200
    for _ in range(3):  # the same mentor in three more cohorts, with sessions
        other = make_workspace_pair(tenant_a, mentees=2)
        with tenant_a.scope():
            Application.objects.filter(pk=other.mentorship.mentor_id).update(membership=pair.mentor)
        other.reload()
        with tenant_a.scope():
            sessions.session_log(
                mentorship=other.mentorship, logged_by=other.mentees[0], starts_at=timezone.now() - timedelta(days=1),
                duration_minutes=30, stage=other.stages[0].pk,
            )  # fmt: skip
    with django_assert_num_queries(len(one)):
        response = client.get(api(tenant_a, "mentorships/"))
    assert response.json()["count"] == 4
    assert {row["me"]["role"] for row in response.json()["results"]} == {"mentor"}


# --- The whole way through ---


def test_schedule_log_confirm_feedback_goal_progress_action_item_assessment_pulse(tenant_a):
    pair = make_workspace_pair(tenant_a)
    mentor, mentee = login(Client(), pair.mentor), login(Client(), pair.mentee)
    first_stage, skill = pair.stages[0], pair.skills[0]
    base = f"mentorships/{pair.mentorship.pk}/"

    scheduled = call(
        mentor, "post", api(tenant_a, base + "sessions/"),
        {"starts_at": ahead(days=7), "duration_minutes": 45, "location": "Room 4", "stage": first_stage.pk},
    )  # fmt: skip
    assert scheduled.status_code == 201, scheduled.content
    session = scheduled.json()
    assert (session["status"], session["confirmation"], session["stage"]["id"]) == (
        "scheduled", "not_logged", first_stage.pk,
    )  # fmt: skip
    summary = mentee.get(api(tenant_a, base)).json()
    assert summary["next_session"]["id"] == session["id"] and summary["next_session"]["location"] == "Room 4"

    moved = call(mentee, "patch", api(tenant_a, f"sessions/{session['id']}/"), {"starts_at": ahead(days=8)})
    assert moved.status_code == 200 and moved.json()["starts_at"] != session["starts_at"]
    with tenant_a.scope():  # the week goes by
        MentoringSession.objects.filter(pk=session["id"]).update(starts_at=timezone.now() - timedelta(hours=3))

    prompt = first_stage.reflection_prompts[0]
    logged = call(
        mentor, "post", api(tenant_a, f"sessions/{session['id']}/log/"),
        {
            "topics": "Goals", "shared_notes": "We agreed on a goal.", "private_note": "Ask about workload.",
            "reflection_answers": [{"prompt": prompt, "answer": "Grow as a facilitator"}],
        },
    )  # fmt: skip
    assert logged.status_code == 200, logged.content
    body = logged.json()
    assert (body["status"], body["confirmation"], body["duration_minutes"]) == ("held", "one_sided", 45)
    assert body["reflection_answers"] == [{"prompt": prompt, "answer": "Grow as a facilitator"}]
    assert body["private_note"] == "Ask about workload." and body["can_confirm"] is False
    assert all(row["attended"] for row in body["attendance"]) and len(body["attendance"]) == 2

    seen = mentee.get(api(tenant_a, f"sessions/{session['id']}/")).json()
    assert seen["can_confirm"] is True and seen["private_note"] is None and seen["shared_notes"]
    summary = mentee.get(api(tenant_a, base)).json()
    assert summary["to_confirm"] == [session["id"]] and summary["feedback_due"] == [session["id"]]
    confirmed = call(mentee, "post", api(tenant_a, f"sessions/{session['id']}/confirm/"))
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmation"] == "confirmed"
    assert confirmed.json()["confirmed_by"]["membership_id"] == pair.mentee.pk

    given = call(
        mentee, "post", api(tenant_a, f"sessions/{session['id']}/feedback/"),
        {"rating": 5, "comment": "Great start", "pairing_fit": "good"},
    )  # fmt: skip
    assert given.status_code == 201 and given.json()["pairing_fit"] == "good"

    goal = call(
        mentee, "post", api(tenant_a, base + "goals/"),
        {"title": "Run a cross-team retro", "measure": "One retro held", "skill": skill.pk},
    )  # fmt: skip
    assert goal.status_code == 201, goal.content
    goal = goal.json()
    assert goal["mentee_id"] == pair.mentorship.mentees.all()[0].mentee_id and goal["skill"]["id"] == skill.pk
    progressed = call(mentor, "post", api(tenant_a, f"goals/{goal['id']}/progress/"), {"progress": 100, "note": "Held"})
    assert progressed.status_code == 200
    assert (progressed.json()["status"], progressed.json()["progress"]) == ("achieved", 100)
    assert progressed.json()["achieved_at"]
    updates = mentee.get(api(tenant_a, f"goals/{goal['id']}/updates/")).json()["results"]
    assert [(u["author"]["membership_id"], u["progress"], u["note"]) for u in updates] == [
        (pair.mentor.pk, 100, "Held")
    ]

    item = call(
        mentor, "post", api(tenant_a, base + "action-items/"),
        {"title": "Book the room", "owner": pair.mentee.pk, "goal": goal["id"]},
    )  # fmt: skip
    assert item.status_code == 201 and item.json()["owner"]["membership_id"] == pair.mentee.pk
    item = item.json()
    done = call(mentee, "patch", api(tenant_a, f"action-items/{item['id']}/"), {"done": True})
    assert done.status_code == 200 and done.json()["done"] is True and done.json()["done_at"]
    assert mentee.get(api(tenant_a, base + "action-items/"), {"done": "false"}).json()["results"] == []
    assert [i["id"] for i in mentee.get(api(tenant_a, base + "action-items/"), {"done": "true"}).json()["results"]] == [
        item["id"]
    ]

    for client, level in ((mentee, 2), (mentor, 3)):
        ratings = [{"skill": s.pk, "level": level, "evidence": "Seen"} for s in pair.skills]
        rated = call(client, "post", api(tenant_a, base + "assessments/"), {"phase": "baseline", "ratings": ratings})
        assert rated.status_code == 201, rated.content
    rows = mentee.get(api(tenant_a, base + "assessments/")).json()["results"]
    assert sorted((row["rater"], row["level"]) for row in rows) == [("mentor", 3)] * 2 + [("self", 2)] * 2

    pulse_answer = {"phase": "start", "cross_department_colleagues": 4, "trust_other_departments": 3}
    answered = call(mentee, "post", api(tenant_a, base + "pulse/"), pulse_answer)
    assert answered.status_code == 201 and answered.json()["cross_department_colleagues"] == 4

    summary = mentee.get(api(tenant_a, base)).json()
    assert (summary["progress"]["reached"], summary["progress"]["total"]) == (1, 4)
    assert summary["progress"]["current_stage"]["position"] == 2
    assert [stage["held"] for stage in summary["stages"]] == [True, False, False, False]
    assert (summary["sessions_held"], summary["held_minutes"]) == (1, 45)
    assert summary["feedback_due"] == [] and summary["to_confirm"] == []
    assert summary["open_goals"] == [] and summary["open_action_items"] == []
    assert summary["due"] == []  # baseline assessment and start pulse given; midpoint and final not open yet
    mentor_summary = mentor.get(api(tenant_a, base)).json()
    assert [(d["kind"], d["phase"]) for d in mentor_summary["due"]] == [("pulse", "start")]
    assert mentor_summary["feedback_due"] == [session["id"]]
