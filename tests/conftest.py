"""Fixtures: real PostgreSQL (tests connect as the application role, so row-level security is in force), real
Redis, and always two organizations."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connections

from mentorship.tenancy.models import Department, Membership, Organization, Role
from mentorship.tenancy.scope import tenant_scope
from tests import factories


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is created and migrated as the owner role; every test then runs as the app role."""
    database = connections["default"].settings_dict
    owner = (database["USER"], database["PASSWORD"])
    app_role = settings.DATABASE_APP_ROLE
    app_password = os.environ.get("DATABASE_APP_PASSWORD", "")
    if app_role != owner[0]:
        with django_db_blocker.unblock():
            with connections["default"].cursor() as cursor:
                # Transactional tests reset the database with TRUNCATE, which the production app role may not run
                # (TRUNCATE skips row-level security); only this throwaway test database grants it.
                cursor.execute(f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {app_role}")
            connections.close_all()
            database["USER"], database["PASSWORD"] = app_role, app_password
    yield
    with django_db_blocker.unblock():
        connections.close_all()
        database["USER"], database["PASSWORD"] = owner


@dataclass
class Tenant:
    organization: Organization
    departments: list[Department]
    admin: Membership
    member: Membership

    def scope(self):
        return tenant_scope(self.organization)


def _tenant(name: str) -> Tenant:
    organization = factories.make_organization(name)
    slug = organization.slug
    with tenant_scope(organization):
        departments = [factories.make_department("Engineering"), factories.make_department("Sales")]
        admin = factories.make_membership(
            factories.make_user(f"admin@{slug}.test", "Ada Admin"), roles=[Role.ORG_ADMIN], department=departments[0]
        )
        member = factories.make_membership(
            factories.make_user(f"member@{slug}.test", "Max Member"), department=departments[1], manager=admin
        )
    return Tenant(organization, departments, admin, member)


@pytest.fixture
def tenant_a(db) -> Tenant:
    return _tenant("Org Alpha")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return _tenant("Org Beta")


@pytest.fixture
def tenants(tenant_a, tenant_b) -> tuple[Tenant, Tenant]:
    return tenant_a, tenant_b


def login(client, membership: Membership):
    client.force_login(membership.user)
    return client


@pytest.fixture
def admin_client(client, tenant_a, tenant_b):
    """Logged in as the org admin of tenant A (tenant B exists alongside)."""
    return login(client, tenant_a.admin)
