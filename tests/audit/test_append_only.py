"""The log is append-only in PostgreSQL itself: the application role may only read and insert (and update the three
redactable columns), and the trigger refuses UPDATE and DELETE to the table owner too, except erasure's rewrite to
markers under `audit.redacting`. Deleting an organization still takes its log with it."""

from __future__ import annotations

import contextlib
import json
import os

import dj_database_url
import psycopg2
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, ProgrammingError, connection, transaction
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
        "UPDATE audit_auditevent SET ip_address = '10.0.0.1', actor_label = '(erased)' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
@pytest.mark.parametrize("redacting", [False, True])
def test_the_app_role_may_neither_update_nor_delete(tenant_a, event, statement, redacting):
    """Beyond the three redactable columns, no grant, flag or not."""
    with tenant_a.scope(), connection.cursor() as cursor:
        if redacting:
            cursor.execute("SET LOCAL audit.redacting = 'on'")
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            cursor.execute(statement, [event.pk])
        assert AuditEvent.objects.get(pk=event.pk).action == Action.EXPORT_DOWNLOADED


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET actor_label = 'Someone else' WHERE id = %s",
        "UPDATE audit_auditevent SET actor_label = '(erased)' WHERE id = %s",  # a marker, but no flag
        'UPDATE audit_auditevent SET details = \'{"rows": "(erased)"}\' WHERE id = %s',
    ],
)
def test_the_redactable_columns_are_refused_without_the_flag(tenant_a, event, statement):
    with tenant_a.scope(), connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="audit events are append-only"), transaction.atomic():
            cursor.execute(statement, [event.pk])
        with pytest.raises(IntegrityError, match="audit events are append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(target_label="(erased)")
        assert AuditEvent.objects.values_list("actor_label", "target_label", "details").get(pk=event.pk) == (
            "Ada Admin <admin@org-alpha.test>", "Test export (csv)", {"rows": 3}
        )  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        "actor_label = 'Someone else'",
        "actor_label = 'Member #abc (erased)'",
        "target_label = 'Member #7 (erased) or not'",
        "details = '{}'",  # a key dropped
        'details = \'{"rows": "(erased)", "extra": 1}\'',  # a key added
        "details = '{\"rows\": 4}'",  # a value changed to something else than the marker
        "details = '[\"(erased)\"]'",
    ],
)
def test_with_the_flag_only_the_markers_are_accepted(tenant_a, event, change):
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.redacting = 'on'")
        with pytest.raises(IntegrityError, match="audit events are append-only"), transaction.atomic():
            cursor.execute(f"UPDATE audit_auditevent SET {change} WHERE id = %s", [event.pk])


def test_with_the_flag_the_markers_are_written(tenant_a, event):
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.redacting = 'on'")
        cursor.execute(
            "UPDATE audit_auditevent SET actor_label = %s, target_label = %s, details = %s WHERE id = %s",
            ["Member #7 (erased)", "(erased)", json.dumps({"rows": "(erased)"}), event.pk],
        )
        cursor.execute("SET LOCAL audit.redacting = 'off'")
        assert AuditEvent.objects.values_list("actor_label", "target_label", "details", "action").get(pk=event.pk) == (
            "Member #7 (erased)", "(erased)", {"rows": "(erased)"}, Action.EXPORT_DOWNLOADED
        )  # fmt: skip
        with pytest.raises(IntegrityError, match="audit events are append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(actor_label="(erased)")  # the flag is off again


def test_the_app_role_may_read_and_append(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege, has_table_privilege(current_user, 'audit_auditevent', privilege) "
            "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS privilege"
        )
        privileges = dict(cursor.fetchall())
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'audit_auditevent'::regclass AND attnum > 0 "
            "AND NOT attisdropped AND has_column_privilege(current_user, attrelid, attnum, 'UPDATE') ORDER BY attname"
        )
        updatable = [row[0] for row in cursor.fetchall()]
    # TRUNCATE is granted by tests/conftest.py to the throwaway test database only, for transactional tests.
    assert {name: privileges[name] for name in ("SELECT", "INSERT", "UPDATE", "DELETE")} == {
        "SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False
    }  # fmt: skip
    assert updatable == ["actor_label", "details", "target_label"]  # the redactable columns, nothing else


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'role.granted' WHERE id = %s",
        "UPDATE audit_auditevent SET details = '{}' WHERE id = %s",
        "UPDATE audit_auditevent SET actor_id = NULL, actor_label = 'Nobody' WHERE id = %s",
        "UPDATE audit_auditevent SET action = 'role.granted', actor_label = '(erased)' WHERE id = %s",
        "UPDATE audit_auditevent SET actor_id = NULL, actor_label = '(erased)' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
@pytest.mark.parametrize("redacting", [False, True])
def test_the_trigger_refuses_the_table_owner_too(tenant_a, event, statement, redacting):
    with as_owner(tenant_a.organization.pk) as owner:
        owner.execute("BEGIN")
        if redacting:  # the flag opens only the marker rewrite: none of these
            owner.execute("SET LOCAL audit.redacting = 'on'")
        with pytest.raises(errors.RestrictViolation, match="audit events are append-only"):
            owner.execute(statement, [event.pk])
        owner.execute("ROLLBACK")
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
