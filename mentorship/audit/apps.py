from django.apps import AppConfig
from django.db.models.signals import post_migrate


def restrict_app_role(using: str, **kwargs) -> None:
    """Take UPDATE and DELETE on the audit table back from the application role: it may only read and append.

    Tenancy's `grant_app_role` grants DML on every table on tenancy's post_migrate. This receiver is connected
    after it (audit follows tenancy in INSTALLED_APPS) and for every app's post_migrate, so it runs after the grant.
    The trigger of migration 0001 refuses the two statements for the owner as well.
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
        cursor.execute(
            f"REVOKE UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {connection.ops.quote_name(role)}"
        )


class AuditConfig(AppConfig):
    name = "mentorship.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self):
        post_migrate.connect(restrict_app_role, dispatch_uid="audit.restrict_app_role")
