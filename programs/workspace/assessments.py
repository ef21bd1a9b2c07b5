"""Capability assessments and the collaboration pulse, and when each is due.

A mentee rates themself and their mentor rates them on every skill of the program (1-5, with an evidence note) at
the baseline, optionally at the midpoint, and at the final. Each participant answers the pulse at the start and at
the end. When they are asked for (`due_items`), from the cohort's dates:

* baseline assessment and start pulse: from the start of the mentorship until given;
* midpoint assessment (optional): from the cohort's midpoint until the final window opens;
* final assessment and end pulse: from FINAL_WINDOW_DAYS before the cohort ends, until given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from mentorship.tenancy.models import Membership
from programs.models import Application, CapabilityAssessment, Cohort, Mentorship, ProgramSkill, PulseSurvey, Skill
from programs.recognition import recognition_award_on_commit
from programs.workspace.access import Participant, participant_of, participants

FINAL_WINDOW_DAYS = 21
Phase = CapabilityAssessment.Phase


def final_window_opens(cohort: Cohort) -> date:
    return cohort.ends_on - timedelta(days=FINAL_WINDOW_DAYS)


def midpoint(cohort: Cohort) -> date:
    return cohort.starts_on + (cohort.ends_on - cohort.starts_on) / 2


def open_phases(cohort: Cohort, today: date | None = None) -> list[str]:
    """The assessment phases that may be given today (baseline always; midpoint and final by the dates)."""
    today = today or timezone.localdate()
    phases = [Phase.BASELINE]
    if midpoint(cohort) <= today < final_window_opens(cohort):
        phases.append(Phase.MIDPOINT)
    if today >= final_window_opens(cohort):
        phases.append(Phase.FINAL)
    return phases


def program_skills(mentorship: Mentorship) -> list[Skill]:
    return [
        link.skill
        for link in ProgramSkill.objects.filter(program_id=mentorship.cohort.program_id)
        .select_related("skill")
        .order_by("skill__category", "skill__name")
    ]


def _rater(mentorship: Mentorship, mentee: Application, assessor: Membership) -> str:
    me = participant_of(mentorship, assessor)
    if me is None:
        raise Http404("No such mentorship.")
    if me.is_mentor:
        return CapabilityAssessment.Rater.MENTOR
    if me.application.pk != mentee.pk:
        raise Http404("No such mentee.")  # a mentee of a group rates themself only
    return CapabilityAssessment.Rater.SELF


def mentee_of(mentorship: Mentorship, mentee_id) -> Application:
    mentees = [p.application for p in participants(mentorship) if not p.is_mentor]
    found = next((mentee for mentee in mentees if str(mentee.pk) == str(mentee_id)), None)
    if found is None:
        raise ValidationError({"mentee": "Choose a mentee of this mentorship."})
    return found


@transaction.atomic
def assessment_submit(
    *, mentorship: Mentorship, mentee: Application, assessor: Membership, phase: str, ratings: dict
) -> list[CapabilityAssessment]:
    """Rate `mentee` on every skill of the program for `phase`: ``ratings`` maps skill id to ``(level, evidence)``.
    Submitting a phase again replaces that rater's earlier ratings for it."""
    rater = _rater(mentorship, mentee, assessor)
    if phase not in Phase.values:
        raise ValidationError({"phase": "Choose baseline, midpoint or final."})
    if phase not in open_phases(mentorship.cohort):
        raise ValidationError({"phase": f"The {Phase(phase).label.lower()} assessment is not open yet."})
    skills = program_skills(mentorship)
    if not skills:
        raise ValidationError({"ratings": "This program names no skills to assess."})
    given = {str(key): value for key, value in (ratings or {}).items()}
    unknown = set(given) - {str(skill.pk) for skill in skills}
    if unknown:
        raise ValidationError({"ratings": "Rate the skills of this program only."})
    errors, rows = [], []
    for skill in skills:
        level, evidence = given.get(str(skill.pk), (None, ""))
        try:
            level = int(level)
        except (TypeError, ValueError):
            errors.append(f"{skill.name}: choose a level from 1 to 5.")
            continue
        if not 1 <= level <= 5:
            errors.append(f"{skill.name}: choose a level from 1 to 5.")
            continue
        rows.append((skill, level, (evidence or "").strip()[:4000]))
    if errors:
        raise ValidationError({"ratings": errors})
    saved = []
    for skill, level, evidence in rows:
        assessment, _ = CapabilityAssessment.objects.update_or_create(
            mentee=mentee, skill=skill, phase=phase, rater=rater,
            defaults={"cohort_id": mentorship.cohort_id, "assessor": assessor, "level": level, "evidence": evidence},
        )  # fmt: skip
        saved.append(assessment)
    if phase == Phase.FINAL:
        recognition_award_on_commit(cohort=mentorship.cohort)  # the last rating may complete someone's flow
    return saved


