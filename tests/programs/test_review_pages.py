"""Admin review of a cohort's applications: roles, isolation pairs, filters, bulk decisions, the participants
summary, constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mentorship.tenancy.models import Role
from programs.models import Application, Program
from tests import factories
from tests.conftest import login


def review_url(tenant, cohort):
    return reverse("cohort_applications", kwargs={"org_slug": tenant.organization.slug, "cohort_id": cohort.pk})


def cohort_of(tenant, name="Build Together", capacity=30):
    with tenant.scope():
        program = factories.make_program(name, skills=[factories.make_skill()], status=Program.Status.OPEN)
        return factories.make_cohort(program, name="Spring", capacity=capacity)


def applicant(tenant, full_name, department, **fields):
    with tenant.scope():
        membership = factories.make_membership(factories.make_user(full_name=full_name), department=department)
        return membership


def apply(tenant, cohort, membership, **fields):
    with tenant.scope():
        application = factories.make_application(cohort, membership, **fields)
        factories.make_application_skill(application)
        return application


def statuses(tenant, applications):
    with tenant.scope():
        return [Application.objects.get(pk=a.pk).status for a in applications]


@pytest.fixture
def program_admin(tenant_a):
    with tenant_a.scope():
        return factories.make_membership(
            factories.make_user("programs@org-alpha.test", "Pia Programs"), roles=[Role.PROGRAM_ADMIN]
        )


# --- Roles and isolation ---


@pytest.mark.parametrize("roles", [[], [Role.HR_ANALYST]])
def test_review_is_forbidden_to_members_without_an_admin_role(client, tenant_a, roles):
    cohort = cohort_of(tenant_a)
    application = apply(tenant_a, cohort, tenant_a.admin)
    with tenant_a.scope():
        person = factories.make_membership(roles=roles)
    login(client, person)
    assert client.get(review_url(tenant_a, cohort)).status_code == 403
    response = client.post(review_url(tenant_a, cohort), {"applications": [application.pk], "decision": "accept"})
    assert response.status_code == 403
    assert statuses(tenant_a, [application]) == ["submitted"]


def test_program_admins_and_org_admins_may_review(client, tenant_a, program_admin):
    cohort = cohort_of(tenant_a)
    for person in (program_admin, tenant_a.admin):
        assert login(client, person).get(review_url(tenant_a, cohort)).status_code == 200


def test_review_lists_this_cohort_of_my_organization_only(client, tenants):
    tenant_a, tenant_b = tenants
    cohort = cohort_of(tenant_a)
    mine = apply(tenant_a, cohort, applicant(tenant_a, "Alma Applicant", tenant_a.departments[0]))
    with tenant_a.scope():
        other_cohort = factories.make_cohort(cohort.program, name="Autumn")
    apply(tenant_a, other_cohort, applicant(tenant_a, "Otto Othercohort", None))
    foreign_cohort = cohort_of(tenant_b)
    apply(tenant_b, foreign_cohort, applicant(tenant_b, "Bertha Beta", None))
    response = login(client, tenant_a.admin).get(review_url(tenant_a, cohort))
    assert [a.pk for a in response.context["page"]] == [mine.pk]
    content = response.content.decode()
    assert "Alma Applicant" in content and "Otto Othercohort" not in content and "Bertha Beta" not in content


def test_review_of_another_organizations_cohort_is_404_and_changes_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    foreign_cohort = cohort_of(tenant_b)
    foreign = apply(tenant_b, foreign_cohort, tenant_b.member)
    login(client, tenant_a.admin)
    foreign_url = review_url(tenant_a, foreign_cohort)
    assert client.get(foreign_url).status_code == 404
    assert client.post(foreign_url, {"applications": [foreign.pk], "decision": "accept"}).status_code == 404
    assert statuses(tenant_b, [foreign]) == ["submitted"]
    huge = f"/o/{tenant_a.organization.slug}/programs/cohorts/{10**22}/applications/"
    assert client.get(huge).status_code == 404


def test_deciding_a_foreign_or_other_cohorts_application_is_a_field_error_and_changes_nothing(client, tenants):
    tenant_a, tenant_b = tenants
    cohort = cohort_of(tenant_a)
    mine = apply(tenant_a, cohort, tenant_a.member)
    with tenant_a.scope():
        other_cohort = factories.make_cohort(cohort.program, name="Autumn")
    elsewhere = apply(tenant_a, other_cohort, tenant_a.admin)
    foreign = apply(tenant_b, cohort_of(tenant_b), tenant_b.member)
    login(client, tenant_a.admin)
    for ids in ([mine.pk, foreign.pk], [mine.pk, elsewhere.pk], ["abc"], [10**22]):
        response = client.post(review_url(tenant_a, cohort), {"applications": ids, "decision": "accept"})
        assert response.status_code == 400, ids
        assert "applications" in response.context["form"].errors
    assert statuses(tenant_a, [mine, elsewhere]) == ["submitted", "submitted"]
    assert statuses(tenant_b, [foreign]) == ["submitted"]


# --- Filters and pages ---


def test_review_filters_by_role_status_department_and_name(client, tenant_a):
    engineering, sales = tenant_a.departments
    cohort = cohort_of(tenant_a)
    alma = apply(tenant_a, cohort, applicant(tenant_a, "Alma Mentor", engineering), role="mentor", capacity=2)
    bruno = apply(tenant_a, cohort, applicant(tenant_a, "Bruno Mentee", sales))
    carla = apply(tenant_a, cohort, applicant(tenant_a, "Carla Mentee", engineering), status="accepted")
    login(client, tenant_a.admin)

    def shown(**params):
        response = client.get(review_url(tenant_a, cohort), params)
        assert response.status_code == 200
        return {a.pk for a in response.context["page"]}

    assert shown() == {alma.pk, bruno.pk, carla.pk}
    assert shown(role="mentor") == {alma.pk}
    assert shown(status="accepted") == {carla.pk}
    assert shown(department=sales.pk) == {bruno.pk}
    assert shown(q="bruno") == {bruno.pk}
    assert shown(role="mentee", department=engineering.pk) == {carla.pk}


def test_review_rejects_a_foreign_department_filter_and_survives_garbage(client, tenants):
    tenant_a, tenant_b = tenants
    cohort = cohort_of(tenant_a)
    apply(tenant_a, cohort, tenant_a.member)
    login(client, tenant_a.admin)
    response = client.get(review_url(tenant_a, cohort), {"department": tenant_b.departments[0].pk})
    assert response.status_code == 200 and "department" in response.context["filterset"].errors
    for params in ({"page": "zzz", "role": "<script>", "status": "x"}, {"page": "9999"}, {"department": "abc"}):
        assert client.get(review_url(tenant_a, cohort), params).status_code == 200


def test_review_htmx_returns_the_table_only(client, tenant_a):
    cohort = cohort_of(tenant_a)
    apply(tenant_a, cohort, tenant_a.member)
    response = login(client, tenant_a.admin).get(
        review_url(tenant_a, cohort), {"q": "max"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"Max Member" in response.content


def test_review_is_paginated(client, tenant_a):
    cohort = cohort_of(tenant_a)
    for index in range(27):
        apply(tenant_a, cohort, applicant(tenant_a, f"Person {index:02d}", None))
    login(client, tenant_a.admin)
    first = client.get(review_url(tenant_a, cohort))
    assert len(first.context["page"]) == 25 and b"Page 1 of 2" in first.content
    assert len(client.get(review_url(tenant_a, cohort), {"page": 2}).context["page"]) == 2


def test_review_runs_a_constant_number_of_queries(client, tenant_a):
    engineering, sales = tenant_a.departments
    cohort = cohort_of(tenant_a)
    apply(tenant_a, cohort, tenant_a.member)
    login(client, tenant_a.admin)
    page_url = review_url(tenant_a, cohort)
    client.get(page_url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(page_url)
    for index in range(12):
        status = ["submitted", "accepted", "waitlisted"][index % 3]
        role = "mentor" if index % 4 == 0 else "mentee"
        person = applicant(tenant_a, f"Person {index}", [engineering, sales, None][index % 3])
        apply(tenant_a, cohort, person, status=status, role=role, capacity=2 if role == "mentor" else None)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url)
    assert len(response.context["page"]) == 13
    assert len(many) == len(few)


# --- Bulk decisions ---


def test_bulk_accept_decline_with_reason_and_waitlist(client, tenant_a, program_admin):
    cohort = cohort_of(tenant_a)
    people = [apply(tenant_a, cohort, applicant(tenant_a, f"Person {i}", None)) for i in range(5)]
    login(client, program_admin)
    page_url = review_url(tenant_a, cohort)

    response = client.post(page_url, {"applications": [people[0].pk, people[1].pk], "decision": "accept"})
    assert response.status_code == 302
    assert statuses(tenant_a, people[:2]) == ["accepted", "accepted"]

    response = client.post(page_url, {"applications": [people[2].pk], "decision": "decline", "reason": " "})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert b"Say why: the applicant sees the reason." in response.content
    assert statuses(tenant_a, [people[2]]) == ["submitted"]

    response = client.post(
        page_url, {"applications": [people[2].pk], "decision": "decline", "reason": "Cohort is full"}, follow=True
    )
    assert b"1 application declined." in response.content
    with tenant_a.scope():
        declined = Application.objects.get(pk=people[2].pk)
        assert (declined.status, declined.decline_reason) == ("declined", "Cohort is full")
        assert declined.decided_by_id == program_admin.pk and declined.decided_at is not None

    client.post(page_url, {"applications": [people[3].pk, people[4].pk], "decision": "waitlist"})
    assert statuses(tenant_a, people[3:]) == ["waitlisted", "waitlisted"]


def test_bulk_decision_needs_a_selection_and_a_known_decision(client, tenant_a):
    cohort = cohort_of(tenant_a)
    application = apply(tenant_a, cohort, tenant_a.member)
    login(client, tenant_a.admin)
    response = client.post(review_url(tenant_a, cohort), {"decision": "accept"})
    assert response.status_code == 400 and "applications" in response.context["form"].errors
    response = client.post(review_url(tenant_a, cohort), {"applications": [application.pk], "decision": "promote"})
    assert response.status_code == 400 and "decision" in response.context["form"].errors
    assert statuses(tenant_a, [application]) == ["submitted"]


def test_withdrawn_applications_cannot_be_decided(client, tenant_a):
    cohort = cohort_of(tenant_a)
    withdrawn = apply(tenant_a, cohort, tenant_a.member, status="withdrawn")
    response = login(client, tenant_a.admin).post(
        review_url(tenant_a, cohort), {"applications": [withdrawn.pk], "decision": "accept"}
    )
    assert response.status_code == 400 and "applications" in response.context["form"].errors
    assert statuses(tenant_a, [withdrawn]) == ["withdrawn"]


def test_the_decline_reason_reaches_the_member(client, tenant_a):
    cohort = cohort_of(tenant_a)
    application = apply(tenant_a, cohort, tenant_a.member)
    login(client, tenant_a.admin).post(
        review_url(tenant_a, cohort),
        {"applications": [application.pk], "decision": "decline", "reason": "Try the autumn cohort"},
    )
    mine = login(client, tenant_a.member).get(reverse("my_applications", args=[tenant_a.organization.slug]))
    assert b"Declined" in mine.content and b"Try the autumn cohort" in mine.content


# --- Summary ---


def test_summary_counts_by_role_and_status_and_accepted_by_department(client, tenant_a):
    engineering, sales = tenant_a.departments
    cohort = cohort_of(tenant_a, capacity=10)
    apply(tenant_a, cohort, applicant(tenant_a, "M1", engineering), role="mentor", capacity=3, status="accepted")
    apply(tenant_a, cohort, applicant(tenant_a, "M2", sales), role="mentor", capacity=2, status="accepted")
    apply(tenant_a, cohort, applicant(tenant_a, "M3", sales), role="mentor", status="submitted")
    apply(tenant_a, cohort, applicant(tenant_a, "E1", sales), status="accepted")
    apply(tenant_a, cohort, applicant(tenant_a, "E2", None), status="accepted")
    apply(tenant_a, cohort, applicant(tenant_a, "E3", engineering), status="declined", decline_reason="x")
    apply(tenant_a, cohort, applicant(tenant_a, "E4", engineering), status="withdrawn")
    response = login(client, tenant_a.admin).get(review_url(tenant_a, cohort))
    summary = response.context["summary"]
    columns = [value for value, _label in summary.statuses]
    by_role = {row["label"]: dict(zip(columns, row["counts"], strict=True)) for row in summary.by_role}
    assert by_role["Mentor"] == {"submitted": 1, "accepted": 2, "waitlisted": 0, "declined": 0, "withdrawn": 0}
    assert by_role["Mentee"] == {"submitted": 0, "accepted": 2, "waitlisted": 0, "declined": 1, "withdrawn": 1}
    assert summary.by_department == [
        {"name": "Engineering", "mentors": 1, "mentees": 0},
        {"name": "No department", "mentors": 0, "mentees": 1},
        {"name": "Sales", "mentors": 1, "mentees": 1},
    ]
    assert (summary.accepted_mentees, summary.seats_left, summary.mentor_places) == (2, 8, 5)
    assert b"Mentee seats: <strong>2</strong> of 10 taken (8 left)" in response.content


def test_after_a_decision_the_list_keeps_the_filters_it_was_posted_from(client, tenant_a):
    cohort = cohort_of(tenant_a)
    application = apply(tenant_a, cohort, tenant_a.member)
    page_url = review_url(tenant_a, cohort)
    login(client, tenant_a.admin)
    filtered = f"http://testserver{page_url}?role=mentee&status=submitted"
    response = client.post(
        page_url, {"applications": [application.pk], "decision": "waitlist"}, headers={"Referer": filtered}
    )
    assert response.status_code == 302 and response["Location"] == filtered
    elsewhere = client.post(
        page_url, {"applications": [application.pk], "decision": "accept"}, headers={"Referer": "https://evil.example/"}
    )
    assert elsewhere["Location"] == page_url


def test_review_shows_the_applicants_profile(client, tenant_a):
    cohort = cohort_of(tenant_a)
    apply(tenant_a, cohort, tenant_a.member, languages=["en", "pt-BR"], time_zone="America/Sao_Paulo",
          meeting_windows=["evenings"], seniority_preference="peer")  # fmt: skip
    content = login(client, tenant_a.admin).get(review_url(tenant_a, cohort)).content.decode()
    for expected in ["en, pt-BR", "America/Sao_Paulo", "Weekday evenings", "A peer", "Ada Admin"]:
        assert expected in content, expected
