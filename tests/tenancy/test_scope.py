"""The scope reaches PostgreSQL, is cleared when it ends, and survives rollbacks; no request carries another's."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from mentorship.tenancy.models import Department
from mentorship.tenancy.scope import current_organization_id


def pg_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.current_org_id', true)")
        return cursor.fetchone()[0] or ""


def test_scope_sets_and_clears_the_postgres_setting(tenant_a):
    with tenant_a.scope():
        assert pg_setting() == str(tenant_a.organization.pk)
    # Read the raw setting without going through our cursor sync: the scope's exit cleared it eagerly.
    with connection.connection.cursor() as raw:
        raw.execute("SELECT current_setting('app.current_org_id', true)")
        assert (raw.fetchone()[0] or "") == ""


def test_nested_scopes_restore_the_outer_one(tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        with tenant_b.scope():
            assert current_organization_id() == tenant_b.organization.pk
            assert pg_setting() == str(tenant_b.organization.pk)
        assert current_organization_id() == tenant_a.organization.pk
        assert pg_setting() == str(tenant_a.organization.pk)
        assert set(Department.objects.values_list("name", flat=True)) == {"Engineering", "Sales"}


def test_setting_is_reapplied_after_a_savepoint_rollback_undid_it(tenants):
    tenant_a, _ = tenants
    with tenant_a.scope():
        with pytest.raises(RuntimeError), transaction.atomic():
            # The first query of the scope happens inside the savepoint, so the rollback undoes set_config.
            assert Department.objects.count() == 2
            raise RuntimeError("roll back")
        assert Department.objects.count() == 2


def test_a_failed_statement_inside_the_scope_does_not_break_the_next_one(tenants):
    tenant_a, _ = tenants
    with tenant_a.scope():
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        assert Department.objects.count() == 2


def test_privileged_database_roles_are_refused(db):
    """Connecting as a superuser (which skips row-level security) fails instead of running without isolation."""
    from mentorship.tenancy.postgres.base import DatabaseWrapper

    # Both the embedded server and this machine's PostgreSQL trust local connections of `postgres`.
    wrapper = DatabaseWrapper({**connection.settings_dict, "USER": "postgres", "PASSWORD": ""}, alias="superuser")
    try:
        with pytest.raises(ImproperlyConfigured, match="superuser or has BYPASSRLS"):
            wrapper.ensure_connection()
    finally:
        wrapper.close()
