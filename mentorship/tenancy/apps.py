from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_app_role(using: str, **kwargs) -> None:
    """Give the application role DML (never DDL) on every table and sequence the migrating role created.

    Runs after each `migrate`, as the owner role, so tables added later are covered without anyone remembering.
    """
    from django.conf import settings
    from django.db import connections

    role = settings.DATABASE_APP_ROLE
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None or cursor.db.settings_dict["USER"] == role:
            return
        quoted = connections[using].ops.quote_name(role)
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


class TenancyConfig(AppConfig):
    name = "mentorship.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self):
        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="tenancy.grant_app_role")
