"""Matching API: isolation pairs for every endpoint, roles, the 409 on a stale run, constant queries on the lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from matching import services
from matching.models import MatchProposal, MatchRun
from mentorship.tenancy.models import Role
from programs.models import Mentorship, Program
from tests import factories
from tests.conftest import login
from tests.matching.test_runs import MENTEE, MENTOR, apply, decision_cohort, new_cohort, person, run_now


def api(tenant, path=""):
    return f"/api/orgs/{tenant.organization.slug}/{path}"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def computed(tenant):
    """A cohort of two mentees and three mentors with one finished run."""
    with tenant.scope():
        cohort, mentees, mentors = decision_cohort(tenant)
        run = run_now(cohort, tenant.admin)
        proposal = MatchProposal.objects.filter(run=run).order_by("pk").first()
    return cohort, run, proposal, mentees, mentors


def endpoints(cohort, run, proposal, mentees, mentors):
    """(method, path, body) of every matching endpoint, for these ids."""
    return [
        ("get", f"cohorts/{cohort.pk}/match-runs/", None),
        ("post", f"cohorts/{cohort.pk}/match-runs/", {"objective": "score"}),
        ("get", f"match-runs/{run.pk}/", None),
        ("get", f"match-runs/{run.pk}/proposals/", None),
        ("post", f"proposals/{proposal.pk}/lock/", None),
        ("post", f"proposals/{proposal.pk}/reject/", None),
        ("post", f"match-runs/{run.pk}/hand-pick/", {"mentee_id": mentees[0].pk, "mentor_id": mentors[2].pk}),
        ("post", f"match-runs/{run.pk}/publish/", None),
    ]


def weights_endpoints(cohort):
    """(method, path, body) of the matching-weights endpoints of the cohort's program."""
    return [
        ("get", f"cohorts/{cohort.pk}/matching-weights/", None),
        ("put", f"cohorts/{cohort.pk}/matching-weights/", {"weights": {"skills": 9}}),
        ("post", f"cohorts/{cohort.pk}/matching-weights/preview/", {"weights": {"skills": 9}}),
    ]


def call(client, method, url, body):
    if method == "get":
        return client.get(url)
    if method == "put":
        return client.put(url, body or {}, content_type="application/json")
    return post(client, url, body)


def snapshot(tenant):
    with tenant.scope():
        return (
            MatchRun.objects.count(),
            sorted(MatchProposal.objects.values_list("pk", "mentor_id", "state")),
            Mentorship.objects.count(),
            sorted(Program.objects.values_list("pk", "matching_weights")),
        )


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(factories.make_user("programs@org-alpha.test"), roles=[Role.PROGRAM_ADMIN])


# --- Isolation and roles ---


def test_another_organizations_ids_are_404_and_change_nothing(admin_client, tenants, monkeypatch):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)
    tenant_a, tenant_b = tenants
    computed(tenant_a)
    theirs = computed(tenant_b)
    before = snapshot(tenant_b)
    for method, path, body in endpoints(*theirs) + weights_endpoints(theirs[0]):
        # Tenant B's ids through my organization's URL, and my login on tenant B's URL.
        assert call(admin_client, method, api(tenant_a, path), body).status_code == 404, path
        assert call(admin_client, method, api(tenant_b, path), body).status_code == 404, path
    assert snapshot(tenant_b) == before


def test_my_lists_show_my_organization_only(admin_client, tenants):
    tenant_a, tenant_b = tenants
    cohort, run, _proposal, _mentees, _mentors = computed(tenant_a)
    computed(tenant_b)
    body = admin_client.get(api(tenant_a, f"cohorts/{cohort.pk}/match-runs/")).json()
    assert [row["id"] for row in body["results"]] == [run.pk]
    body = admin_client.get(api(tenant_a, f"match-runs/{run.pk}/proposals/")).json()
    with tenant_a.scope():
        assert {row["id"] for row in body["results"]} == set(
            MatchProposal.objects.filter(run=run).values_list("pk", flat=True)
        )


@pytest.mark.parametrize("roles", [[], [Role.HR_ANALYST]])
def test_members_without_an_admin_role_get_403_and_change_nothing(tenant_a, roles, monkeypatch):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)
    ids = computed(tenant_a)
    with tenant_a.scope():
        outsider = factories.make_membership(roles=roles)
    client = login(Client(), outsider)
    before = snapshot(tenant_a)
    for method, path, body in endpoints(*ids) + weights_endpoints(ids[0]):
        assert call(client, method, api(tenant_a, path), body).status_code == 403, path
    assert snapshot(tenant_a) == before


