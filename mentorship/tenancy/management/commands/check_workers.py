from django.core.management.base import BaseCommand, CommandError

from mentorship.tenancy.models import Department, Organization
from mentorship.tenancy.scope import tenant_scope
from mentorship.tenancy.tasks import scope_probe_task


class Command(BaseCommand):
    help = (
        "Send a probe task to the Celery workers for each organization and check that the organization arrives "
        "in the worker and that row-level security limits what it sees (run after a deploy)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, timeout: float, **options):
        failures = 0
        for organization in Organization.objects.order_by("id"):
            with tenant_scope(organization):
                expected = Department.objects.count()
            report = scope_probe_task.delay(organization_id=organization.id).get(timeout=timeout)
            ok = (
                report["scope"] == organization.id
                and report["setting"] == str(organization.id)
                and report["departments_visible"] == expected
                and report["organizations_visible"] <= 1
            )
            failures += not ok
            self.stdout.write(f"{'ok  ' if ok else 'FAIL'} {organization.slug}: {report}")
        if failures:
            raise CommandError(f"{failures} organization(s) not isolated in the workers")
