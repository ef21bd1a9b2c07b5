"""Recognition: certificates for the participants who completed their program's flow, and what members see of it.

**Who is awarded** (`recognition_award_due`), per cohort application in a mentorship:

* every stage of the program's session flow has a held session in their mentorship that they attended (a mentor
  with several mentorships in the cohort, as in 1:1 programs, needs it in each of them); a program without stages
  has no flow to complete, so nobody is awarded;
* the final capability assessment is in: a mentee's own (self) final rating on every skill of the program; a
  mentor's final rating of each of their mentees on every skill. A program that names no skills asks for no
  assessment, so the flow alone counts.

The figures are frozen on the `Recognition` row when it is awarded: the held sessions the person attended in
those mentorships and their minutes, the mentees a mentor mentored (0 for mentees) and the names of the program's
skills. One row per application (a unique constraint; a second run inserts nothing and notifies nobody twice), and
an in-app notification (with its email) for the awardee, deduplicated on ``recognition:<application id>``.

It runs nightly for every organization (`programs.tasks.recognition_award_all_task`) and right after a final
assessment is submitted (`recognition_award_on_commit`), so nobody waits for the night after their last rating.

**Reads**: a member's own recognitions, the certificate (its awardee and org admins; 404 for anyone else), a
mentor's live mentoring totals (from the held sessions they attended, awarded or not) and the org admins' list and
export. None of them reads session notes, topics or reflections.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import django_filters
import openpyxl
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl.cell import WriteOnlyCell

from mentorship.spreadsheets import formula_safe
from mentorship.tenancy.access import fetch_or_404
from mentorship.tenancy.models import Department, Membership, Organization
from mentorship.tenancy.scope import require_organization_id, tenant_scope
from programs.models import (
    Application,
    CapabilityAssessment,
    Cohort,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Notification,
    Program,
    ProgramSkill,
    Recognition,
    SessionAttendance,
    SessionStage,
)
from programs.notifications import notifications_deliver

FINAL = CapabilityAssessment.Phase.FINAL
SELF, MENTOR = CapabilityAssessment.Rater.SELF, CapabilityAssessment.Rater.MENTOR


# --- Awarding ---


@dataclass
class _Candidate:
    """One application's place in the cohort: its mentorships and what they show."""

    application_id: int
    membership_id: int
    role: str
    cohort_id: int
    program_id: int
    program_name: str
    mentorship_ids: list[int]
    mentee_ids: set[int]  # mentors: the mentee applications of their mentorships


def _candidates(mentorships: QuerySet[Mentorship]) -> list[_Candidate]:
    """Every mentor and mentee application of `mentorships`, with their mentorships (two queries)."""
    by_mentor: dict[int, _Candidate] = {}
    mentorship_of = {}
    for row in mentorships.values(
        "pk", "cohort_id", "cohort__program_id", "cohort__program__name", "mentor_id", "mentor__membership_id"
    ).order_by("pk"):
        candidate = by_mentor.setdefault(
            row["mentor_id"],
            _Candidate(
                row["mentor_id"], row["mentor__membership_id"], Application.Role.MENTOR, row["cohort_id"],
                row["cohort__program_id"], row["cohort__program__name"], [], set(),
            ),
        )  # fmt: skip
        candidate.mentorship_ids.append(row["pk"])
        mentorship_of[row["pk"]] = candidate
    mentees = []
    for row in MentorshipMentee.objects.filter(mentorship__in=mentorships).values(
        "mentorship_id", "mentee_id", "mentee__membership_id"
    ):
        mentor = mentorship_of[row["mentorship_id"]]
        mentor.mentee_ids.add(row["mentee_id"])
        mentees.append(
            _Candidate(
                row["mentee_id"], row["mentee__membership_id"], Application.Role.MENTEE, mentor.cohort_id,
                mentor.program_id, mentor.program_name, [row["mentorship_id"]], set(),
            )
        )  # fmt: skip
    return [*by_mentor.values(), *mentees]


