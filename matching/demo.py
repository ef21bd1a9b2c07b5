"""Demo matching on top of the demo programs (programs.demo): Acme's running program "Leaders of Tomorrow" gets a
completed, published match run, so its active cohort has mentorships. Computed by the real services
(`match_run_execute`, `match_run_publish`, without emails) inside the organization's scope. Idempotent: a cohort that
already has a run is left alone.
"""

from __future__ import annotations

from django.db import transaction

from matching import services
from matching.algorithms.scoring import resolve_weights
from matching.models import MatchRun
from mentorship.tenancy.models import Membership, Organization
from mentorship.tenancy.scope import tenant_scope
from programs.models import Cohort, Program

DEMO_RUNS = (("acme", "Leaders of Tomorrow", "programs@acme.example"),)


def seed_matching() -> list[MatchRun]:
    """A finished, published run for each demo program above whose active cohort has no run yet."""
    created = []
    for slug, program_name, admin_email in DEMO_RUNS:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            continue
        with tenant_scope(organization):
            cohort = (
                Cohort.objects.select_related("program")
                .filter(program__name=program_name, program__status=Program.Status.RUNNING)
                .filter(status=Cohort.Status.ACTIVE)
                .order_by("-starts_on")
                .first()
            )
            if cohort is None or MatchRun.objects.filter(cohort=cohort).exists():
                continue
            admin = Membership.objects.filter(user__email=admin_email).first()
            created.append(publish_demo_run(cohort=cohort, admin=admin))
    return created


def publish_demo_run(*, cohort: Cohort, admin: Membership | None) -> MatchRun:
    """Match ``cohort`` and publish the result as ``admin`` would, without emails: the run is recorded here rather
    than by `match_run_start` (which would also enqueue it for a worker) and computed in this process. Also used
    by the workspace demo (programs.demo_workspace) for its cohorts."""
    with transaction.atomic():
        run = MatchRun(
            cohort=cohort, started_by=admin, objective=MatchRun.Objective.SCORE, weights=resolve_weights(None)
        )
        run.full_clean()
        run.save()
    run = services.match_run_execute(run=MatchRun.objects.select_related("cohort__program").get(pk=run.pk))
    if run.status == MatchRun.Status.DONE and run.summary.get("matched"):
        services.match_run_publish(run=run, published_by=admin, notify=False)
    return run
