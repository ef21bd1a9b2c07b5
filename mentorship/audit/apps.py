from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The only columns erasure may redact (services.person_redact); the trigger of migration 0003 checks the values.
REDACTABLE_COLUMNS = ("actor_label", "target_label", "details")


def restrict_app_role(using: str, **kwargs) -> None:
    """Take UPDATE and DELETE on the audit table back from the application role: it may only read and append,
    and update the three redactable columns (which the trigger only lets change to erasure markers).

    Tenancy's `grant_app_role` grants DML on every table on tenancy's post_migrate. This receiver is connected
    after it (audit follows tenancy in INSTALLED_APPS) and for every app's post_migrate, so it runs after the grant.
    The trigger of migrations 0001 and 0003 refuses the statements for the owner as well.
    """
    from django.conf import settings
    from django.db import connections

    from mentorship.audit.models import AuditEvent

    connection = connections[using]
    role = settings.DATABASE_APP_ROLE
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None or connection.settings_dict["USER"] == role:
            return
        if table not in connection.introspection.table_names(cursor):
            return  # migrating backwards, or this app's migration has not run yet
        quoted_table, quoted_role = connection.ops.quote_name(table), connection.ops.quote_name(role)
        # Revoking the table-wide UPDATE revokes column grants too, so the column grant comes after it, every time.
        cursor.execute(f"REVOKE UPDATE, DELETE ON {quoted_table} FROM {quoted_role}")
        columns = ", ".join(connection.ops.quote_name(column) for column in REDACTABLE_COLUMNS)
        cursor.execute(f"GRANT UPDATE ({columns}) ON {quoted_table} TO {quoted_role}")


class AuditConfig(AppConfig):
    name = "mentorship.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        post_migrate.connect(restrict_app_role, dispatch_uid="audit.restrict_app_role")
