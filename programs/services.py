"""Writes for programs, cohorts, the capability framework and applications. Keyword-only, validated, transactional;
errors a user can fix are ValidationErrors keyed by field. All run inside the caller's tenant scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mentorship.audit.models import Action
from mentorship.audit.services import changes, record
from mentorship.tenancy.models import Membership
from programs.models import (
    DEFAULT_STAGES,
    Application,
    ApplicationSkill,
    Cohort,
    Program,
    ProgramSkill,
    ProgramTarget,
    SessionStage,
    Skill,
)

PROGRAM_FIELDS = {
    "name", "theme_tag", "description", "objectives", "participation_criteria", "mentor_expectations",
    "mentee_expectations", "format", "ratio", "cadence_per_month", "cross_functional", "matching_mode",
}  # fmt: skip

# Allowed lifecycle moves; anything else is refused with the reason on the `status` field.
TRANSITIONS = {
    Program.Status.DRAFT: {Program.Status.OPEN, Program.Status.ARCHIVED},
    Program.Status.OPEN: {Program.Status.DRAFT, Program.Status.RUNNING, Program.Status.ARCHIVED},
    Program.Status.RUNNING: {Program.Status.COMPLETED},
    Program.Status.COMPLETED: {Program.Status.ARCHIVED, Program.Status.RUNNING},
    Program.Status.ARCHIVED: set(),
}
WITHDRAWABLE_COHORT_STATUSES = {Cohort.Status.PLANNED, Cohort.Status.ENROLLING}


# --- Capability framework ---


def skill_create(*, name: str, category: str = "", description: str = "", level_descriptions=()) -> Skill:
    skill = Skill(
        name=name.strip(),
        category=category.strip(),
        description=description,
        level_descriptions=list(level_descriptions),
    )
    skill.full_clean()
    skill.save()
    return skill


def skill_update(*, skill: Skill, **fields) -> Skill:
    for field, value in fields.items():
        setattr(skill, field, value.strip() if isinstance(value, str) and field in {"name", "category"} else value)
    skill.full_clean()
    skill.save()
    return skill


# --- Programs ---


def _program_settings(program: Program) -> dict:
    """The settings an audit event of a new program notes; long texts (description, objectives) are left out."""
    return {
        field: getattr(program, field)
        for field in ("status", "format", "ratio", "cadence_per_month", "cross_functional", "matching_mode")
    }


def _skill_ids(program: Program) -> list[int]:
    return sorted(ProgramSkill.objects.filter(program=program).values_list("skill_id", flat=True))


def _set_skills(program: Program, skills: Iterable[Skill]) -> None:
    wanted = {skill.pk for skill in skills}
    foreign = wanted - set(Skill.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if foreign:
        raise ValidationError({"skills": "Select skills from your organization's framework."})
    ProgramSkill.objects.filter(program=program).exclude(skill_id__in=wanted).delete()
    existing = set(ProgramSkill.objects.filter(program=program).values_list("skill_id", flat=True))
    ProgramSkill.objects.bulk_create(
        [
            ProgramSkill(organization_id=program.organization_id, program=program, skill_id=pk)
            for pk in wanted - existing
        ]
    )


@transaction.atomic
def program_create(*, created_by: Membership, skills: Iterable[Skill] = (), **fields) -> Program:
    """A new program in draft, with the four default session stages."""
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise TypeError(f"unknown program fields: {sorted(unknown)}")
    program = Program(created_by=created_by, **fields)
    program.full_clean()
    program.save()
    _set_skills(program, skills)
    record(action=Action.PROGRAM_CREATED, target=program, actor=created_by, details=_program_settings(program))
    SessionStage.objects.bulk_create(
        [
            SessionStage(
                organization_id=program.organization_id, program=program, position=position, title=title,
                objectives=objectives, reflection_prompts=prompts,
            )
            for position, (title, objectives, prompts) in enumerate(DEFAULT_STAGES, start=1)
        ]
    )  # fmt: skip
    return program


def largest_mentor_commitment(program: Program) -> int:
    """The largest number of mentees an accepted mentor of a live cohort has committed to take."""
    return (
        Application.objects.filter(
            cohort__program=program,
            role=Application.Role.MENTOR,
            status=Application.Status.ACCEPTED,
            cohort__status__in=[Cohort.Status.MATCHING, Cohort.Status.ACTIVE],
        ).aggregate(largest=Max("capacity"))["largest"]
        or 0
    )


@transaction.atomic
def program_update(*, program: Program, skills: Iterable[Skill] | None = None, **fields) -> Program:
    unknown = set(fields) - PROGRAM_FIELDS
    if unknown:
        raise TypeError(f"unknown program fields: {sorted(unknown)}")
    if "ratio" in fields and program.status == Program.Status.RUNNING:
        largest = largest_mentor_commitment(program)
        if fields["ratio"] < largest:
            raise ValidationError(
                {"ratio": f"This program is running and a mentor already takes {largest} mentees; "
                          f"the ratio cannot go below {largest}."}
            )  # fmt: skip
    before = {field: getattr(program, field) for field in fields}
    skills_before = _skill_ids(program) if skills is not None else None
    for field, value in fields.items():
        setattr(program, field, value)
    program.full_clean()
    program.save()
    changed = changes(before, {field: getattr(program, field) for field in fields})
    if skills is not None:
        _set_skills(program, skills)
        skills_after = _skill_ids(program)
        if skills_after != skills_before:
            changed["skills"] = [skills_before, skills_after]
    if changed:  # a form saved as it was is no change worth a line in the log
        record(action=Action.PROGRAM_UPDATED, target=program, details={"changes": changed})
    return program


@transaction.atomic
def program_transition(*, program: Program, status: str) -> Program:
    program = Program.objects.select_for_update().get(pk=program.pk)
    if status not in TRANSITIONS.get(program.status, set()):
        raise ValidationError(
            {"status": f"A program that is {program.get_status_display().lower()} cannot become "
                       f"{Program.Status(status).label.lower() if status in Program.Status.values else status}."}
        )  # fmt: skip
    if status in {Program.Status.OPEN, Program.Status.RUNNING} and not program.cohorts.exists():
        raise ValidationError({"status": "Add a cohort first: a program runs in cohorts."})
    if status == Program.Status.OPEN and not program.stages.exists():
        raise ValidationError({"status": "Add at least one session stage first."})
    previous = program.status
    program.status = status
    program.save(update_fields=["status", "updated_at"])
    record(action=Action.PROGRAM_STATUS_CHANGED, target=program, details={"from": previous, "to": status})
    return program


@transaction.atomic
def program_duplicate(*, program: Program, created_by: Membership) -> Program:
    """A draft copy with the same settings, skills, stages and targets (no cohorts, no applications)."""
    name = f"Copy of {program.name}"
    suffix = 2
    while Program.objects.filter(name=name).exists():
        name = f"Copy of {program.name} ({suffix})"
        suffix += 1
    copy = Program(created_by=created_by, status=Program.Status.DRAFT, name=name[:150])
    for field in PROGRAM_FIELDS - {"name"}:
        setattr(copy, field, getattr(program, field))
    copy.full_clean()
    copy.save()
    org = program.organization_id
    ProgramSkill.objects.bulk_create(
        [ProgramSkill(organization_id=org, program=copy, skill_id=ps.skill_id) for ps in program.program_skills.all()]
    )
    SessionStage.objects.bulk_create(
        [
            SessionStage(organization_id=org, program=copy, position=s.position, title=s.title,
                         objectives=s.objectives, reflection_prompts=s.reflection_prompts)
            for s in program.stages.all()
        ]
    )  # fmt: skip
    ProgramTarget.objects.bulk_create(
        [
            ProgramTarget(organization_id=org, program=copy, metric=t.metric, baseline=t.baseline, target=t.target)
            for t in program.targets.all()
        ]
    )
    details = {**_program_settings(copy), "duplicated_from": {"id": program.pk, "name": program.name}}
    record(action=Action.PROGRAM_CREATED, target=copy, actor=created_by, details=details)
    return copy


# --- Session flow ---


def stage_add(*, program: Program, title: str, objectives: str = "", reflection_prompts=()) -> SessionStage:
    position = (program.stages.aggregate(last=Max("position"))["last"] or 0) + 1
    stage = SessionStage(
        program=program, position=position, title=title.strip(), objectives=objectives,
        reflection_prompts=[p.strip() for p in reflection_prompts if p.strip()],
    )  # fmt: skip
    stage.full_clean()
    stage.save()
    return stage


def stage_update(*, stage: SessionStage, title: str, objectives: str = "", reflection_prompts=()) -> SessionStage:
    stage.title = title.strip()
    stage.objectives = objectives
    stage.reflection_prompts = [p.strip() for p in reflection_prompts if p.strip()]
    stage.full_clean()
    stage.save()
    return stage


@transaction.atomic
def stage_delete(*, stage: SessionStage) -> None:
    program = stage.program
    if program.stages.count() == 1:
        raise ValidationError({"stage": "A program needs at least one session stage."})
    stage.delete()
    _renumber(program, [s.pk for s in program.stages.order_by("position")])


@transaction.atomic
def stages_reorder(*, program: Program, stage_ids: list[int]) -> None:
    """Put the program's stages in the given order; the list must name each of its stages once."""
    current = set(program.stages.values_list("pk", flat=True))
    if len(stage_ids) != len(current) or set(stage_ids) != current:
        raise ValidationError({"stages": "The new order must list each stage of this program exactly once."})
    _renumber(program, stage_ids)


