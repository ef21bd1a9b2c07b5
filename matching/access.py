"""Fetch-and-authorize helpers for matching (`access_*`). They read inside the caller's tenant scope, so a missing
row, another organization's row and a malformed id all look the same: 404. The caller checks the role."""

from __future__ import annotations

from matching.models import MatchProposal, MatchRun
from mentorship.tenancy.access import fetch_or_404
from programs.models import Cohort


def access_run_by_id(run_id: int, *, cohort: Cohort | None = None) -> MatchRun:
    """A match run with its cohort, program and starter loaded; when `cohort` is given it must belong to it too."""
    runs = MatchRun.objects.select_related("cohort__program", "started_by__user")
    if cohort is not None:
        runs = runs.filter(cohort=cohort)
    return fetch_or_404(runs, run_id, "match run")


def access_proposal_by_id(proposal_id: int, *, run: MatchRun | None = None) -> MatchProposal:
    """A proposal with its run, cohort, program and both applications; when `run` is given it must belong to it."""
    proposals = MatchProposal.objects.select_related("run__cohort__program", "mentee", "mentor")
    if run is not None:
        proposals = proposals.filter(run=run)
    return fetch_or_404(proposals, proposal_id, "proposal")