def recognition_award_due(*, cohort: Cohort | None = None) -> list[Recognition]:
    """Award a `Recognition` to every participant of `cohort` (or of every cohort of the organization in scope)
    who completed the flow and has none yet; notify each. Returns the new rows.

    Set-based: a fixed number of queries whatever the number of mentorships, sessions or people."""
    mentorships = Mentorship.objects.all() if cohort is None else Mentorship.objects.filter(cohort=cohort)
    candidates = _candidates(mentorships)
    awarded = set(
        Recognition.objects.filter(application_id__in=[c.application_id for c in candidates]).values_list(
            "application_id", flat=True
        )
    )
    candidates = [c for c in candidates if c.application_id not in awarded]
    if not candidates:
        return []
    program_ids = {c.program_id for c in candidates}
    stages = defaultdict(set)
    for program_id, stage_id in SessionStage.objects.filter(program_id__in=program_ids).values_list("program_id", "pk"):
        stages[program_id].add(stage_id)
    skills = defaultdict(list)
    for program_id, skill_id, name in (
        ProgramSkill.objects.filter(program_id__in=program_ids)
        .order_by("skill__name")
        .values_list("program_id", "skill_id", "skill__name")
    ):
        skills[program_id].append((skill_id, name))
    # Per (mentorship, person): the held sessions they attended, their minutes and the stages they covered.
    attended = {
        (row["session__mentorship_id"], row["membership_id"]): row
        for row in SessionAttendance.objects.filter(
            attended=True, session__status=MentoringSession.Status.HELD, session__mentorship__in=mentorships
        )
        .values("session__mentorship_id", "membership_id")
        .annotate(
            sessions=Count("session_id"),
            minutes=Sum("session__duration_minutes"),
            stages=ArrayAgg("session__stage_id", distinct=True, filter=Q(session__stage__isnull=False), default=[]),
        )
        .order_by()
    }
    finals = set(
        CapabilityAssessment.objects.filter(phase=FINAL, cohort_id__in={c.cohort_id for c in candidates}).values_list(
            "mentee_id", "rater", "skill_id"
        )
    )
    organization_id = require_organization_id()
    new = []
    for candidate in candidates:
        flow = stages[candidate.program_id]
        program_skills = skills[candidate.program_id]
        seen = [attended.get((m, candidate.membership_id)) for m in candidate.mentorship_ids]
        if not flow or any(row is None or not flow <= set(row["stages"]) for row in seen):
            continue
        if candidate.role == Application.Role.MENTOR:
            rated = [(mentee_id, MENTOR) for mentee_id in candidate.mentee_ids]
            if not rated:
                continue
        else:
            rated = [(candidate.application_id, SELF)]
        if any(
            (mentee_id, rater, skill_id) not in finals for mentee_id, rater in rated for skill_id, _ in program_skills
        ):
            continue
        new.append(
            Recognition(
                organization_id=organization_id, cohort_id=candidate.cohort_id,
                application_id=candidate.application_id, role=candidate.role,
                sessions_held=sum(row["sessions"] for row in seen), minutes=sum(row["minutes"] or 0 for row in seen),
                people=len(candidate.mentee_ids), skills=[name for _, name in program_skills],
            )
        )  # fmt: skip
    if not new:
        return []
    # A concurrent run may have awarded some of them since: the unique constraint keeps one row each.
    Recognition.objects.bulk_create(new, ignore_conflicts=True)
    created = list(
        Recognition.objects.filter(application_id__in=[r.application_id for r in new]).select_related(
            "application", "cohort__program"
        )
    )
    _notify(created, {c.application_id: c for c in candidates}, organization_id)
    return created


def _notify(recognitions: list[Recognition], candidates: dict[int, _Candidate], organization_id: int) -> None:
    slug = Organization.objects.values_list("slug", flat=True).get(pk=organization_id)
    notifications_deliver([
        Notification(
            organization_id=organization_id, membership_id=recognition.application.membership_id,
            category=Notification.Category.RECOGNITION,
            title=f"Your certificate: {candidates[recognition.application_id].program_name}",
            body=(
                f"You completed {recognition.cohort} as {recognition.get_role_display().lower()}: "
                f"{recognition.sessions_held} sessions, {recognition.hours:g} hours. Your certificate is ready."
            ),
            url=reverse("recognition_certificate", kwargs={"org_slug": slug, "recognition_id": recognition.pk}),
            dedupe_key=f"recognition:{recognition.application_id}",
        )
        for recognition in recognitions
    ])  # fmt: skip


def recognition_award_on_commit(*, cohort: Cohort) -> None:
    """After a final assessment: award the cohort's due recognitions once the transaction has committed (so the
    new ratings count), inside the cohort's organization. A failure there is logged and never undoes the
    assessment: the nightly run awards what it missed."""
    organization_id, cohort_id = cohort.organization_id, cohort.pk

    def award() -> None:
        with tenant_scope(organization_id):
            recognition_award_due(cohort=Cohort.objects.get(pk=cohort_id))

    transaction.on_commit(award, robust=True)


# --- Reads ---


def _recognitions() -> QuerySet[Recognition]:
    return Recognition.objects.select_related(
        "cohort__program", "application__membership__user", "application__membership__department"
    )


def my_recognitions(*, membership: Membership) -> list[Recognition]:
    """The member's certificates, newest first."""
    return list(_recognitions().filter(application__membership=membership).order_by("-awarded_at", "-pk"))


