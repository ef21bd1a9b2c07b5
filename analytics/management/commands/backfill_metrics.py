"""Compute the metric history of every organization (or one), month by month since its first cohort."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from analytics.compute import metrics_run_execute
from analytics.models import MetricsRun
from analytics.services import _check_month, live_run
from mentorship.tenancy.models import Organization
from mentorship.tenancy.scope import tenant_scope


class Command(BaseCommand):
    help = (
        "Full metrics computation (every month since the first cohort, every cohort) for all organizations or "
        "--org SLUG, optionally only the months from --from YYYY-MM on; prints each organization's progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", help="The organization's slug (default: every organization).")
        parser.add_argument("--from", dest="from_month", default="", help="Recompute the months from YYYY-MM on.")

    def handle(self, *args, org: str | None, from_month: str, **options):
        if from_month:
            try:
                _check_month(from_month)
            except ValidationError as error:
                raise CommandError(error.message_dict["from_month"][0]) from None
        organizations = Organization.objects.order_by("slug")
        if org:
            organizations = organizations.filter(slug=org)
            if not organizations.exists():
                raise CommandError(f"No organization with the slug {org!r}.")
        failed = 0
        for organization in organizations:
            with tenant_scope(organization):
                if live_run() is not None:
                    self.stdout.write(f"{organization.slug}: a computation is in progress; skipped")
                    continue
                run = MetricsRun.objects.create(mode=MetricsRun.Mode.FULL, from_month=from_month)

                def report(progress: int, phase: str, slug=organization.slug) -> None:
                    self.stdout.write(f"{slug}: {progress:3d}% {phase}")

                try:
                    run = metrics_run_execute(run=run, report=report)
                except Exception as error:  # reported; the next organization still runs
                    failed += 1
                    self.stderr.write(f"{organization.slug}: failed: {error}")
                    continue
                self.stdout.write(
                    f"{organization.slug}: {run.status}, {run.rows_written} rows written, {run.rows_deleted} deleted "
                    f"({', '.join(run.periods)})"
                )
        if failed:
            raise CommandError(f"{failed} organization(s) failed.")
