"""Admin review of a cohort's applications: filter, page, decide in bulk, and a summary of participants.
Program admins and org admins only (others get 403)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from mentorship.tenancy.access import require_roles
from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors
from programs import selectors, services
from programs.access_applications import access_cohort_for_review
from programs.catalog_forms import BulkDecisionForm

APPLICATIONS_PER_PAGE = 25
DECIDED = {"accept": "accepted", "decline": "declined", "waitlist": "waitlisted"}


def reviewer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        require_roles(request.membership, Role.ORG_ADMIN, Role.PROGRAM_ADMIN)
        return view(request, *args, **kwargs)

    return wrapper


@reviewer_required
def cohort_applications(request, org_slug, cohort_id):
    cohort = access_cohort_for_review(cohort_id)
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
            query = request.GET.urlencode()
            return redirect(f"{request.path}{'?' + query if query else ''}")
    filterset, applications = selectors.application_list_for_review(cohort=cohort, filters=request.GET)
    page = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
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
