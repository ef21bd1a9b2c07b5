"""Contract tests over every TenantModel, found by introspection: a new model that forgets a layer fails here."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import UniqueConstraint

from mentorship.audit.models import AuditEvent
from mentorship.tenancy.models import Invitation, Membership, TenantModel
from mentorship.tenancy.scope import NoTenantScope
from tests.factories import TENANT_ROW_BUILDERS

TENANT_MODELS = [model for model in apps.get_models() if issubclass(model, TenantModel)]
RLS_MODELS = [model for model in TENANT_MODELS if model.row_level_security]
# The app role may neither UPDATE nor DELETE the audit log at all; tests/audit/test_append_only.py covers it.
WRITABLE_RLS_MODELS = [model for model in RLS_MODELS if model is not AuditEvent]


def ids(model):
    return model.__name__


def test_tenant_models_are_found():
    assert {model.__name__ for model in TENANT_MODELS} >= {"Department", "Membership", "Invitation"}


def test_only_the_pre_scope_tables_opt_out_of_row_level_security():
    # Membership and Invitation are read to decide which scope a request may enter; nothing else may opt out.
    assert {model for model in TENANT_MODELS if not model.row_level_security} == {Membership, Invitation}


@pytest.mark.parametrize("model", TENANT_MODELS, ids=ids)
def test_every_tenant_model_has_a_row_builder(model):
    assert model in TENANT_ROW_BUILDERS, f"add a builder for {model.__name__} to tests/factories.py"


@pytest.mark.parametrize("model", TENANT_MODELS, ids=ids)
def test_default_manager_raises_without_scope(model, tenants):
    with pytest.raises(NoTenantScope):
        list(model.objects.all())
    with pytest.raises(NoTenantScope):
        model.objects.count()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=ids)
def test_other_organizations_rows_are_invisible_in_scope(model, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        mine = TENANT_ROW_BUILDERS[model]()
    with tenant_b.scope():
        theirs = TENANT_ROW_BUILDERS[model]()
    with tenant_a.scope():
        visible = set(model.objects.values_list("pk", flat=True))
        assert mine.pk in visible
        assert theirs.pk not in visible
        assert not model.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=ids)
def test_unique_constraints_include_organization(model):
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            assert "organization" in constraint.fields, f"{model.__name__}.{constraint.name} must include organization"
    for field in model._meta.fields:
        if field.unique and not field.primary_key:
            # A globally unique column is only acceptable for random secrets (token hashes).
            assert field.name.endswith("_hash"), f"{model.__name__}.{field.name} is unique across organizations"


def _table_security(table: str) -> tuple[bool, bool, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relrowsecurity, c.relforcerowsecurity, "
            "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
            "FROM pg_class c WHERE c.relname = %s",
            [table],
        )
        return cursor.fetchone()


@pytest.mark.parametrize("model", RLS_MODELS, ids=ids)
def test_row_level_security_is_enabled_forced_and_has_a_policy(model, db):
    enabled, forced, policies = _table_security(model._meta.db_table)
    assert enabled and forced and policies >= 1


def test_tests_connect_as_the_unprivileged_app_role(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls, "
            "EXISTS (SELECT 1 FROM pg_tables WHERE tableowner = current_user AND schemaname = 'public') "
            "FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypass, owns_tables = cursor.fetchone()
    assert user == "mentorship_app"
    assert not superuser and not bypass and not owns_tables


@pytest.mark.parametrize("model", RLS_MODELS, ids=ids)
def test_raw_sql_without_scope_sees_no_rows(model, tenants):
    for tenant in tenants:
        with tenant.scope():
            TENANT_ROW_BUILDERS[model]()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("model", RLS_MODELS, ids=ids)
def test_raw_sql_in_scope_sees_only_that_organization(model, tenants):
    tenant_a, _tenant_b = tenants
    for tenant in tenants:
        with tenant.scope():
            TENANT_ROW_BUILDERS[model]()
    table = connection.ops.quote_name(model._meta.db_table)
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT organization_id FROM {table}")
        assert [row[0] for row in cursor.fetchall()] == [tenant_a.organization.pk]


@pytest.mark.parametrize("model", WRITABLE_RLS_MODELS, ids=ids)
def test_database_rejects_moving_a_row_into_another_organization(model, tenants):
    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        row = TENANT_ROW_BUILDERS[model]()
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        tenant_a.scope(),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET organization_id = %s WHERE id = %s", [tenant_b.organization.pk, row.pk])


@pytest.mark.parametrize("model", WRITABLE_RLS_MODELS, ids=ids)
def test_database_ignores_writes_to_another_organizations_rows(model, tenants):
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        theirs = TENANT_ROW_BUILDERS[model]()
    table = connection.ops.quote_name(model._meta.db_table)
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [theirs.pk])
        assert cursor.rowcount == 0
    with tenant_b.scope():
        assert model.objects.filter(pk=theirs.pk).exists()


def test_saving_a_row_in_another_organizations_scope_is_refused(tenants):
    from mentorship.tenancy.models import CrossOrganizationWrite, Department

    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        department = Department.objects.get(pk=tenant_a.departments[0].pk)
    with tenant_b.scope(), pytest.raises(CrossOrganizationWrite):
        department.save()


def test_bulk_insert_into_another_organization_is_rejected_by_the_database(tenants):
    from mentorship.tenancy.models import Department

    tenant_a, tenant_b = tenants
    with tenant_a.scope(), pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic():
        Department.objects.bulk_create([Department(organization=tenant_b.organization, name="Smuggled")])


def test_the_same_department_name_may_exist_in_two_organizations(tenants):
    from mentorship.tenancy.models import Department

    tenant_a, tenant_b = tenants
    with tenant_a.scope():
        Department.objects.create(name="Legal")
        with pytest.raises(IntegrityError), transaction.atomic():
            Department.objects.create(name="Legal")
    with tenant_b.scope():
        Department.objects.create(name="Legal")
