"""Isolation pairs for every workspace page and post: the participants of a mentorship use it; anyone else (a
participant of another match in the same cohort, a program admin, an org admin, an HR analyst, a member of another
organization under either organization's address) gets 404, and no workspace row changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from matching.models import RematchRequest
from mentorship.tenancy.models import Role
from programs.models import (
    ActionItem,
    CapabilityAssessment,
    Goal,
    GoalUpdate,
    MentoringSession,
    PrivateNote,
    PulseSurvey,
    SessionAttendance,
    SessionFeedback,
)
from programs.workspace import goals, sessions
from tests import factories
from tests.conftest import login
from tests.programs.workspace_setup import local_input, make_workspace_pair, publish_pairs, url

WORKSPACE_MODELS = (
    MentoringSession, SessionAttendance, PrivateNote, Goal, GoalUpdate, ActionItem, SessionFeedback,
    CapabilityAssessment, PulseSurvey, RematchRequest,
)  # fmt: skip


def snapshot(tenant) -> dict:
    """Every workspace row of the organization, field by field."""
    with tenant.scope():
        return {
            model.__name__: sorted((model_to_dict(row) for row in model.objects.all()), key=lambda row: row["id"])
            for model in WORKSPACE_MODELS
        }


@dataclass
class World:
    pair: object
    held: MentoringSession
    upcoming: MentoringSession
    overdue: MentoringSession
    goal: Goal
    item: ActionItem
    outsiders: dict


@pytest.fixture
def world(tenants) -> World:
    tenant_a, tenant_b = tenants
    pair = make_workspace_pair(tenant_a)
    publish_pairs(pair)  # a "not a good fit" that got through would open a re-match request
    neighbour = make_workspace_pair(tenant_a, cohort=pair.cohort)
    now = timezone.now()
    with tenant_a.scope():
        held = sessions.session_log(
            mentorship=pair.mentorship, logged_by=pair.mentor, starts_at=now - timedelta(days=2), duration_minutes=60,
            stage=pair.stages[0].pk,
        )  # fmt: skip
        upcoming = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=now + timedelta(days=3)
        )
        overdue = sessions.session_schedule(
            mentorship=pair.mentorship, scheduled_by=pair.mentor, starts_at=now + timedelta(minutes=1)
        )
        MentoringSession.objects.filter(pk=overdue.pk).update(starts_at=now - timedelta(hours=2))
        goal = goals.goal_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Lead a review")
        item = goals.action_item_create(mentorship=pair.mentorship, created_by=pair.mentee, title="Draft the agenda")
        program_admin = factories.make_membership(roles=[Role.PROGRAM_ADMIN])
        hr_analyst = factories.make_membership(roles=[Role.HR_ANALYST])
    outsiders = {
        "participant of another match": (tenant_a, neighbour.mentee),
        "mentor of another match": (tenant_a, neighbour.mentor),
        "program admin": (tenant_a, program_admin),
        "org admin": (tenant_a, tenant_a.admin),
        "HR analyst": (tenant_a, hr_analyst),
        "other org, own address": (tenant_b, tenant_b.member),
        "other org admin, own address": (tenant_b, tenant_b.admin),
        "other org, this address": (tenant_a, tenant_b.admin),
    }
    return World(pair, held, upcoming, overdue, goal, item, outsiders)


def log_data(world, starts_at=None):
    stage = world.pair.stages[0].pk
    return {
        "starts_at": local_input(starts_at or timezone.now() - timedelta(hours=1)), "duration_minutes": "30",
        "stage": str(stage), "reflection_stage": str(stage), "topics": "Sneaky", "shared_notes": "Sneaky",
        "private_note": "Sneaky",
    }  # fmt: skip


def schedule_data(world):
    return {"starts_at": local_input(timezone.now() + timedelta(days=9)), "duration_minutes": "30", "location": "X"}


# (name, url name, url kwargs, post data or None for a page)
CASES = [
    ("workspace page", "mentorship_detail", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    ("schedule form", "mentorship_session_schedule", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    ("schedule", "mentorship_session_schedule", lambda w: {"mentorship_id": w.pair.mentorship.pk}, schedule_data),
    ("log form", "mentorship_session_log", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    ("log", "mentorship_session_log", lambda w: {"mentorship_id": w.pair.mentorship.pk}, log_data),
    ("reflection prompts", "mentorship_session_prompts", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    ("reschedule form", "mentorship_session_reschedule", lambda w: {"session_id": w.upcoming.pk}, None),
    ("reschedule", "mentorship_session_reschedule", lambda w: {"session_id": w.upcoming.pk}, schedule_data),
    ("cancel", "mentorship_session_cancel", lambda w: {"session_id": w.upcoming.pk}, lambda w: {}),
    ("log scheduled form", "mentorship_session_log_scheduled", lambda w: {"session_id": w.overdue.pk}, None),
    ("log scheduled", "mentorship_session_log_scheduled", lambda w: {"session_id": w.overdue.pk}, log_data),
    ("confirm", "mentorship_session_confirm", lambda w: {"session_id": w.held.pk}, lambda w: {}),
    ("correct form", "mentorship_session_correct", lambda w: {"session_id": w.held.pk}, None),
    ("correct", "mentorship_session_correct", lambda w: {"session_id": w.held.pk}, log_data),
    ("feedback form", "mentorship_session_feedback", lambda w: {"session_id": w.held.pk}, None),
    (
        "feedback",
        "mentorship_session_feedback",
        lambda w: {"session_id": w.held.pk},
        lambda w: {"rating": "1", "comment": "Sneaky", "pairing_fit": "not_good"},
    ),
    (
        "private note",
        "mentorship_session_private_note",
        lambda w: {"session_id": w.held.pk},
        lambda w: {"private_note": "Sneaky"},
    ),
    ("goal form", "mentorship_goal_create", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    (
        "goal create",
        "mentorship_goal_create",
        lambda w: {"mentorship_id": w.pair.mentorship.pk},
        lambda w: {"title": "Sneaky"},
    ),
    ("goal page", "mentorship_goal_detail", lambda w: {"goal_id": w.goal.pk}, None),
    (
        "goal progress",
        "mentorship_goal_detail",
        lambda w: {"goal_id": w.goal.pk},
        lambda w: {"progress": "90", "status": "in_progress", "note": "Sneaky"},
    ),
    ("action item form", "mentorship_action_item_create", lambda w: {"mentorship_id": w.pair.mentorship.pk}, None),
    (
        "action item create",
        "mentorship_action_item_create",
        lambda w: {"mentorship_id": w.pair.mentorship.pk},
        lambda w: {"title": "Sneaky", "owner": str(w.pair.mentee.pk)},
    ),
    ("action item done", "mentorship_action_item_done", lambda w: {"item_id": w.item.pk}, lambda w: {"done": "1"}),
    (
        "assessment form",
        "mentorship_assessment",
        lambda w: {"mentorship_id": w.pair.mentorship.pk, "phase": "baseline"},
        None,
    ),
    (
        "assessment",
        "mentorship_assessment",
        lambda w: {"mentorship_id": w.pair.mentorship.pk, "phase": "baseline"},
        lambda w: {f"level_{skill.pk}": "5" for skill in w.pair.skills},
    ),
    ("pulse form", "mentorship_pulse", lambda w: {"mentorship_id": w.pair.mentorship.pk, "phase": "start"}, None),
    (
        "pulse",
        "mentorship_pulse",
        lambda w: {"mentorship_id": w.pair.mentorship.pk, "phase": "start"},
        lambda w: {"cross_department_colleagues": "9", "trust_other_departments": "5"},
    ),
]


@pytest.mark.parametrize(("name", "url_name", "kwargs", "data"), CASES, ids=[case[0] for case in CASES])
def test_only_the_participants_reach_it_and_outsiders_change_nothing(client, world, name, url_name, kwargs, data):
    tenant_a = world.pair.tenant
    before = snapshot(tenant_a)
    for outsider, (tenant, membership) in world.outsiders.items():
        address = url(url_name, tenant, **kwargs(world))
        login(client, membership)
        response = client.get(address) if data is None else client.post(address, data(world), HTTP_HX_REQUEST="true")
        assert response.status_code == 404, (outsider, response.status_code)
        assert b"Sneaky" not in response.content
    assert snapshot(tenant_a) == before
    # The pair: the mentee (the other side of the mentor's log) gets through, and a post changes something.
    login(client, world.pair.mentee)
    address = url(url_name, tenant_a, **kwargs(world))
    response = client.get(address) if data is None else client.post(address, data(world))
    assert response.status_code in (200, 302), response.status_code
    if data is not None:
        assert snapshot(tenant_a) != before


def test_my_mentorships_lists_only_my_own(client, world):
    pair = world.pair
    for _outsider, (tenant, membership) in world.outsiders.items():
        response = login(client, membership).get(url("my_mentorships", tenant))
        if response.status_code == 404:  # the other organization's member under this organization's address
            continue
        assert pair.mentorship.pk not in [row.mentorship.pk for row in response.context["rows"]]
    response = login(client, pair.mentee).get(url("my_mentorships", pair.tenant))
    assert [row.mentorship.pk for row in response.context["rows"]] == [pair.mentorship.pk]


def test_ids_that_exist_elsewhere_are_404_even_for_participants_of_a_mentorship(client, world, tenant_b):
    """A participant of a mentorship in another organization, asking under that organization's address for this
    organization's ids, learns nothing."""
    foreign = make_workspace_pair(tenant_b)
    login(client, foreign.mentee)
    for url_name, kwargs in [
        ("mentorship_detail", {"mentorship_id": world.pair.mentorship.pk}),
        ("mentorship_session_correct", {"session_id": world.held.pk}),
        ("mentorship_goal_detail", {"goal_id": world.goal.pk}),
    ]:
        assert client.get(url(url_name, tenant_b, **kwargs)).status_code == 404
    assert client.get(url("mentorship_detail", tenant_b, mentorship_id=foreign.mentorship.pk)).status_code == 200
