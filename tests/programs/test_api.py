"""Programs API: isolation pairs for every endpoint, roles, errors naming the field, constant query counts."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mentorship.tenancy.models import Role
from programs.models import Application, Cohort, Program, Skill
from tests import factories
from tests.conftest import login


def api(tenant, path=""):
    return f"/api/orgs/{tenant.organization.slug}/{path}"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def member_client(tenant):
    return login(Client(), tenant.member)


def person(tenant, **fields):
    """A member whose user has no password: hashing one costs most of a test's time, and tests force_login."""
    user = get_user_model().objects.create(email=f"p{next(_people)}@{tenant.organization.slug}.test")
    return factories.make_membership(user, **fields)


_people = itertools.count(1)


def world(tenant, name="World"):
    """An open program with one skill and an enrolling cohort, and an application by the tenant's member."""
    with tenant.scope():
        skill = factories.make_skill(f"{name} skill")
        program = factories.make_program(
            f"{name} program", skills=[skill], status=Program.Status.OPEN, created_by=tenant.admin
        )
        cohort = factories.make_cohort(program)
        application = factories.make_application(cohort, tenant.member)
        factories.make_application_skill(application, skill)
    return skill, program, cohort, application


LIST_PATHS = ["skills/", "programs/", "cohorts/", "applications/"]


@pytest.mark.parametrize(
    "path", [*LIST_PATHS, "skills/1/", "programs/1/", "cohorts/1/", "applications/1/withdraw/", "applications/decide/"]
)
def test_foreign_and_missing_organizations_are_404(admin_client, tenant_b, path):
    assert admin_client.get(api(tenant_b, path)).status_code == 404
    assert post(admin_client, api(tenant_b, path)).status_code == 404
    assert post(admin_client, f"/api/orgs/nowhere/{path}").status_code == 404


# --- Skills ---


def test_skill_list_is_mine_only_and_any_member_reads_it(admin_client, tenants):
    tenant_a, tenant_b = tenants
    world(tenant_a, "Alpha")
    world(tenant_b, "Beta")
    body = member_client(tenant_a).get(api(tenant_a, "skills/")).json()
    assert [row["name"] for row in body["results"]] == ["Alpha skill"]


def test_skill_create_is_for_admins_and_duplicates_name_the_field(admin_client, tenant_a):
    created = post(admin_client, api(tenant_a, "skills/"), {"name": "Negotiation", "category": "Commercial"})
    assert created.status_code == 201, created.json()
    duplicate = post(admin_client, api(tenant_a, "skills/"), {"name": "Negotiation"})
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    refused = post(member_client(tenant_a), api(tenant_a, "skills/"), {"name": "Sneaky"})
    assert refused.status_code == 403
    with tenant_a.scope():
        assert list(Skill.objects.values_list("name", flat=True)) == ["Negotiation"]


def test_skill_detail_and_patch(admin_client, tenant_a):
    skill, *_ = world(tenant_a)
    assert admin_client.get(api(tenant_a, f"skills/{skill.pk}/")).json()["name"] == "World skill"
    response = patch(admin_client, api(tenant_a, f"skills/{skill.pk}/"), {"category": "Data", "is_active": False})
    assert response.status_code == 200 and response.json()["category"] == "Data"
    assert patch(member_client(tenant_a), api(tenant_a, f"skills/{skill.pk}/"), {"name": "X"}).status_code == 403


def test_foreign_skill_is_404_and_unchanged(admin_client, tenants):
    tenant_a, tenant_b = tenants
    skill, *_ = world(tenant_b)
    assert admin_client.get(api(tenant_a, f"skills/{skill.pk}/")).status_code == 404
    assert patch(admin_client, api(tenant_a, f"skills/{skill.pk}/"), {"name": "Stolen"}).status_code == 404
    with tenant_b.scope():
        assert Skill.objects.get(pk=skill.pk).name == "World skill"


# --- Programs ---


