"""Reads for the member side (opportunity map, my applications) and the admin review of a cohort's applications.
Each runs inside the caller's tenant scope and in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from mentorship.tenancy.models import Department, Membership
from programs.models import Application, ApplicationSkill, Cohort, Program, ProgramSkill
from programs.services import WITHDRAWABLE_COHORT_STATUSES

ACTIVE_STATUSES = {Application.Status.SUBMITTED, Application.Status.ACCEPTED, Application.Status.WAITLISTED}
_ACCEPTED_MENTEES = Q(applications__role=Application.Role.MENTEE, applications__status=Application.Status.ACCEPTED)


def _enrolling_cohorts() -> QuerySet[Cohort]:
    return (
        Cohort.objects.filter(status=Cohort.Status.ENROLLING)
        .annotate(accepted_mentees=Count("applications", filter=_ACCEPTED_MENTEES))
        .order_by("starts_on", "name")
    )


def program_skills_prefetch(to_attr: str = "skill_links") -> Prefetch:
    return Prefetch(
        "program_skills", queryset=ProgramSkill.objects.select_related("skill").order_by("skill__name"), to_attr=to_attr
    )


def opportunity_list(*, membership: Membership) -> list[Program]:
    """Open programs with their enrolling cohorts (`enrolling_cohorts`), each with `seats_left`, `enrollment_open`
    (today inside the window) and `my_application` (the member's application or None); skills in `skill_links`.
    Four queries, whatever the number of programs and cohorts."""
    has_enrolling = Exists(Cohort.objects.filter(program=OuterRef("pk"), status=Cohort.Status.ENROLLING))
    programs = list(
        Program.objects.filter(has_enrolling, status=Program.Status.OPEN)
        .prefetch_related(
            Prefetch("cohorts", queryset=_enrolling_cohorts(), to_attr="enrolling_cohorts"),
            program_skills_prefetch(),
        )
        .order_by("name")
    )
    mine = {
        application.cohort_id: application
        for application in Application.objects.filter(
            membership=membership, cohort__status=Cohort.Status.ENROLLING, cohort__program__status=Program.Status.OPEN
        )
    }
    today = timezone.localdate()
    for program in programs:
        program.objective_labels = [Program.Objective(value).label for value in program.objectives
                                    if value in Program.Objective.values]  # fmt: skip
        for cohort in program.enrolling_cohorts:
            cohort.seats_left = max(cohort.capacity - cohort.accepted_mentees, 0)
            cohort.enrollment_open = cohort.enrollment_opens_on <= today <= cohort.enrollment_closes_on
            cohort.opens_soon = today < cohort.enrollment_opens_on
            cohort.my_application = mine.get(cohort.pk)
            cohort.can_apply = cohort.enrollment_open and (
                cohort.my_application is None or cohort.my_application.status == Application.Status.WITHDRAWN
            )
    return programs


def my_application_list(*, membership: Membership) -> list[Application]:
    """The member's applications, newest first, each with `can_withdraw`."""
    applications = list(
        Application.objects.filter(membership=membership)
        .select_related("cohort__program")
        .order_by("-submitted_at", "-pk")
    )
    for application in applications:
        application.can_withdraw = (
            application.status in ACTIVE_STATUSES and application.cohort.status in WITHDRAWABLE_COHORT_STATUSES
        )
    return applications


def cohort_skills(*, cohort: Cohort) -> list:
    """The skills of the cohort's program, by name."""
    links = ProgramSkill.objects.filter(program_id=cohort.program_id).select_related("skill").order_by("skill__name")
    return [link.skill for link in links]


# --- Admin review ---


class ApplicationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search by name")
    role = django_filters.ChoiceFilter(choices=Application.Role.choices, label="Role", empty_label="Any role")
    status = django_filters.ChoiceFilter(choices=Application.Status.choices, label="Status", empty_label="Any status")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(),
        field_name="membership__department",
        label="Department",
        empty_label="All departments",
    )

    class Meta:
        model = Application
        fields = ["q", "role", "status", "department"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(membership__user__full_name__icontains=value) | Q(membership__user__email__icontains=value)
        )


def application_list_for_review(
    *, cohort: Cohort, filters: dict | None = None
) -> tuple[ApplicationFilter, QuerySet[Application]]:
    """A cohort's applications with applicant, department and skills; the FilterSet carries the form and errors."""
    queryset = (
        Application.objects.filter(cohort=cohort)
        .select_related("membership__user", "membership__department", "membership__manager__user")
        .prefetch_related(
            Prefetch("skills", queryset=ApplicationSkill.objects.select_related("skill").order_by("skill__name"))
        )
        .order_by("submitted_at", "pk")
    )
    filterset = ApplicationFilter(filters or {}, queryset=queryset)
    return filterset, filterset.qs


@dataclass
class CohortSummary:
    statuses: list[tuple[str, str]]  # (value, label) columns
    by_role: list[dict]  # one row per role: label, counts (in column order), total
    by_department: list[dict]  # accepted people per department: name, mentors, mentees
    capacity: int
    accepted_mentees: int
    mentor_places: int  # how many mentees the accepted mentors can take together

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.accepted_mentees, 0)


def cohort_summary(*, cohort: Cohort) -> CohortSummary:
    """Participants of one cohort: counts by role x status, accepted people by department. Two queries."""
    applications = Application.objects.filter(cohort=cohort)
    counts = {
        (row["role"], row["status"]): row
        for row in applications.values("role", "status").annotate(n=Count("id"), places=Sum("capacity")).order_by()
    }
    statuses = list(Application.Status.choices)
    by_role = []
    for role, label in Application.Role.choices:
        row_counts = [counts.get((role, status), {}).get("n", 0) for status, _ in statuses]
        by_role.append({"label": label, "counts": row_counts, "total": sum(row_counts)})
    accepted = {}
    for row in (
        applications.filter(status=Application.Status.ACCEPTED)
        .values("membership__department__name", "role")
        .annotate(n=Count("id"))
        .order_by()
    ):
        name = row["membership__department__name"] or "No department"
        accepted.setdefault(name, {"name": name, "mentors": 0, "mentees": 0})
        accepted[name]["mentors" if row["role"] == Application.Role.MENTOR else "mentees"] += row["n"]
    mentor_row = counts.get((Application.Role.MENTOR, Application.Status.ACCEPTED), {})
    mentee_row = counts.get((Application.Role.MENTEE, Application.Status.ACCEPTED), {})
    return CohortSummary(
        statuses=statuses,
        by_role=by_role,
        by_department=sorted(accepted.values(), key=lambda row: row["name"]),
        capacity=cohort.capacity,
        accepted_mentees=mentee_row.get("n", 0),
        mentor_places=mentor_row.get("places") or 0,
    )
