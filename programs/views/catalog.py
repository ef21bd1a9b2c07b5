"""Member pages: the opportunity map, applying to a cohort, my applications and withdrawing. Every member of the
organization may use them; the middleware has entered the organization's scope."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mentorship.tenancy.models import Role
from mentorship.tenancy.views import apply_errors
from programs import selectors, services
from programs.access_applications import access_application_by_id, access_cohort_for_member
from programs.catalog_forms import ApplicationForm
from programs.models import Application

REVIEWER_ROLES = (Role.ORG_ADMIN, Role.PROGRAM_ADMIN)


def opportunity_list(request, org_slug):
    return render(
        request,
        "programs/catalog_opportunities.html",
        {
            "programs": selectors.opportunity_list(membership=request.membership),
            "can_review": request.membership.has_role(*REVIEWER_ROLES),
        },
    )


def application_apply(request, org_slug, cohort_id):
    cohort = access_cohort_for_member(cohort_id)
    role = request.GET.get("role", "")
    context = {"cohort": cohort, "program": cohort.program, "roles": Application.Role.choices}
    if role not in Application.Role.values:
        # No role (or an unknown one) yet: let the member choose how to take part.
        return render(request, "programs/catalog_apply.html", context, status=400 if role else 200)
    membership = request.membership
    existing = (
        Application.objects.filter(cohort=cohort, membership=membership)
        .exclude(status=Application.Status.WITHDRAWN)
        .first()
    )
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        role=role,
        cohort=cohort,
        skills=selectors.cohort_skills(cohort=cohort),
        membership=membership,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.application_submit(cohort=cohort, membership=membership, **form.service_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Your application to {cohort} as {role} is submitted.")
            return redirect("my_applications", org_slug=org_slug)
    context.update({"role": role, "role_label": Application.Role(role).label, "form": form, "existing": existing})
    return render(request, "programs/catalog_apply.html", context, status=400 if form.errors else 200)


def my_applications(request, org_slug):
    return render(
        request,
        "programs/catalog_mine.html",
        {"applications": selectors.my_application_list(membership=request.membership)},
    )


@require_POST
def application_withdraw(request, org_slug, application_id):
    application = access_application_by_id(application_id, membership=request.membership)
    try:
        services.application_withdraw(application=application)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Your application to {application.cohort} is withdrawn.")
    return redirect("my_applications", org_slug=org_slug)
