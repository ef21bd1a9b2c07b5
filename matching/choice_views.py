"""Pages of mentee choice mode and re-match.

* Mentees of a mentee-choice cohort: ``matching/choose/<cohort_id>/`` (suggestions with reasons, request one,
  withdraw the open request). Mentors: ``matching/requests/`` (accept or decline).
* Participants: ``matching/rematch/new/<application_id>/`` (the mentee's application; the mentee or their current
  mentor says "not a good fit"). Admins: ``matching/cohorts/<cohort_id>/rematch/`` (open requests with the best
  allowed alternative; accept it or dismiss).

The middleware has entered the organization's scope; every id goes through an access helper that answers 404 for
anything not the member's own (or, for admins, not of the organization); every write goes through
matching.choice / matching.rematch.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from matching import choice, rematch, services
from matching.models import MentorRequest, RematchRequest
from matching.views import matching_admin_required
from mentorship.tenancy.access import fetch_or_404
from programs.access import access_cohort_by_id
from programs.models import Application


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Mentee choice ---


def choose(request, org_slug, cohort_id):
    mentee = choice.access_choice_mentee(request.membership, cohort_id)
    mine = list(
        MentorRequest.objects.filter(mentee=mentee).select_related("mentor__membership__user").order_by("-created_at")
    )
    accepted = next((r for r in mine if r.status == MentorRequest.Status.ACCEPTED), None)
    open_request = next((r for r in mine if r.status == MentorRequest.Status.REQUESTED), None)
    suggestions = [] if accepted else choice.suggestions_for(mentee=mentee)
    if open_request is None:
        next_best = suggestions[0].mentor_id if suggestions else None
    else:
        next_best = next((s.mentor_id for s in suggestions if s.mentor_id != open_request.mentor_id), None)
    return render(
        request,
        "matching/choice_choose.html",
        {
            "mentee": mentee,
            "cohort": mentee.cohort,
            "suggestions": suggestions,
            "accepted": accepted,
            "open_request": open_request,
            "next_best": next_best,
            "history": [r for r in mine if r not in (accepted, open_request)],
        },
    )


@require_POST
def choose_request(request, org_slug, cohort_id, mentor_id):
    mentee = choice.access_choice_mentee(request.membership, cohort_id)
    mentor = fetch_or_404(
        Application.objects.filter(cohort_id=mentee.cohort_id, role=Application.Role.MENTOR), mentor_id, "mentor"
    )
    try:
        choice.mentor_request(mentee=mentee, mentor=mentor)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Your request is sent to {mentor.membership}.")
    return redirect("match_choose", org_slug=org_slug, cohort_id=mentee.cohort_id)


@require_POST
def request_withdraw(request, org_slug, request_id):
    mentor_request = choice.access_request_for_mentee(request.membership, request_id)
    try:
        choice.mentor_request_withdraw(request=mentor_request, mentee_membership=request.membership)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, "Your request is withdrawn: you may request another mentor.")
    return redirect("match_choose", org_slug=org_slug, cohort_id=mentor_request.cohort_id)


def mentor_requests(request, org_slug):
    return render(
        request, "matching/choice_requests.html", {"requests": choice.requests_for_mentor(request.membership)[:100]}
    )


@require_POST
def request_answer(request, org_slug, request_id):
    mentor_request = choice.access_request_for_mentor(request.membership, request_id)
    accept = request.POST.get("accept") == "1"
    try:
        choice.mentor_request_answer(request=mentor_request, mentor_membership=request.membership, accept=accept)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        mentee = mentor_request.mentee.membership
        messages.success(request, f"You accepted {mentee}." if accept else f"You declined {mentee}.")
    return redirect("match_requests", org_slug=org_slug)


# --- Re-match ---


def rematch_new(request, org_slug, application_id):
    mentee, pair = rematch.access_match_for_participant(request.membership, application_id)
    errors = {}
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            rematch.rematch_request_create(mentee=mentee, created_by=request.membership, reason=reason)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, "Thank you: a program admin will look for a better match.")
            return redirect("match_rematch_new", org_slug=org_slug, application_id=mentee.pk)
    pending = RematchRequest.objects.filter(mentee=mentee, status=RematchRequest.Status.OPEN).first()
    return render(
        request,
        "matching/rematch_new.html",
        {"mentee": mentee, "current_mentor": pair.mentor, "pending": pending, "errors": errors, "reason": reason},
        status=400 if errors else 200,
    )


@matching_admin_required
def rematch_queue(request, org_slug, cohort_id):
    cohort = access_cohort_by_id(cohort_id)
    return render(
        request,
        "matching/rematch_queue.html",
        {
            "cohort": cohort,
            "program": cohort.program,
            "items": rematch.rematch_queue(cohort=cohort),
            "published": services.cohort_published(cohort.pk),
        },
    )


@matching_admin_required
@require_POST
def rematch_decide(request, org_slug, request_id):
    rematch_request = rematch.access_rematch_request_by_id(request_id)
    try:
        if request.POST.get("action") == "accept":
            mentor = fetch_or_404(
                Application.objects.filter(cohort_id=rematch_request.cohort_id, role=Application.Role.MENTOR),
                request.POST.get("mentor"),
                "mentor",
            )
            rematch.rematch_resolve(request=rematch_request, mentor=mentor, resolved_by=request.membership)
            messages.success(request, f"{rematch_request.mentee.membership} now has {mentor.membership} as mentor.")
        else:
            rematch.rematch_dismiss(request=rematch_request)
            messages.success(request, "The request is dismissed; the pair stays as it is.")
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("match_rematch_queue", org_slug=org_slug, cohort_id=rematch_request.cohort_id)
