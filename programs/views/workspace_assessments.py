"""Capability assessments and the collaboration pulse of a mentorship, asked for by the "What is due" list.

A mentee rates themself; the mentor rates each mentee (``?mentee=<application id>`` in a group). Baseline,
midpoint (optional) and final open by the cohort's dates (programs.workspace.assessments); so does the end pulse.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from programs.models import CapabilityAssessment, PulseSurvey
from programs.views.workspace_common import back_to_mentorship, form_page, member_time_zone, show_errors
from programs.workspace import assessments as assessment_services
from programs.workspace.access import Participant, access_mentorship_for_participant, participants
from programs.workspace_forms import AssessmentForm, PulseForm

Phase = CapabilityAssessment.Phase
EARLIER = {Phase.MIDPOINT: Phase.BASELINE, Phase.FINAL: Phase.BASELINE}


def _mentee_to_rate(request, people: list[Participant], me: Participant) -> Participant | None:
    """Whom the form rates: the mentee themself, or the mentee the mentor picked (None: the mentor must pick)."""
    if not me.is_mentor:
        return me
    mentees = [p for p in people if not p.is_mentor]
    chosen = request.GET.get("mentee")
    if chosen is None:
        return mentees[0] if len(mentees) == 1 else None
    found = next((p for p in mentees if str(p.application.pk) == chosen), None)
    if found is None:
        raise Http404("No such mentee.")
    return found


@member_time_zone
def assessment_form(request, org_slug, mentorship_id, phase):
    mentorship, me = access_mentorship_for_participant(request.membership, mentorship_id)
    if phase not in Phase.values:
        raise Http404("No such assessment.")
    people = participants(mentorship)
    mentee = _mentee_to_rate(request, people, me)
    context = {
        "mentorship": mentorship, "me": me, "phase": Phase(phase), "mentee": mentee,
        "mentees": [p for p in people if not p.is_mentor],
        "is_open": phase in assessment_services.open_phases(mentorship.cohort),
        "opens_on": {
            Phase.BASELINE: mentorship.cohort.starts_on,
            Phase.MIDPOINT: assessment_services.midpoint(mentorship.cohort),
            Phase.FINAL: assessment_services.final_window_opens(mentorship.cohort),
        }[phase],
    }  # fmt: skip
    if mentee is None:  # a group's mentor chooses whom to rate first
        return form_page(request, "programs/workspace/assessment_form.html", context)
    rater = CapabilityAssessment.Rater.MENTOR if me.is_mentor else CapabilityAssessment.Rater.SELF
    mine = CapabilityAssessment.objects.filter(mentee=mentee.application, rater=rater)
    given = {a.skill_id: a for a in mine if a.phase == phase}
    earlier = {a.skill_id: a.level for a in mine if a.phase == EARLIER.get(phase)}
    skills = assessment_services.program_skills(mentorship)
    initial = {}
    for skill_id, assessment in given.items():
        initial[f"level_{skill_id}"] = str(assessment.level)
        initial[f"evidence_{skill_id}"] = assessment.evidence
    form = AssessmentForm(
        request.POST if request.method == "POST" else None, skills=skills, earlier=earlier, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment_services.assessment_submit(
                mentorship=mentorship, mentee=mentee.application, assessor=request.membership, phase=phase,
                ratings=form.ratings(),
            )  # fmt: skip
        except ValidationError as error:
            show_errors(form, error)
        else:
            whom = "yourself" if not me.is_mentor else str(mentee.membership)
            messages.success(request, f"{Phase(phase).label} assessment of {whom} saved.")
            return back_to_mentorship(request, mentorship.pk, "due")
    context.update({"form": form, "given": bool(given), "skills": skills})
    return form_page(request, "programs/workspace/assessment_form.html", context, form)


@member_time_zone
def pulse_form(request, org_slug, mentorship_id, phase):
    mentorship, me = access_mentorship_for_participant(request.membership, mentorship_id)
    if phase not in PulseSurvey.Phase.values:
        raise Http404("No such survey.")
    existing = PulseSurvey.objects.filter(application=me.application, phase=phase).first()
    initial = (
        {
            "cross_department_colleagues": existing.cross_department_colleagues,
            "trust_other_departments": str(existing.trust_other_departments),
        }
        if existing
        else {}
    )
    form = PulseForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_services.pulse_submit(
                mentorship=mentorship, participant=request.membership, phase=phase, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Thank you: your collaboration pulse is saved.")
            return back_to_mentorship(request, mentorship.pk, "due")
    opens_on = mentorship.cohort.starts_on
    if phase == PulseSurvey.Phase.END:
        opens_on = assessment_services.final_window_opens(mentorship.cohort)
    context = {
        "mentorship": mentorship, "phase": PulseSurvey.Phase(phase), "form": form, "given": existing is not None,
        "is_open": phase == PulseSurvey.Phase.START or timezone.localdate() >= opens_on, "opens_on": opens_on,
    }  # fmt: skip
    return form_page(request, "programs/workspace/pulse_form.html", context, form)
