"""The current organization of a request, task or command: one ContextVar, entered with `tenant_scope`.

The ORM reads it (TenantManager filters by it and raises without it) and our database backend copies it into
PostgreSQL's `app.current_org_id`, which the row-level security policies read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import DatabaseError, connection

_current_organization_id: ContextVar[int | None] = ContextVar("current_organization_id", default=None)


class NoTenantScope(RuntimeError):
    """A tenant table was queried outside `tenant_scope`; we fail closed instead of returning every organization."""


def current_organization_id() -> int | None:
    return _current_organization_id.get()


def require_organization_id() -> int:
    organization_id = _current_organization_id.get()
    if organization_id is None:
        raise NoTenantScope(
            "No organization in scope: wrap this code in tenant_scope(organization), or use the model's "
            "`all_organizations` manager for deliberate cross-organization work."
        )
    return organization_id


@contextlib.contextmanager
def tenant_scope(organization) -> Iterator[int]:
    """Run the block as `organization` (a model instance or an id); the previous scope is restored after."""
    organization_id = int(getattr(organization, "pk", organization))
    token = _current_organization_id.set(organization_id)
    try:
        yield organization_id
    finally:
        _current_organization_id.reset(token)
        _sync_connection()


def _sync_connection() -> None:
    """Clear (or restore) the setting on the open connection now, so an idle pooled connection carries nothing."""
    if connection.connection is None:
        return
    try:
        connection.sync_organization_setting()
    except DatabaseError:
        # An aborted transaction cannot run it; the backend re-applies the setting before the next query instead.
        connection.organization_setting_is_stale()
