"""The log is append-only in PostgreSQL itself: the application role may only read and insert, and the trigger
refuses UPDATE and DELETE to the table owner too. Deleting an organization still takes its log with it."""

from __future__ import annotations

import contextlib
import os

import dj_database_url
import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.db import ProgrammingError, connection, transaction
from psycopg2 import errors

from mentorship.audit.models import Action, AuditEvent
from mentorship.tenancy.models import Organization
from tests import factories
from tests.audit_factories import make_audit_event


@pytest.fixture
def event(tenant_a):
    with tenant_a.scope():
        return make_audit_event(actor=tenant_a.admin, details={"rows": 3})


@contextlib.contextmanager
def as_owner(organization_id: int):
    """A connection as the role that owns the tables (what migrations use), in the organization's scope."""
    owner = dj_database_url.parse(os.environ["DATABASE_URL"])
    settings = connection.settings_dict
    owner_connection = psycopg2.connect(
        dbname=settings["NAME"], user=owner["USER"], password=owner["PASSWORD"], host=settings["HOST"],
        port=settings["PORT"] or None,
    )  # fmt: skip
    owner_connection.autocommit = True
    try:
        with owner_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.current_org_id', %s, false)", [str(organization_id)])
            yield cursor
    finally:
        owner_connection.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'role.granted' WHERE id = %s",
        "UPDATE audit_auditevent SET actor_label = 'Someone else' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_app_role_may_neither_update_nor_delete(tenant_a, event, statement):
    with tenant_a.scope(), connection.cursor() as cursor:
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            cursor.execute(statement, [event.pk])
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(target_label="rewritten")
        assert AuditEvent.objects.get(pk=event.pk).action == Action.EXPORT_DOWNLOADED


def test_the_app_role_may_read_and_append(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege, has_table_privilege(current_user, 'audit_auditevent', privilege) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS privilege"
        )
        privileges = dict(cursor.fetchall())
    # TRUNCATE is granted by tests/conftest.py to the throwaway test database only, for transactional tests.
    assert {name: privileges[name] for name in ("SELECT", "INSERT", "UPDATE", "DELETE")} == {
        "SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'role.granted' WHERE id = %s",
        "UPDATE audit_auditevent SET details = '{}' WHERE id = %s",
        "UPDATE audit_auditevent SET actor_id = NULL, actor_label = 'Nobody' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_trigger_refuses_the_table_owner_too(tenant_a, event, statement):
    with as_owner(tenant_a.organization.pk) as owner:
        with pytest.raises(errors.RestrictViolation, match="audit events are append-only"):
            owner.execute(statement, [event.pk])
        owner.execute("SELECT action, actor_id, actor_label, details FROM audit_auditevent WHERE id = %s", [event.pk])
        row = owner.fetchone()
    assert row == (Action.EXPORT_DOWNLOADED, tenant_a.admin.user_id, "Ada Admin <admin@org-alpha.test>", {"rows": 3})


def test_deleting_the_actors_account_clears_only_the_link(tenant_a):
    """ON DELETE SET NULL is the one UPDATE the trigger lets through; the label keeps who acted."""
    someone = factories.make_user("gone@example.com", "Gus Gone")
    with tenant_a.scope():
        event = make_audit_event(actor=someone)
    get_user_model().objects.filter(pk=someone.pk).delete()
    with tenant_a.scope():
        assert AuditEvent.objects.filter(pk=event.pk).values_list("actor_id", "actor_label").get() == (
            None, "Gus Gone <gone@example.com>"
        )  # fmt: skip


def test_deleting_an_organization_deletes_its_log_and_no_other(tenants, event):
    """What the benchmark's wipe (analytics bench_metrics) does: the events go with the organization row."""
    tenant_a, tenant_b = tenants
    with tenant_b.scope():
        kept = make_audit_event()
    with tenant_a.scope():
        Organization.objects.filter(pk=tenant_a.organization.pk).delete()
        assert not AuditEvent.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent WHERE id = %s", [event.pk])  # unscoped: RLS hides all
        assert cursor.fetchone() == (0,)
    with tenant_b.scope():
        assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
