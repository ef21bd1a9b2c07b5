"""Admin review of a cohort's applications: filter, page, decide in bulk, and a summary of participants.
Program admins and org admins only (others get 403)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from mentorship.tenancy.access import roles_required
from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors
from programs import selectors, services
from programs.access import access_cohort_by_id
from programs.catalog_forms import MEETING_WINDOWS, BulkDecisionForm

APPLICATIONS_PER_PAGE = 25
DECIDED = {"accept": "accepted", "decline": "declined", "waitlist": "waitlisted"}


reviewer_required = roles_required(Role.ORG_ADMIN, Role.PROGRAM_ADMIN)


def _back_to_the_list(request) -> str:
    """Where the list was: the page the form was posted from (htmx may have changed its filters since it was
    rendered), if it is this page on this site; otherwise the URL the form was posted to."""
    referer = request.headers.get("Referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return referer if same_site and urlsplit(referer).path == request.path else request.get_full_path()


@reviewer_required
def cohort_applications(request, org_slug, cohort_id):
    cohort = access_cohort_by_id(cohort_id)
    form = BulkDecisionForm(request.POST if request.method == "POST" else None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = services.applications_decide(
                application_ids=[application.pk for application in data["applications"]],
                decision=data["decision"],
                decided_by=request.membership,
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"{changed} application{'s' if changed != 1 else ''} {DECIDED[data['decision']]}."
            )
            return redirect(_back_to_the_list(request))
    filterset, applications = selectors.application_list_for_review(cohort=cohort, filters=request.GET)
    page = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    windows = dict(MEETING_WINDOWS)
    for application in page:
        application.meeting_window_labels = [windows.get(value, value) for value in application.meeting_windows]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "cohort": cohort,
        "program": cohort.program,
        "filterset": filterset,
        "page": page,
        "query": query.urlencode(),
        "form": form,
        "selected": {str(pk) for pk in request.POST.getlist("applications")} if request.method == "POST" else set(),
        "summary": selectors.cohort_summary(cohort=cohort),
    }
    template = "programs/review_applications_table.html" if request.htmx else "programs/review_applications.html"
    return render(request, template, context, status=400 if form.errors else 200)