def test_members_see_open_and_running_programs_admins_see_all_and_filter(admin_client, tenants):
    tenant_a, tenant_b = tenants
    world(tenant_b, "Beta")
    with tenant_a.scope():
        for status in (Program.Status.DRAFT, Program.Status.OPEN, Program.Status.RUNNING, Program.Status.COMPLETED):
            factories.make_program(f"P {status}", status=status, created_by=tenant_a.admin)
    seen = {row["name"] for row in member_client(tenant_a).get(api(tenant_a, "programs/")).json()["results"]}
    assert seen == {"P open", "P running"}
    body = admin_client.get(api(tenant_a, "programs/")).json()
    assert body["count"] == 4
    drafts = admin_client.get(api(tenant_a, "programs/"), {"status": "draft"}).json()
    assert [row["name"] for row in drafts["results"]] == ["P draft"]
    assert admin_client.get(api(tenant_a, "programs/"), {"status": "bogus"}).status_code == 400


def test_member_cannot_see_a_draft_program(tenant_a):
    with tenant_a.scope():
        draft = factories.make_program("Secret draft", created_by=tenant_a.admin)
    assert member_client(tenant_a).get(api(tenant_a, f"programs/{draft.pk}/")).status_code == 404


def test_program_create_with_skills_and_detail(admin_client, tenant_a):
    skill, *_ = world(tenant_a)
    response = post(
        admin_client,
        api(tenant_a, "programs/"),
        {"name": "Build Together", "ratio": 2, "format": "group", "skill_ids": [skill.pk]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["ratio"] == 2
    assert [s["name"] for s in body["skills"]] == ["World skill"]
    assert len(body["stages"]) == 4 and body["targets"] == []
    detail = admin_client.get(api(tenant_a, f"programs/{body['id']}/")).json()
    assert detail["stages"][0]["title"] == "Establish trust and define goals"


def test_program_create_is_403_for_members(tenant_a):
    response = post(member_client(tenant_a), api(tenant_a, "programs/"), {"name": "Mine"})
    assert response.status_code == 403
    with tenant_a.scope():
        assert not Program.objects.filter(name="Mine").exists()


def test_program_roles_other_than_admins_are_403(tenant_a):
    with tenant_a.scope():
        hr = person(tenant_a, roles=[Role.HR_ANALYST])
        program_admin = person(tenant_a, roles=[Role.PROGRAM_ADMIN])
    assert post(login(Client(), hr), api(tenant_a, "programs/"), {"name": "HR"}).status_code == 403
    assert post(login(Client(), program_admin), api(tenant_a, "programs/"), {"name": "PA"}).status_code == 201


def test_foreign_skill_ids_are_not_found_on_their_field(admin_client, tenants):
    tenant_a, tenant_b = tenants
    foreign_skill, *_ = world(tenant_b)
    response = post(admin_client, api(tenant_a, "programs/"), {"name": "Leaky", "skill_ids": [foreign_skill.pk]})
    assert response.status_code == 400 and set(response.json()) == {"skill_ids"}
    with tenant_a.scope():
        assert not Program.objects.exists()


def test_program_errors_name_the_field(admin_client, tenant_a):
    response = post(admin_client, api(tenant_a, "programs/"), {"name": "Too many", "ratio": 11})
    assert response.status_code == 400 and "ratio" in response.json()
    _, program, *_ = world(tenant_a)
    duplicate = post(admin_client, api(tenant_a, "programs/"), {"name": program.name})
    assert duplicate.status_code == 400 and "name" in duplicate.json()


def test_program_patch_transition_and_duplicate(admin_client, tenant_a):
    _, program, *_ = world(tenant_a)
    response = patch(admin_client, api(tenant_a, f"programs/{program.pk}/"), {"ratio": 4, "skill_ids": []})
    assert response.status_code == 200 and response.json()["ratio"] == 4 and response.json()["skills"] == []
    refused = post(admin_client, api(tenant_a, f"programs/{program.pk}/transition/"), {"status": "completed"})
    assert refused.status_code == 400 and "status" in refused.json()
    running = post(admin_client, api(tenant_a, f"programs/{program.pk}/transition/"), {"status": "running"})
    assert running.status_code == 200 and running.json()["status"] == "running"
    copy = post(admin_client, api(tenant_a, f"programs/{program.pk}/duplicate/"))
    assert copy.status_code == 201 and copy.json()["name"] == "Copy of World program"
    member = member_client(tenant_a)
    assert post(member, api(tenant_a, f"programs/{program.pk}/transition/"), {"status": "completed"}).status_code == 403
    assert post(member, api(tenant_a, f"programs/{program.pk}/duplicate/")).status_code == 403
    assert patch(member, api(tenant_a, f"programs/{program.pk}/"), {"ratio": 1}).status_code == 403


def test_foreign_program_is_404_and_nothing_changes(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, program, *_ = world(tenant_b)
    assert admin_client.get(api(tenant_a, f"programs/{program.pk}/")).status_code == 404
    assert patch(admin_client, api(tenant_a, f"programs/{program.pk}/"), {"ratio": 1}).status_code == 404
    transition = post(admin_client, api(tenant_a, f"programs/{program.pk}/transition/"), {"status": "running"})
    assert transition.status_code == 404
    assert post(admin_client, api(tenant_a, f"programs/{program.pk}/duplicate/")).status_code == 404
    with tenant_b.scope():
        program = Program.objects.get(pk=program.pk)
        assert (program.ratio, program.status) == (3, Program.Status.OPEN)
        assert Program.objects.count() == 1
    with tenant_a.scope():
        assert not Program.objects.exists()


# --- Cohorts ---


def cohort_payload(program, **fields):
    return {
        "program_id": program.pk,
        "name": "Spring",
        "enrollment_opens_on": "2030-01-01",
        "enrollment_closes_on": "2030-01-31",
        "starts_on": "2030-02-01",
        "ends_on": "2030-07-31",
        "capacity": 20,
        **fields,
    }


def test_cohort_list_is_mine_only_and_filters_by_program(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, program, cohort, _ = world(tenant_a, "Alpha")
    world(tenant_b, "Beta")
    with tenant_a.scope():
        other = factories.make_cohort(
            factories.make_program("Other", status=Program.Status.OPEN, created_by=tenant_a.admin)
        )
    body = admin_client.get(api(tenant_a, "cohorts/")).json()
    assert {row["id"] for row in body["results"]} == {cohort.pk, other.pk}
    body = admin_client.get(api(tenant_a, "cohorts/"), {"program": program.pk}).json()
    assert [row["id"] for row in body["results"]] == [cohort.pk]
    assert member_client(tenant_a).get(api(tenant_a, "cohorts/")).json()["count"] == 2


def test_cohort_create_patch_and_errors(admin_client, tenant_a):
    _, program, *_ = world(tenant_a)
    created = post(admin_client, api(tenant_a, "cohorts/"), cohort_payload(program))
    assert created.status_code == 201, created.json()
    assert created.json()["program_name"] == "World program" and created.json()["status"] == "planned"
    bad_dates = post(admin_client, api(tenant_a, "cohorts/"), cohort_payload(program, name="B", ends_on="2030-01-01"))
    assert bad_dates.status_code == 400 and "ends_on" in bad_dates.json()
    cohort_id = created.json()["id"]
    changed = patch(admin_client, api(tenant_a, f"cohorts/{cohort_id}/"), {"capacity": 12, "status": "enrolling"})
    assert changed.status_code == 200 and changed.json()["capacity"] == 12
    assert admin_client.get(api(tenant_a, f"cohorts/{cohort_id}/")).json()["status"] == "enrolling"
    member = member_client(tenant_a)
    assert post(member, api(tenant_a, "cohorts/"), cohort_payload(program, name="M")).status_code == 403
    assert patch(member, api(tenant_a, f"cohorts/{cohort_id}/"), {"capacity": 1}).status_code == 403


def test_foreign_program_id_in_a_cohort_is_not_found_on_its_field(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, foreign_program, *_ = world(tenant_b)
    response = post(admin_client, api(tenant_a, "cohorts/"), cohort_payload(foreign_program))
    assert response.status_code == 400 and set(response.json()) == {"program_id"}
    with tenant_b.scope():
        assert Cohort.objects.count() == 1
    with tenant_a.scope():
        assert not Cohort.objects.exists()


def test_foreign_cohort_is_404_and_unchanged(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, _, cohort, _ = world(tenant_b)
    assert admin_client.get(api(tenant_a, f"cohorts/{cohort.pk}/")).status_code == 404
    assert patch(admin_client, api(tenant_a, f"cohorts/{cohort.pk}/"), {"capacity": 1}).status_code == 404
    with tenant_b.scope():
        assert Cohort.objects.get(pk=cohort.pk).capacity == 30


# --- Applications ---


def submit_payload(cohort, skill, **fields):
    return {
        "cohort_id": cohort.pk,
        "role": "mentee",
        "skills": [{"skill_id": skill.pk, "level": 2, "target_level": 4}],
        "goals": "Learn to negotiate",
        **fields,
    }


def test_member_applies_sees_only_own_and_withdraws(admin_client, tenant_a):
    skill, _, cohort, others = world(tenant_a)
    with tenant_a.scope():
        newcomer = person(tenant_a, department=tenant_a.departments[0])
    client = login(Client(), newcomer)
    response = post(client, api(tenant_a, "applications/"), submit_payload(cohort, skill, languages=["en"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["skills"][0]["target_level"] == 4
    assert body["applicant"]["department"] == "Engineering"
    mine = client.get(api(tenant_a, "applications/")).json()
    assert [row["id"] for row in mine["results"]] == [body["id"]]
    # Someone else's application is "not found" for a member, and stays as it was.
    assert post(client, api(tenant_a, f"applications/{others.pk}/withdraw/")).status_code == 404
    with tenant_a.scope():
        assert Application.objects.get(pk=others.pk).status == Application.Status.SUBMITTED
    withdrawn = post(client, api(tenant_a, f"applications/{body['id']}/withdraw/"))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = post(client, api(tenant_a, f"applications/{body['id']}/withdraw/"))
    assert again.status_code == 400 and "application" in again.json()


def test_application_errors_name_the_field(tenant_a):
    skill, _, cohort, _ = world(tenant_a)
    client = member_client(tenant_a)  # already applied to this cohort
    duplicate = post(client, api(tenant_a, "applications/"), submit_payload(cohort, skill))
    assert duplicate.status_code == 400 and "cohort" in duplicate.json()
    with tenant_a.scope():
        other_cohort = factories.make_cohort(cohort.program)
    bad_target = submit_payload(other_cohort, skill, skills=[{"skill_id": skill.pk, "level": 3, "target_level": 2}])
    response = post(client, api(tenant_a, "applications/"), bad_target)
    assert response.status_code == 400 and "skills" in response.json()
    response = post(client, api(tenant_a, "applications/"), submit_payload(other_cohort, skill, role="wizard"))
    assert response.status_code == 400 and "role" in response.json()


def test_foreign_cohort_or_skill_in_an_application_is_not_found_on_its_field(tenants):
    tenant_a, tenant_b = tenants
    skill, _, cohort, _ = world(tenant_a)
    foreign_skill, _, foreign_cohort, _ = world(tenant_b)
    with tenant_a.scope():
        newcomer = person(tenant_a)
    client = login(Client(), newcomer)
    response = post(client, api(tenant_a, "applications/"), submit_payload(foreign_cohort, skill))
    assert response.status_code == 400 and set(response.json()) == {"cohort_id"}
    response = post(client, api(tenant_a, "applications/"), submit_payload(cohort, foreign_skill))
    assert response.status_code == 400 and set(response.json()) == {"skills"}
    assert "skill_id" in str(response.json()["skills"]), response.json()
    with tenant_a.scope():
        assert not Application.objects.filter(membership=newcomer).exists()
    with tenant_b.scope():
        assert Application.objects.count() == 1


def test_admins_see_all_applications_with_filters(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, _, cohort, application = world(tenant_a)
    world(tenant_b)
    with tenant_a.scope():
        mentor = factories.make_application(cohort, person(tenant_a), role=Application.Role.MENTOR, capacity=2)
    body = admin_client.get(api(tenant_a, "applications/")).json()
    assert {row["id"] for row in body["results"]} == {application.pk, mentor.pk}
    body = admin_client.get(api(tenant_a, "applications/"), {"role": "mentor", "cohort": cohort.pk}).json()
    assert [row["id"] for row in body["results"]] == [mentor.pk]
    assert admin_client.get(api(tenant_a, "applications/"), {"status": "accepted"}).json()["count"] == 0


def test_decide_accepts_declines_with_reason_and_is_admin_only(admin_client, tenant_a):
    *_, application = world(tenant_a)
    url = api(tenant_a, "applications/decide/")
    no_reason = post(admin_client, url, {"application_ids": [application.pk], "decision": "decline"})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    payload = {"application_ids": [application.pk], "decision": "decline", "reason": "Cohort is full"}
    assert post(member_client(tenant_a), url, payload).status_code == 403
    response = post(admin_client, url, payload)
    assert response.status_code == 200 and response.json() == {"updated": 1}
    with tenant_a.scope():
        application.refresh_from_db()
    assert (application.status, application.decline_reason) == ("declined", "Cohort is full")


def test_deciding_foreign_applications_names_the_field_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    _, _, _, mine = world(tenant_a)
    _, _, _, foreign = world(tenant_b)
    response = post(
        admin_client,
        api(tenant_a, "applications/decide/"),
        {"application_ids": [mine.pk, foreign.pk], "decision": "accept"},
    )
    assert response.status_code == 400 and "application_ids" in response.json()
    with tenant_b.scope():
        assert Application.objects.get(pk=foreign.pk).status == Application.Status.SUBMITTED
    with tenant_a.scope():
        assert Application.objects.get(pk=mine.pk).status == Application.Status.SUBMITTED


def test_withdrawing_a_foreign_application_is_404(tenants):
    tenant_a, tenant_b = tenants
    _, _, _, foreign = world(tenant_b)
    assert post(member_client(tenant_a), api(tenant_a, f"applications/{foreign.pk}/withdraw/")).status_code == 404
    with tenant_b.scope():
        assert Application.objects.get(pk=foreign.pk).status == Application.Status.SUBMITTED


# --- Query counts ---


def grow(tenant, n):
    with tenant.scope():
        skills = [factories.make_skill() for _ in range(3)]
        for _ in range(n):
            program = factories.make_program(skills=skills, status=Program.Status.OPEN, created_by=tenant.admin)
            cohort = factories.make_cohort(program)
            application = factories.make_application(cohort, person(tenant))
            for skill in skills:
                factories.make_application_skill(application, skill)


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_endpoints_run_a_constant_number_of_queries(admin_client, tenant_a, path):
    grow(tenant_a, 1)
    admin_client.get(api(tenant_a, path))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(api(tenant_a, path))
    grow(tenant_a, 4)
    with CaptureQueriesContext(connection) as many:
        body = admin_client.get(api(tenant_a, path)).json()
    assert body["count"] >= 5
    assert len(many) == len(few)


def test_openapi_schema_describes_the_programs_api(admin_client):
    paths = admin_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ["skills/", "programs/{program_id}/transition/", "cohorts/{cohort_id}/", "applications/decide/"]:
        assert f"/api/orgs/{{org_slug}}/{path}" in paths


def test_out_of_range_ids_are_not_found(admin_client, tenant_a):
    huge = 10**22
    assert admin_client.get(api(tenant_a, f"programs/{huge}/")).status_code == 404
    assert post(admin_client, api(tenant_a, f"applications/{huge}/withdraw/")).status_code == 404
    response = post(
        admin_client, api(tenant_a, "applications/decide/"), {"application_ids": [huge], "decision": "accept"}
    )
    assert response.status_code == 400 and "application_ids" in response.json()
    response = post(admin_client, api(tenant_a, "programs/"), {"name": "Huge", "skill_ids": [huge]})
    assert response.status_code == 400 and "skill_ids" in response.json()