def _renumber(program: Program, stage_ids: list[int]) -> None:
    stages = {stage.pk: stage for stage in program.stages.all()}
    for position, pk in enumerate(stage_ids, start=1):
        stages[pk].position = position
    # The unique (program, position) constraint is deferred, so swapping positions inside this transaction is fine.
    SessionStage.objects.bulk_update(stages.values(), ["position"])


# --- Targets ---


def target_set(*, program: Program, metric: str, baseline, target) -> ProgramTarget:
    row = ProgramTarget.objects.filter(program=program, metric=metric).first() or ProgramTarget(
        program=program, metric=metric
    )
    row.baseline, row.target = baseline, target
    row.full_clean()
    row.save()
    return row


# --- Cohorts ---


def _check_cohort_dates(cohort: Cohort) -> None:
    errors = {}
    if cohort.starts_on and cohort.ends_on and cohort.ends_on <= cohort.starts_on:
        errors["ends_on"] = "The cohort must end after it starts."
    if cohort.enrollment_opens_on and cohort.enrollment_closes_on:
        if cohort.enrollment_closes_on < cohort.enrollment_opens_on:
            errors["enrollment_closes_on"] = "Enrollment must close after it opens."
        elif cohort.starts_on and cohort.enrollment_closes_on > cohort.starts_on:
            errors["enrollment_closes_on"] = "Enrollment must close by the day the cohort starts."
    if errors:
        raise ValidationError(errors)


