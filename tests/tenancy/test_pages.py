"""Org admin pages: isolation pairs, roles, filters, forms that name their fields, constant query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mentorship.tenancy.models import Department, Membership, Role
from tests import factories
from tests.conftest import login


def url(name, tenant, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organization.slug, **kwargs})


# --- Resolution and access ---


def test_anonymous_visitors_are_sent_to_login(client, tenant_a):
    response = client.get(url("org_home", tenant_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("slug", ["org-beta", "no-such-org"])
def test_foreign_and_missing_organizations_look_the_same(admin_client, slug):
    response = admin_client.get(f"/o/{slug}/")
    assert response.status_code == 404
    assert b"Org Beta" not in response.content


def test_home_shows_my_organization_only(admin_client, tenant_a):
    response = admin_client.get(url("org_home", tenant_a))
    assert response.status_code == 200
    assert b"Org Alpha" in response.content and b"Org Beta" not in response.content


def test_deactivated_member_loses_access_at_once(client, tenant_a):
    login(client, tenant_a.member)
    assert client.get(url("org_home", tenant_a)).status_code == 200
    with tenant_a.scope():
        Membership.objects.filter(pk=tenant_a.member.pk).update(is_active=False)
    assert client.get(url("org_home", tenant_a)).status_code == 404


@pytest.mark.parametrize("name", ["member_list", "member_invite", "department_list"])
def test_admin_pages_are_forbidden_to_plain_members(client, tenant_a, name):
    login(client, tenant_a.member)
    assert client.get(url(name, tenant_a)).status_code == 403


def test_user_with_two_organizations_gets_a_switcher(client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        factories.make_membership(tenant_a.member.user)
    login(client, tenant_a.member)
    home = client.get("/")
    assert home.status_code == 200
    assert b"Org Alpha" in home.content and b"Org Beta" in home.content
    page = client.get(url("org_home", tenant_b))
    assert b"Switch organization" in page.content


def test_user_with_one_organization_lands_in_it(client, tenant_a):
    login(client, tenant_a.member)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == url("org_home", tenant_a)


# --- Members ---


def test_member_list_shows_my_organization_only(admin_client, tenants):
    tenant_a, _tenant_b = tenants
    response = admin_client.get(url("member_list", tenant_a))
    assert response.status_code == 200
    assert b"admin@org-alpha.test" in response.content
    assert b"admin@org-beta.test" not in response.content


def test_member_list_filters_by_search_department_role_and_status(admin_client, tenant_a):
    with tenant_a.scope():
        factories.make_membership(
            factories.make_user("hr@org-alpha.test", "Hana Research"),
            roles=[Role.HR_ANALYST],
            department=tenant_a.departments[1],
        )
    list_url = url("member_list", tenant_a)

    def emails(**params):
        response = admin_client.get(list_url, params)
        assert response.status_code == 200
        return {m.user.email for m in response.context["page"]}

    assert emails(q="hana") == {"hr@org-alpha.test"}
    assert emails(department=tenant_a.departments[1].pk) == {"hr@org-alpha.test", "member@org-alpha.test"}
    assert emails(role=Role.HR_ANALYST) == {"hr@org-alpha.test"}
    assert emails(role="member") == {"member@org-alpha.test"}
    assert emails(status="active") == {"admin@org-alpha.test", "member@org-alpha.test", "hr@org-alpha.test"}


def test_member_list_rejects_a_foreign_department_filter_by_name(admin_client, tenants):
    tenant_a, tenant_b = tenants
    response = admin_client.get(url("member_list", tenant_a), {"department": tenant_b.departments[0].pk})
    assert response.status_code == 200
    # The invalid filter is reported on its field and ignored; the list stays my organization's.
    assert "department" in response.context["filterset"].errors
    assert b"Select a valid choice" in response.content
    assert {m.organization_id for m in response.context["page"]} == {tenant_a.organization.pk}


def test_member_list_htmx_returns_the_table_only(admin_client, tenant_a):
    response = admin_client.get(url("member_list", tenant_a), {"q": "max"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content and b"member@org-alpha.test" in response.content


def test_member_list_runs_a_constant_number_of_queries(admin_client, tenant_a, django_assert_num_queries):
    list_url = url("member_list", tenant_a)
    admin_client.get(list_url)  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client.get(list_url)
    with tenant_a.scope():
        for index in range(20):
            factories.make_membership(department=tenant_a.departments[index % 2], manager=tenant_a.admin)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(list_url)
    assert len(response.context["page"]) == 22
    assert len(many) == len(few)


def test_member_detail_of_another_organization_is_404_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    foreign = tenant_b.member
    detail = url("member_detail", tenant_a, membership_id=foreign.pk)
    assert admin_client.get(detail).status_code == 404
    assert admin_client.post(detail, {"roles": [Role.ORG_ADMIN]}).status_code == 404
    active = url("member_set_active", tenant_a, membership_id=foreign.pk)
    assert admin_client.post(active, {"active": "0"}).status_code == 404
    with tenant_b.scope():
        foreign.refresh_from_db()
    assert foreign.roles == [] and foreign.is_active


def test_admin_changes_roles_department_and_manager(admin_client, tenant_a):
    member = tenant_a.member
    response = admin_client.post(
        url("member_detail", tenant_a, membership_id=member.pk),
        {
            "roles": [Role.PROGRAM_ADMIN, Role.HR_ANALYST],
            "department": tenant_a.departments[0].pk,
            "job_title": "Staff Engineer",
            "manager": "",
        },
    )
    assert response.status_code == 302
    with tenant_a.scope():
        member.refresh_from_db()
        assert member.roles == [Role.HR_ANALYST, Role.PROGRAM_ADMIN]
        assert member.department == tenant_a.departments[0]
        assert member.job_title == "Staff Engineer" and member.manager is None


def test_manager_cycles_are_rejected_on_the_manager_field(admin_client, tenant_a):
    # member reports to admin; making admin report to member would close a loop.
    response = admin_client.post(
        url("member_detail", tenant_a, membership_id=tenant_a.admin.pk),
        {"roles": [Role.ORG_ADMIN], "manager": tenant_a.member.pk},
    )
    assert response.status_code == 400
    assert "manager" in response.context["form"].errors
    assert b"reporting cycle" in response.content


def test_unknown_role_is_an_error_on_the_roles_field(admin_client, tenant_a):
    response = admin_client.post(
        url("member_detail", tenant_a, membership_id=tenant_a.member.pk), {"roles": ["superhero"]}
    )
    assert response.status_code == 400
    assert "roles" in response.context["form"].errors


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(admin_client, tenant_a):
    own = url("member_detail", tenant_a, membership_id=tenant_a.admin.pk)
    response = admin_client.post(own, {"roles": []})
    assert response.status_code == 400 and "roles" in response.context["form"].errors
    admin_client.post(url("member_set_active", tenant_a, membership_id=tenant_a.admin.pk), {"active": "0"})
    with tenant_a.scope():
        tenant_a.admin.refresh_from_db()
    assert tenant_a.admin.is_active and Role.ORG_ADMIN in tenant_a.admin.roles


def test_deactivate_and_reactivate(admin_client, tenant_a):
    active = url("member_set_active", tenant_a, membership_id=tenant_a.member.pk)
    admin_client.post(active, {"active": "0"})
    with tenant_a.scope():
        tenant_a.member.refresh_from_db()
        assert not tenant_a.member.is_active and tenant_a.member.deactivated_at
    admin_client.post(active, {"active": "1"})
    with tenant_a.scope():
        tenant_a.member.refresh_from_db()
        assert tenant_a.member.is_active and tenant_a.member.deactivated_at is None


# --- Departments ---


def test_departments_are_listed_per_organization(admin_client, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        factories.make_department("Beta Secret Lab")
    response = admin_client.get(url("department_list", tenant_a))
    assert b"Engineering" in response.content and b"Beta Secret Lab" not in response.content


def test_department_create_rename_delete(admin_client, tenant_a):
    admin_client.post(url("department_list", tenant_a), {"name": "Legal"})
    with tenant_a.scope():
        legal = Department.objects.get(name="Legal")
    admin_client.post(url("department_edit", tenant_a, department_id=legal.pk), {"name": "Legal & Compliance"})
    with tenant_a.scope():
        legal.refresh_from_db()
        assert legal.name == "Legal & Compliance"
    admin_client.post(url("department_edit", tenant_a, department_id=legal.pk), {"action": "delete"})
    with tenant_a.scope():
        assert not Department.objects.filter(pk=legal.pk).exists()


def test_duplicate_and_empty_department_names_are_field_errors(admin_client, tenant_a):
    response = admin_client.post(url("department_list", tenant_a), {"name": "Engineering"})
    assert response.status_code == 400 and "name" in response.context["form"].errors
    response = admin_client.post(url("department_list", tenant_a), {"name": ""})
    assert response.status_code == 400 and "name" in response.context["form"].errors


def test_department_with_members_cannot_be_deleted(admin_client, tenant_a):
    engineering = tenant_a.departments[0]
    response = admin_client.post(
        url("department_edit", tenant_a, department_id=engineering.pk), {"action": "delete"}, follow=True
    )
    assert b"still has members" in response.content
    with tenant_a.scope():
        assert Department.objects.filter(pk=engineering.pk).exists()


def test_foreign_department_edit_is_404_and_changes_nothing(admin_client, tenants):
    tenant_a, tenant_b = tenants
    foreign = tenant_b.departments[0]
    edit = url("department_edit", tenant_a, department_id=foreign.pk)
    assert admin_client.post(edit, {"name": "Hijacked"}).status_code == 404
    assert admin_client.post(edit, {"action": "delete"}).status_code == 404
    with tenant_b.scope():
        foreign.refresh_from_db()
    assert foreign.name == "Engineering"


def test_pages_do_not_fail_on_garbage_input(admin_client, tenant_a):
    for path, params in [
        (url("member_list", tenant_a), {"page": "zzz", "department": "abc", "role": "<script>", "status": "x"}),
        (url("member_list", tenant_a), {"page": "99999"}),
        (url("member_list", tenant_a), {"department": "99999999999999999999999"}),
    ]:
        assert admin_client.get(path, params).status_code == 200
    huge = 10**22  # beyond bigint: must be "not found", not a database error
    assert admin_client.get(url("member_detail", tenant_a, membership_id=huge)).status_code == 404
    assert admin_client.post(url("department_edit", tenant_a, department_id=huge), {"name": "x"}).status_code == 404
    assert Client().get("/o/%00bad/").status_code in (302, 404)
