from celery import shared_task
from django.db import connection

from mentorship.tenancy import imports, services
from mentorship.tenancy.celery_tasks import TenantTask, cross_organization_task, fan_out
from mentorship.tenancy.models import PeopleImport
from mentorship.tenancy.scope import current_organization_id


@shared_task(name="tenancy.invitations_expire")
@cross_organization_task
def invitations_expire_all_task() -> int:
    """Nightly fan-out: one tenant task per organization."""
    return fan_out(invitations_expire_task)


@shared_task(base=TenantTask, name="tenancy.invitations_expire_for_organization")
def invitations_expire_task(*, organization_id: int) -> int:
    return services.invitations_expire()


@shared_task(base=TenantTask, name="tenancy.people_import_run")
def people_import_run_task(*, organization_id: int, import_id: int) -> str | None:
    """A people import too large for the request: validate, then import in one transaction, with progress."""
    people_import = PeopleImport.objects.select_related("uploaded_by__user").filter(pk=import_id).first()
    if people_import is None:
        return None
    return imports.people_import_run(people_import=people_import, report_progress=True).status


@shared_task(base=TenantTask, name="tenancy.scope_probe")
def scope_probe_task(*, organization_id: int) -> dict:
    """What a worker sees inside a tenant scope, through raw SQL that only row-level security filters.

    `manage.py check_workers` sends it for each organization after a deploy, to prove that the workers connect
    as a role that row-level security binds and that the scope reaches PostgreSQL.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_setting('app.current_org_id', true), "
            "(SELECT count(*) FROM tenancy_department), "
            "(SELECT count(DISTINCT organization_id) FROM tenancy_department)"
        )
        role, setting, departments, organizations = cursor.fetchone()
    return {
        "scope": current_organization_id(),
        "role": role,
        "setting": setting,
        "departments_visible": departments,
        "organizations_visible": organizations,
    }