COHORT_AUDITED_FIELDS = (
    "name", "starts_on", "ends_on", "enrollment_opens_on", "enrollment_closes_on", "capacity", "status",
)  # fmt: skip


def _cohort_values(cohort: Cohort) -> dict:
    return {field: getattr(cohort, field) for field in COHORT_AUDITED_FIELDS}


@transaction.atomic
def cohort_create(
    *, program: Program, name: str, starts_on: date, ends_on: date, enrollment_opens_on: date,
    enrollment_closes_on: date, capacity: int, status: str = Cohort.Status.PLANNED,
) -> Cohort:  # fmt: skip
    if program.status == Program.Status.ARCHIVED:
        raise ValidationError({"program": "This program is archived."})
    cohort = Cohort(
        program=program, name=name.strip(), starts_on=starts_on, ends_on=ends_on, capacity=capacity, status=status,
        enrollment_opens_on=enrollment_opens_on, enrollment_closes_on=enrollment_closes_on,
    )  # fmt: skip
    cohort.full_clean()
    _check_cohort_dates(cohort)
    cohort.save()
    details = {"program": {"id": program.pk, "name": program.name}, **_cohort_values(cohort)}
    record(action=Action.COHORT_CREATED, target=cohort, details=details)
    return cohort


@transaction.atomic
def cohort_update(*, cohort: Cohort, **fields) -> Cohort:
    before = _cohort_values(cohort)
    for field, value in fields.items():
        setattr(cohort, field, value)
    cohort.full_clean()
    _check_cohort_dates(cohort)
    cohort.save()
    changed = changes(before, _cohort_values(cohort))
    if changed:
        record(action=Action.COHORT_UPDATED, target=cohort, details={"changes": changed})
    return cohort


# --- Applications ---


def _enrollment_is_open(cohort: Cohort, today: date) -> bool:
    return (
        cohort.program.status == Program.Status.OPEN
        and cohort.status == Cohort.Status.ENROLLING
        and cohort.enrollment_opens_on <= today <= cohort.enrollment_closes_on
    )


