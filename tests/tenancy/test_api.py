"""Tenant API: isolation pairs, roles, errors that name the field, foreign ids rejected as not found."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mentorship.tenancy.models import Department, Role
from tests import factories
from tests.conftest import login


def api(tenant, path=""):
    return f"/api/orgs/{tenant.organization.slug}/{path}"


def test_anonymous_api_calls_are_refused(client, tenant_a):
    assert client.get(api(tenant_a, "me/")).status_code == 403


@pytest.mark.parametrize("path", ["me/", "members/", "departments/", f"members/{1}/"])
def test_foreign_and_missing_organizations_are_404(admin_client, tenant_b, path):
    assert admin_client.get(api(tenant_b, path)).status_code == 404
    assert admin_client.get(f"/api/orgs/nowhere/{path}").status_code == 404


def test_me_returns_my_membership(admin_client, tenant_a):
    body = admin_client.get(api(tenant_a, "me/")).json()
    assert body["email"] == "admin@org-alpha.test" and body["roles"] == [Role.ORG_ADMIN]
    assert body["department"]["name"] == "Engineering"


def test_member_list_is_mine_only_and_admin_only(admin_client, client, tenants):
    tenant_a, _ = tenants
    body = admin_client.get(api(tenant_a, "members/")).json()
    assert {row["email"] for row in body["results"]} == {"admin@org-alpha.test", "member@org-alpha.test"}
    login(client, tenant_a.member)
    assert client.get(api(tenant_a, "members/")).status_code == 403


def test_member_list_filters(admin_client, tenant_a):
    body = admin_client.get(api(tenant_a, "members/"), {"q": "max"}).json()
    assert [row["email"] for row in body["results"]] == ["member@org-alpha.test"]
    response = admin_client.get(api(tenant_a, "members/"), {"role": "wizard"})
    assert response.status_code == 400 and "role" in response.json()


def test_member_list_runs_a_constant_number_of_queries(admin_client, tenant_a):
    admin_client.get(api(tenant_a, "members/"))
    with CaptureQueriesContext(connection) as few:
        admin_client.get(api(tenant_a, "members/"))
    with tenant_a.scope():
        for _ in range(15):
            factories.make_membership(department=tenant_a.departments[0], manager=tenant_a.admin)
    with CaptureQueriesContext(connection) as many:
        body = admin_client.get(api(tenant_a, "members/")).json()
    assert body["count"] == 17 and len(many) == len(few)


def test_patch_member_roles(admin_client, tenant_a):
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_a.member.pk}/"),
        {"roles": [Role.HR_ANALYST], "job_title": "People Analyst"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["roles"] == [Role.HR_ANALYST]
    with tenant_a.scope():
        tenant_a.member.refresh_from_db()
        assert tenant_a.member.job_title == "People Analyst"
        assert tenant_a.member.department == tenant_a.departments[1]  # untouched: not in the payload


def test_patch_foreign_member_is_404_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_b.member.pk}/"), {"roles": [Role.ORG_ADMIN]}, content_type="application/json"
    )
    assert response.status_code == 404
    with tenant_b.scope():
        tenant_b.member.refresh_from_db()
    assert tenant_b.member.roles == []


def test_foreign_ids_in_a_payload_are_not_found_on_their_field(admin_client, tenants):
    tenant_a, tenant_b = tenants
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_a.member.pk}/"),
        {"department_id": tenant_b.departments[0].pk, "manager_id": tenant_b.admin.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"department_id", "manager_id"}
    with tenant_a.scope():
        tenant_a.member.refresh_from_db()
        assert tenant_a.member.department == tenant_a.departments[1]


def test_service_errors_come_back_as_400_naming_the_field(admin_client, tenant_a):
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_a.admin.pk}/"),
        {"manager_id": tenant_a.member.pk},
        content_type="application/json",
    )
    assert response.status_code == 400 and "manager" in response.json()
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_a.member.pk}/"), {"roles": ["wizard"]}, content_type="application/json"
    )
    assert response.status_code == 400 and "roles" in response.json()


def test_departments_list_and_create(admin_client, client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        factories.make_department("Beta Only")
    names = {row["name"] for row in admin_client.get(api(tenant_a, "departments/")).json()}
    assert names == {"Engineering", "Sales"}
    created = admin_client.post(api(tenant_a, "departments/"), {"name": "Legal"}, content_type="application/json")
    assert created.status_code == 201
    duplicate = admin_client.post(api(tenant_a, "departments/"), {"name": "Legal"}, content_type="application/json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    login(client, tenant_a.member)
    refused = client.post(api(tenant_a, "departments/"), {"name": "Sneaky"}, content_type="application/json")
    assert refused.status_code == 403
    with tenant_a.scope():
        assert not Department.objects.filter(name="Sneaky").exists()


def test_out_of_range_ids_are_not_found(admin_client, tenant_a):
    huge = 10**22
    assert admin_client.get(api(tenant_a, f"members/{huge}/")).status_code == 404
    response = admin_client.patch(
        api(tenant_a, f"members/{tenant_a.member.pk}/"), {"department_id": huge}, content_type="application/json"
    )
    assert response.status_code == 400 and "department_id" in response.json()


def test_malformed_json_is_a_400_not_a_500(admin_client, tenant_a):
    response = admin_client.post(api(tenant_a, "departments/"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_openapi_schema_is_served(admin_client):
    response = admin_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert "/api/orgs/{org_slug}/members/" in response.json()["paths"]
