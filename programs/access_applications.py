"""Fetch-and-authorize helpers for the member side (opportunities, applications) and the admin review.

They read inside the request's tenant scope: a missing id, another organization's id and a malformed one all give
404, as in mentorship/tenancy/access.py.
"""

from __future__ import annotations

from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Membership
from programs.models import Application, Cohort, Program


def access_cohort_for_member(cohort_id: int) -> Cohort:
    """A cohort a member may apply to: its program is open and the cohort is enrolling (otherwise 404)."""
    cohorts = Cohort.objects.select_related("program").filter(
        status=Cohort.Status.ENROLLING, program__status=Program.Status.OPEN
    )
    return fetch_or_404(cohorts, cohort_id, "cohort")


def access_application_by_id(application_id: int, *, membership: Membership | None = None) -> Application:
    """An application of the organization; with `membership`, only that member's own (someone else's is 404)."""
    queryset = Application.objects.select_related("cohort__program")
    if membership is not None:
        queryset = queryset.filter(membership=membership)
    return fetch_or_404(queryset, application_id, "application")