def test_program_admins_use_the_api(tenant_a, program_admin, monkeypatch):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)
    cohort, run, _proposal, _mentees, _mentors = computed(tenant_a)
    client = login(Client(), program_admin)
    assert client.get(api(tenant_a, f"match-runs/{run.pk}/")).status_code == 200
    assert client.get(api(tenant_a, f"cohorts/{cohort.pk}/match-runs/")).status_code == 200
    for method, path, body in weights_endpoints(cohort):
        assert call(client, method, api(tenant_a, path), body).status_code == 200, path


# --- Runs ---


def test_start_a_run_then_read_its_status_progress_and_summary(
    admin_client, tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: queued.append(kwargs))
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/match-runs/"), {"objective": "coverage"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["progress"], body["objective"], body["cohort_id"]) == (
        "queued",
        0,
        "coverage",
        cohort.pk,
    )
    assert body["started_by_id"] == tenant_a.admin.pk and body["published_at"] is None
    assert queued == [{"organization_id": tenant_a.organization.pk, "run_id": body["id"]}]
    # A second start while this one is queued: a conflict with the service's message.
    again = post(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/match-runs/"))
    assert again.status_code == 409 and "already in progress" in again.json()["detail"]
    bad = post(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/match-runs/"), {"weights": {"charisma": 1}})
    assert bad.status_code in (400, 409)

    with tenant_a.scope():
        services.match_run_execute(run=MatchRun.objects.select_related("cohort__program").get(pk=body["id"]))
    detail = admin_client.get(api(tenant_a, f"match-runs/{body['id']}/")).json()
    assert (detail["status"], detail["progress"]) == ("done", 100)
    assert detail["summary"]["matched"] == 2 and "greedy" in detail["summary"]


def test_starting_a_run_on_a_published_cohort_is_a_409_and_creates_nothing(admin_client, tenant_a):
    cohort, run, _proposal, _mentees, _mentors = computed(tenant_a)
    assert post(admin_client, api(tenant_a, f"match-runs/{run.pk}/publish/")).status_code == 201
    before = snapshot(tenant_a)
    response = post(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/match-runs/"), {"objective": "score"})
    assert response.status_code == 409 and "already published" in response.json()["detail"]
    assert snapshot(tenant_a) == before


def test_unknown_weights_are_a_400_naming_the_field(admin_client, tenant_a):
    with tenant_a.scope():
        cohort, _mentees, _mentors = decision_cohort(tenant_a)
    response = post(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/match-runs/"), {"weights": {"charisma": 1}})
    assert response.status_code == 400 and "weights" in response.json()


def test_proposals_carry_both_sides_and_their_factors(admin_client, tenant_a):
    _cohort, run, _proposal, _mentees, _mentors = computed(tenant_a)
    rows = admin_client.get(api(tenant_a, f"match-runs/{run.pk}/proposals/")).json()["results"]
    assert len(rows) == 2
    row = rows[0]
    assert set(row["factors"]) >= {"skills", "cross_functional"} and row["state"] == "proposed"
    assert sum(row["factors"].values()) == pytest.approx(row["score"], abs=1e-3)
    assert row["mentee"]["department"] == "Sales" and row["mentor"]["department"] == "Engineering"
    assert admin_client.get(api(tenant_a, f"match-runs/{run.pk}/proposals/?state=locked")).json()["results"] == []
    assert admin_client.get(api(tenant_a, f"match-runs/{run.pk}/proposals/?state=nope")).status_code == 400


# --- Decisions ---


def test_lock_reject_and_hand_pick(admin_client, tenant_a):
    _cohort, run, _proposal, (m1, m2), mentors = computed(tenant_a)
    with tenant_a.scope():
        proposals = {p.mentee_id: p for p in MatchProposal.objects.filter(run=run)}
    locked = post(admin_client, api(tenant_a, f"proposals/{proposals[m1.pk].pk}/lock/"))
    assert locked.status_code == 200 and locked.json()["state"] == "locked"
    rejected = post(admin_client, api(tenant_a, f"proposals/{proposals[m2.pk].pk}/reject/"))
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    taken = {p.mentor_id for p in proposals.values()}
    free = next(m for m in mentors if m.pk not in taken)
    picked = post(
        admin_client, api(tenant_a, f"match-runs/{run.pk}/hand-pick/"), {"mentee_id": m2.pk, "mentor_id": free.pk}
    )
    assert picked.status_code == 200, picked.content
    assert (picked.json()["state"], picked.json()["mentor"]["application_id"]) == ("hand_picked", free.pk)
    wrong = post(
        admin_client, api(tenant_a, f"match-runs/{run.pk}/hand-pick/"), {"mentee_id": free.pk, "mentor_id": m1.pk}
    )
    assert wrong.status_code == 400 and set(wrong.json()) == {"mentee", "mentor"}
    missing = post(
        admin_client, api(tenant_a, f"match-runs/{run.pk}/hand-pick/"), {"mentee_id": 10**9, "mentor_id": free.pk}
    )
    assert missing.status_code == 400 and "mentee_id" in missing.json()


def test_decisions_on_a_stale_run_are_409_with_the_message_and_change_nothing(admin_client, tenant_a, monkeypatch):
    monkeypatch.setattr("matching.tasks.match_run_task.delay", lambda **kwargs: None)
    cohort, run, proposal, mentees, mentors = computed(tenant_a)
    with tenant_a.scope():
        services.match_run_start(cohort=cohort, started_by=None)  # a newer run: this one is stale
    before = snapshot(tenant_a)
    for method, path, body in endpoints(cohort, run, proposal, mentees, mentors)[4:]:
        response = call(admin_client, method, api(tenant_a, path), body)
        assert response.status_code == 409, path
        assert "no longer the latest" in response.json()["detail"]
    assert snapshot(tenant_a) == before


# --- Publish ---


def test_publish_creates_the_mentorships_once(admin_client, tenant_a, django_capture_on_commit_callbacks):
    cohort, run, _proposal, _mentees, _mentors = computed(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin_client, api(tenant_a, f"match-runs/{run.pk}/publish/"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["mentorships"]) == 2 and all(len(m["mentee_ids"]) == 1 for m in body["mentorships"])
    assert body["run"]["published_by_id"] == tenant_a.admin.pk and body["run"]["published_at"]
    again = post(admin_client, api(tenant_a, f"match-runs/{run.pk}/publish/"))
    assert again.status_code == 409 and "already published" in again.json()["detail"]
    detail = admin_client.get(api(tenant_a, f"match-runs/{run.pk}/")).json()
    assert detail["published_at"] == body["run"]["published_at"]
    with tenant_a.scope():
        assert Mentorship.objects.filter(cohort=cohort).count() == 2


def test_a_run_with_nothing_to_publish_is_a_400(admin_client, tenant_a):
    with tenant_a.scope():
        cohort = new_cohort()
        apply(cohort, person(), MENTEE, {factories.make_skill(): (1, 3)})
        run = run_now(cohort)
    response = post(admin_client, api(tenant_a, f"match-runs/{run.pk}/publish/"))
    assert response.status_code == 400 and "proposals" in response.json()


# --- Constant queries ---


def grown(tenant, size):
    with tenant.scope():
        engineering, sales = tenant.departments
        skill = factories.make_skill()
        cohort = new_cohort()
        for _ in range(size):
            apply(cohort, person(department=sales), MENTEE, {skill: (1, 3)})
            apply(cohort, person(department=engineering), MENTOR, {skill: 5}, capacity=1)
        runs = [run_now(cohort) for _ in range(size)]
    return cohort, runs[-1]


def test_list_endpoints_run_a_constant_number_of_queries(admin_client, tenant_a):
    counts = {}
    for size in (1, 4):
        cohort, run = grown(tenant_a, size)
        for path in (f"cohorts/{cohort.pk}/match-runs/", f"match-runs/{run.pk}/proposals/"):
            with CaptureQueriesContext(connection) as queries:
                response = admin_client.get(api(tenant_a, path))
            assert response.status_code == 200 and len(response.json()["results"]) == size
            counts.setdefault(path.split("/")[0] + path.split("/")[-2], []).append(len(queries))
    for name, (few, many) in counts.items():
        assert few == many, name


def test_mentor_choices_are_checked_by_role(admin_client, tenant_a):
    _cohort, run, _proposal, (m1, _m2), _mentors = computed(tenant_a)
    response = post(
        admin_client, api(tenant_a, f"match-runs/{run.pk}/hand-pick/"), {"mentee_id": m1.pk, "mentor_id": m1.pk}
    )
    assert response.status_code == 400 and "mentor" in response.json()


def test_the_schema_describes_every_matching_endpoint_and_its_conflict(db):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    base = "/api/orgs/{org_slug}/"
    for path in (
        "cohorts/{cohort_id}/match-runs/", "match-runs/{run_id}/", "match-runs/{run_id}/proposals/",
        "proposals/{proposal_id}/lock/", "proposals/{proposal_id}/reject/", "match-runs/{run_id}/hand-pick/",
        "match-runs/{run_id}/publish/", "cohorts/{cohort_id}/matching-weights/",
        "cohorts/{cohort_id}/matching-weights/preview/",
    ):  # fmt: skip
        assert base + path in paths, path
    assert "409" in paths[base + "match-runs/{run_id}/publish/"]["post"]["responses"]
    assert "409" in paths[base + "cohorts/{cohort_id}/match-runs/"]["post"]["responses"]
    weights = paths[base + "cohorts/{cohort_id}/matching-weights/"]
    assert {"get", "put"} <= set(weights) and "400" in weights["put"]["responses"]
    assert "400" in paths[base + "cohorts/{cohort_id}/matching-weights/preview/"]["post"]["responses"]
    assert "409" in paths[base + "proposals/{proposal_id}/lock/"]["post"]["responses"]
