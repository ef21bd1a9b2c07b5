"""The demo organizations: realistic size and shape, isolated, and seeding twice changes nothing."""

from __future__ import annotations

import io

from django.core.management import call_command

from mentorship.tenancy.models import Department, Membership, Organization
from mentorship.tenancy.scope import tenant_scope


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, tuple[int, int]]:
    result = {}
    for organization in Organization.objects.all():
        with tenant_scope(organization):
            result[organization.slug] = (Membership.objects.count(), Department.objects.count())
    return result


def test_seed_demo_builds_two_organizations_and_is_idempotent(db):
    assert "Demo ready" in seed()
    first = counts()
    seed()
    assert counts() == first
    members, departments = first["acme"]
    assert 290 <= members <= 320 and departments == 8
    assert first["globex"][1] == 4 and 30 <= first["globex"][0] <= 50


def test_demo_manager_hierarchy_has_no_cycles_and_stays_inside_the_organization(db):
    seed()
    acme = Organization.objects.get(slug="acme")
    with tenant_scope(acme):
        managers = dict(Membership.objects.values_list("pk", "manager_id"))
    roots = [pk for pk, manager in managers.items() if manager is None]
    assert len(roots) <= 6  # the chief and the demo logins, who have no manager
    for start in managers:
        seen, cursor = set(), start
        while cursor is not None:
            assert cursor in managers, "a manager from another organization"
            assert cursor not in seen, "a reporting cycle"
            seen.add(cursor)
            cursor = managers[cursor]


def test_the_two_organization_demo_login_has_two_memberships(db):
    seed()
    both = Membership.all_organizations.filter(user__email="both@acme.example")
    assert sorted(both.values_list("organization__slug", flat=True)) == ["acme", "globex"]
