"""Per-match status of a cohort's mentorships, for program admins and org admins (others get 403).

Aggregates only (programs.match_status): no session notes, topics, reflections or private notes ever reach it.
"""

from __future__ import annotations

from django.shortcuts import render

from programs.access import access_cohort_by_id
from programs.match_status import cohort_match_status
from programs.views.admin import program_admin_required


@program_admin_required
def cohort_mentorships(request, org_slug, cohort_id):
    cohort = access_cohort_by_id(cohort_id)
    status = cohort_match_status(cohort=cohort, filters=request.GET)
    template = "programs/match_status_table.html" if request.htmx else "programs/match_status.html"
    return render(request, template, {"cohort": cohort, "program": cohort.program, "status": status})