def access_recognition_for_viewer(membership: Membership, recognition_id) -> Recognition:
    """A certificate for its awardee and for org admins; 404 alike for anyone else, a missing, foreign or
    malformed id."""
    recognition = fetch_or_404(_recognitions(), recognition_id, "certificate")
    if recognition.application.membership_id != membership.pk and not membership.is_org_admin:
        raise Http404("No such certificate.")
    return recognition


@dataclass(frozen=True)
class MentoringCohort:
    program: str
    cohort: str
    sessions: int
    minutes: int
    people: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass(frozen=True)
class MentoringTotals:
    """A mentor's mentoring so far: the held sessions they attended as mentor, their hours, and the distinct
    mentees who attended those sessions with them; in total and per cohort."""

    sessions: int
    minutes: int
    people: int
    cohorts: list[MentoringCohort]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def mentoring_totals(*, membership: Membership) -> MentoringTotals:
    """Computed live from the sessions (three queries), whether a recognition was awarded or not."""
    mine = SessionAttendance.objects.filter(
        membership=membership, role=SessionAttendance.Role.MENTOR, attended=True,
        session__status=MentoringSession.Status.HELD,
    )  # fmt: skip
    cohort = "session__mentorship__cohort_id"
    rows = list(
        mine.values(cohort, "session__mentorship__cohort__name", "session__mentorship__cohort__program__name")
        .annotate(sessions=Count("session_id"), minutes=Sum("session__duration_minutes"))
        .order_by("-session__mentorship__cohort__starts_on", cohort)
    )
    mentees = SessionAttendance.objects.filter(
        role=SessionAttendance.Role.MENTEE, attended=True, session_id__in=mine.values("session_id")
    )
    people = dict(mentees.values(cohort).annotate(n=Count("membership_id", distinct=True)).values_list(cohort, "n"))
    total_people = mentees.values("membership_id").distinct().count() if rows else 0
    cohorts = [
        MentoringCohort(
            program=row["session__mentorship__cohort__program__name"],
            cohort=row["session__mentorship__cohort__name"],
            sessions=row["sessions"],
            minutes=row["minutes"] or 0,
            people=people.get(row[cohort], 0),
        )
        for row in rows
    ]
    return MentoringTotals(
        sessions=sum(c.sessions for c in cohorts),
        minutes=sum(c.minutes for c in cohorts),
        people=total_people,
        cohorts=cohorts,
    )


# --- The org admins' list and export ---


class RecognitionFilter(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        queryset=Program.objects.order_by("name"),
        field_name="cohort__program",
        label="Program",
        empty_label="All programs",
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("name"),
        field_name="application__membership__department",
        label="Department",
        empty_label="All departments",
    )
    role = django_filters.ChoiceFilter(choices=Application.Role.choices, label="Role", empty_label="Both roles")

    class Meta:
        model = Recognition
        fields = ["program", "department", "role"]


def recognition_list(*, filters: dict | None = None) -> tuple[RecognitionFilter, QuerySet[Recognition]]:
    """Every recognition of the organization (newest first) with the person, department, program and cohort."""
    queryset = _recognitions().order_by("-awarded_at", "-pk")
    filterset = RecognitionFilter(filters or {}, queryset=queryset)
    return filterset, filterset.qs if filterset.is_valid() else queryset.none()


EXPORT_COLUMNS = [
    "name", "email", "department", "program", "cohort", "role", "awarded at", "sessions", "hours",
    "people mentored", "skills",
]  # fmt: skip


def export_row(recognition: Recognition) -> list:
    """One row of the export: numbers as numbers, the award time in the organization's local time without a
    zone (spreadsheets keep no zones), people mentored empty for mentees."""
    person = recognition.application.membership
    return [
        person.user.full_name or person.user.email,
        person.user.email,
        person.department.name if person.department else "",
        recognition.cohort.program.name,
        recognition.cohort.name,
        recognition.get_role_display(),
        timezone.localtime(recognition.awarded_at).replace(tzinfo=None, microsecond=0),
        recognition.sessions_held,
        recognition.hours,
        recognition.people if recognition.role == Application.Role.MENTOR else None,
        "; ".join(recognition.skills),
    ]


def _csv_cell(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) is quoted, so a name cannot be code."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return formula_safe(value)


def recognition_export_csv(recognitions) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for recognition in recognitions:
        writer.writerow([_csv_cell(value) for value in export_row(recognition)])
    return out.getvalue()


def recognition_export_xlsx(recognitions) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Recognition")
    sheet.append(EXPORT_COLUMNS)
    for recognition in recognitions:
        cells = []
        for value in export_row(recognition):
            cell = WriteOnlyCell(sheet, value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula; text stays text
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
