"""Task bases: tenant tasks carry `organization_id` into the worker and run inside its scope.

    @shared_task(base=TenantTask, name="programs.something")
    def something_task(*, organization_id: int, cohort_id: int): ...

    something_task.delay(organization_id=org.id, cohort_id=cohort.id)

Work over all organizations (the nightly fan-out) is a plain task marked with `@cross_organization_task`, so the
escape hatch is greppable; it reads Organization (no row-level security) and enqueues one tenant task per org.
"""

from __future__ import annotations

from celery import Task

from mentorship.tenancy.scope import tenant_scope


class TenantTask(Task):
    abstract = True

    def __call__(self, *args, **kwargs):
        organization_id = kwargs.get("organization_id")
        if organization_id is None:
            raise TypeError(f"{self.name} is a tenant task: call it with organization_id=<id>.")
        with tenant_scope(organization_id):
            return super().__call__(*args, **kwargs)


def fan_out(task) -> int:
    """Enqueue `task(organization_id=...)` once per organization (the nightly pattern); returns how many."""
    from mentorship.tenancy.models import Organization

    organization_ids = list(Organization.objects.values_list("id", flat=True))
    for organization_id in organization_ids:
        task.delay(organization_id=organization_id)
    return len(organization_ids)


def cross_organization_task(func):
    """Marks a task that deliberately works across organizations (and must not touch tenant rows itself)."""
    func.cross_organization = True
    return func