def pulse_submit(
    *, mentorship: Mentorship, participant: Membership, phase: str, cross_department_colleagues: int,
    trust_other_departments: int,
) -> PulseSurvey:  # fmt: skip
    me = participant_of(mentorship, participant)
    if me is None:
        raise Http404("No such mentorship.")
    if phase not in PulseSurvey.Phase.values:
        raise ValidationError({"phase": "Choose start or end."})
    if phase == PulseSurvey.Phase.END and timezone.localdate() < final_window_opens(mentorship.cohort):
        raise ValidationError({"phase": "The end-of-cohort pulse opens in the cohort's last weeks."})
    pulse = PulseSurvey.objects.filter(application=me.application, phase=phase).first() or PulseSurvey(
        application=me.application, phase=phase, cohort_id=mentorship.cohort_id
    )
    pulse.cross_department_colleagues = cross_department_colleagues
    pulse.trust_other_departments = trust_other_departments
    pulse.full_clean(validate_constraints=False)
    pulse.save()
    return pulse


@dataclass(frozen=True)
class DueItem:
    kind: str  # "assessment" or "pulse"
    phase: str
    mentee: Application | None  # for assessments: whom to rate
    optional: bool = False

    @property
    def label(self) -> str:
        if self.kind == "pulse":
            return f"Collaboration pulse ({PulseSurvey.Phase(self.phase).label.lower()})"
        whom = "" if self.mentee is None else f" of {self.mentee.membership}"
        return f"{Phase(self.phase).label} capability assessment{whom}"


def due_items(
    mentorship: Mentorship, me: Participant, *, given: set[tuple], pulses: set[str], today: date | None = None
) -> list[DueItem]:
    """What the workspace asks `me` for now. `given` holds (mentee id, phase, rater) already in, `pulses` the
    participant's pulse phases already in (both read by the workspace selector in one query each)."""
    if mentorship.status != Mentorship.Status.ACTIVE:
        return []
    today = today or timezone.localdate()
    cohort = mentorship.cohort
    phases = open_phases(cohort, today)
    rater = CapabilityAssessment.Rater.MENTOR if me.is_mentor else CapabilityAssessment.Rater.SELF
    mentees = [p.application for p in participants(mentorship) if not p.is_mentor]
    whom = mentees if me.is_mentor else [me.application]
    items = []
    for phase in phases:
        for mentee in whom:
            if (mentee.pk, phase, rater) not in given:
                label_mentee = mentee if me.is_mentor else None
                items.append(DueItem("assessment", phase, label_mentee, optional=phase == Phase.MIDPOINT))
    if PulseSurvey.Phase.START not in pulses:
        items.append(DueItem("pulse", PulseSurvey.Phase.START, None))
    if today >= final_window_opens(cohort) and PulseSurvey.Phase.END not in pulses:
        items.append(DueItem("pulse", PulseSurvey.Phase.END, None))
    return items
