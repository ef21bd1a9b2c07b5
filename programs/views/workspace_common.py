"""What the workspace pages share: times in the member's own time zone, the way back to the mentorship page, and
form pages that answer 400 when they show errors.

Every workspace page fetches its mentorship, session, goal or action item through the access helpers of
programs/workspace/ (404 alike for a missing id, another organization's and a mentorship the member is not part
of: admins and HR included), and writes through the services there.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from mentorship.tenancy.views import apply_errors
from programs.models import Mentorship, SessionStage


def member_time_zone(view):
    """Show and read times in the member's time zone (their profile's), so "10:00" means 10:00 where they are."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with timezone.override(request.membership.time_zone or "UTC"):
            return view(request, *args, **kwargs)

    return wrapper


def mentorship_url(request, mentorship_id: int, anchor: str = "") -> str:
    url = reverse("mentorship_detail", kwargs={"org_slug": request.organization.slug, "mentorship_id": mentorship_id})
    return f"{url}#{anchor}" if anchor else url


def back_to_mentorship(request, mentorship_id: int, anchor: str = ""):
    return redirect(mentorship_url(request, mentorship_id, anchor))


def stages_of(mentorship: Mentorship) -> list[SessionStage]:
    return list(SessionStage.objects.filter(program_id=mentorship.cohort.program_id).order_by("position"))


def show_errors(form, error: ValidationError) -> None:
    """A service's errors on the form: on their fields when keyed by one, else at the top (an ended mentorship,
    a session logged already, ...)."""
    if hasattr(error, "error_dict"):
        apply_errors(form, error)
    else:
        form.add_error(None, error.messages)


def form_page(request, template: str, context: dict, form=None):
    """Render a form page: 400 when the form carries errors (a failed post), 200 otherwise."""
    return render(request, template, context, status=400 if form is not None and form.errors else 200)
