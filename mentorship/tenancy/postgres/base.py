"""PostgreSQL backend that keeps `app.current_org_id` in step with the tenant scope.

Like django-tenants sets the search path per cursor, we set the row-level security setting when a cursor is
created and the scope differs from what this connection last applied. The setting is session-level, so a rollback
(of a transaction or a savepoint) can undo it: after any rollback we forget what was applied and set it again.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql import base

from mentorship.tenancy.scope import current_organization_id

_UNKNOWN = object()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._applied_organization = _UNKNOWN
        self._rolling_back = False

    def init_connection_state(self):
        super().init_connection_state()
        self._applied_organization = _UNKNOWN
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            (privileged,) = cursor.fetchone()
        if privileged:
            # Superusers and BYPASSRLS roles skip row-level security: refuse rather than run without isolation.
            raise ImproperlyConfigured(
                f"Database role {self.settings_dict['USER']!r} is a superuser or has BYPASSRLS. Connect as the "
                f"application role (see README, 'Database roles')."
            )

    def create_cursor(self, name=None):
        if not self._rolling_back:
            self.sync_organization_setting()
        return super().create_cursor(name)

    def sync_organization_setting(self) -> None:
        wanted = current_organization_id()
        if wanted == self._applied_organization:
            return
        with self.wrap_database_errors, self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('app.current_org_id', %s, false)", ["" if wanted is None else str(wanted)]
            )
        self._applied_organization = wanted

    def organization_setting_is_stale(self) -> None:
        self._applied_organization = _UNKNOWN

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._applied_organization = _UNKNOWN

    def _savepoint_rollback(self, sid):
        # The transaction may be aborted here: the ROLLBACK TO must run without our setting query first.
        self._rolling_back = True
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self._rolling_back = False
            self._applied_organization = _UNKNOWN