@transaction.atomic
def application_submit(
    *,
    cohort: Cohort,
    membership: Membership,
    role: str,
    skills: list[tuple[Skill, int, int | None]],
    goals: str = "",
    languages: list[str] | None = None,
    time_zone: str | None = None,
    meeting_windows: list[str] | None = None,
    capacity: int | None = None,
    prefers_other_department: bool = True,
    seniority_preference: str = Application.SeniorityPreference.ANY,
) -> Application:
    """Apply to a cohort as mentor (skills offered, with level) or mentee (skills wanted: current, target)."""
    program = cohort.program
    if not _enrollment_is_open(cohort, timezone.localdate()):
        raise ValidationError({"cohort": "Enrollment for this cohort is not open."})
    if (
        Application.objects.filter(cohort=cohort, membership=membership)
        .exclude(status=Application.Status.WITHDRAWN)
        .exists()
    ):
        raise ValidationError({"cohort": "You have already applied to this cohort."})
    errors: dict[str, str] = {}
    if not skills:
        errors["skills"] = (
            "Choose at least one skill you offer."
            if role == Application.Role.MENTOR
            else ("Choose at least one skill you want to grow.")
        )
    program_skills = set(ProgramSkill.objects.filter(program=program).values_list("skill_id", flat=True))
    for skill, level, target in skills:
        if skill.pk not in program_skills:
            errors["skills"] = f"{skill.name} is not one of this program's skills."
        elif role == Application.Role.MENTEE and (target is None or target <= level):
            errors["skills"] = f"{skill.name}: the target level must be above your current level."
    if role == Application.Role.MENTOR:
        capacity = capacity or program.ratio
        if capacity > program.ratio:
            errors["capacity"] = f"This program allows at most {program.ratio} mentees per mentor."
    else:
        capacity = None
    if errors:
        raise ValidationError(errors)
    application = Application.objects.filter(cohort=cohort, membership=membership).first() or Application(
        cohort=cohort, membership=membership
    )
    application.role = role
    application.status = Application.Status.SUBMITTED
    application.goals = goals.strip()
    application.languages = languages if languages is not None else list(membership.languages)
    application.time_zone = time_zone or membership.time_zone
    application.meeting_windows = meeting_windows or []
    application.capacity = capacity
    application.prefers_other_department = prefers_other_department
    application.seniority_preference = seniority_preference
    application.decline_reason = ""
    application.decided_at = application.decided_by = None
    application.full_clean()
    application.save()
    ApplicationSkill.objects.filter(application=application).delete()
    ApplicationSkill.objects.bulk_create(
        [
            ApplicationSkill(
                organization_id=application.organization_id, application=application, skill=skill, level=level,
                target_level=target if role == Application.Role.MENTEE else None,
            )
            for skill, level, target in skills
        ]
    )  # fmt: skip
    return application


def application_withdraw(*, application: Application) -> Application:
    if application.cohort.status not in WITHDRAWABLE_COHORT_STATUSES:
        raise ValidationError({"application": "Matching has started for this cohort; ask the program admin."})
    if application.status == Application.Status.WITHDRAWN:
        raise ValidationError({"application": "This application is already withdrawn."})
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status"])
    return application


DECISIONS = {
    "accept": Application.Status.ACCEPTED,
    "decline": Application.Status.DECLINED,
    "waitlist": Application.Status.WAITLISTED,
}


@transaction.atomic
def applications_decide(*, application_ids: list[int], decision: str, decided_by: Membership, reason: str = "") -> int:
    """Accept, decline (with a reason) or waitlist several applications at once; returns how many changed."""
    if decision not in DECISIONS:
        raise ValidationError({"decision": "Choose accept, decline or waitlist."})
    if decision == "decline" and not reason.strip():
        raise ValidationError({"reason": "Say why: the applicant sees the reason."})
    applications = Application.objects.select_for_update().filter(pk__in=application_ids)
    found = set(applications.values_list("pk", flat=True))
    if len(found) != len(set(application_ids)):
        raise ValidationError({"application_ids": "Some applications were not found."})
    if applications.filter(status=Application.Status.WITHDRAWN).exists():
        raise ValidationError({"application_ids": "Withdrawn applications cannot be decided."})
    return applications.update(
        status=DECISIONS[decision],
        decline_reason=reason.strip() if decision == "decline" else "",
        decided_at=timezone.now(),
        decided_by=decided_by,
    )
