"""Per-match status of a cohort for program admins: how each mentorship is doing, in a constant number of queries.

For every mentorship of the cohort: mentor, mentees and their departments, held sessions (count, last date, hours),
the stages of the program's session flow reached, the mean feedback rating, open and achieved goals, and whether
the pair is **at risk**:

* *overdue*: the mentorship is active and no session was held for twice the program's cadence
  (2 x 30 / sessions per month days) since its last held session, or since it started when none was held yet;
  a mentorship starts on the later of its publication and its cohort's first day (as the reminders count it);
* *not a good fit*: someone answered the pairing-fit question with "not a good fit".

Every figure is an aggregate computed by PostgreSQL in subqueries of the one mentorship query. Nothing here reads
a session's topics, shared notes, reflection answers or anyone's private notes: the admin pages and API built on it
cannot show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from mentorship.tenancy.models import Department, Membership
from programs.models import (
    Cohort,
    Goal,
    MentoringSession,
    Mentorship,
    MentorshipMentee,
    Program,
    SessionFeedback,
    SessionStage,
)

OPEN_GOAL_STATUSES = (Goal.Status.NOT_STARTED, Goal.Status.IN_PROGRESS)


def at_risk_after(program: Program) -> timedelta:
    """Twice the program's cadence: 2 x 30 / sessions per month days without a held session."""
    return timedelta(days=2 * 30 / program.cadence_per_month)


def cohort_start(cohort: Cohort) -> datetime:
    return timezone.make_aware(datetime.combine(cohort.starts_on, time.min))


def _per_mentorship(queryset: QuerySet, link: str, aggregate) -> Subquery:
    """`aggregate` over the rows of `queryset` whose `link` is the outer mentorship, as a correlated subquery (one
    per figure, so the figures never multiply each other as joins would)."""
    return Subquery(
        queryset.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(value=aggregate).values("value")
    )


def _status_queryset(cohort: Cohort) -> QuerySet[Mentorship]:
    held = MentoringSession.objects.filter(status=MentoringSession.Status.HELD)
    feedback = SessionFeedback.objects.all()
    goals = Goal.objects.all()
    zero = Value(0)
    now = timezone.now()
    queryset = (
        Mentorship.objects.filter(cohort=cohort)
        .select_related("mentor__membership__user", "mentor__membership__department")
        .prefetch_related(
            Prefetch(
                "mentees",
                queryset=MentorshipMentee.objects.select_related(
                    "mentee__membership__user", "mentee__membership__department"
                ).order_by("id"),
            )
        )
        .annotate(
            sessions_held=Coalesce(_per_mentorship(held, "mentorship", Count("pk")), zero),
            minutes_held=Coalesce(_per_mentorship(held, "mentorship", Sum("duration_minutes")), zero),
            last_held_at=_per_mentorship(held, "mentorship", Max("starts_at")),
            stages_reached=Coalesce(
                _per_mentorship(held.filter(stage__isnull=False), "mentorship", Count("stage", distinct=True)), zero
            ),
            feedback_mean=_per_mentorship(feedback, "session__mentorship", Avg("rating")),
            open_goals=Coalesce(
                _per_mentorship(goals.filter(status__in=OPEN_GOAL_STATUSES), "mentorship", Count("pk")), zero
            ),
            achieved_goals=Coalesce(
                _per_mentorship(goals.filter(status=Goal.Status.ACHIEVED), "mentorship", Count("pk")), zero
            ),
            not_a_good_fit=Exists(
                SessionFeedback.objects.filter(
                    session__mentorship=OuterRef("pk"), pairing_fit=SessionFeedback.PairingFit.NOT_GOOD
                )
            ),
            quiet_since=Coalesce("last_held_at", Greatest("created_at", Value(cohort_start(cohort)))),
        )
    )
    overdue = Q(status=Mentorship.Status.ACTIVE, quiet_since__lt=now - at_risk_after(cohort.program))
    return queryset.annotate(
        overdue=ExpressionWrapper(overdue, output_field=BooleanField()),
    ).annotate(
        at_risk=ExpressionWrapper(Q(overdue=True) | Q(not_a_good_fit=True), output_field=BooleanField()),
    )


class MentorshipStatusFilter(django_filters.FilterSet):
    """`at_risk` (a checkbox: unticked shows everyone) and `department` (the mentor's or any mentee's)."""

    at_risk = django_filters.BooleanFilter(method="filter_at_risk", label="At risk only", widget=forms.CheckboxInput)
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("name"),
        method="filter_department",
        label="Department",
        empty_label="All departments",
    )

    class Meta:
        model = Mentorship
        fields = ["at_risk", "department"]

    def filter_at_risk(self, queryset, name, value):
        return queryset.filter(at_risk=True) if value else queryset

    def filter_department(self, queryset, name, value):
        in_group = MentorshipMentee.objects.filter(mentorship=OuterRef("pk"), mentee__membership__department=value)
        return queryset.filter(Q(mentor__membership__department=value) | Exists(in_group))


@dataclass(frozen=True)
class MentorshipStatus:
    mentorship: Mentorship
    mentor: Membership
    mentees: list[Membership]
    sessions_held: int
    minutes_held: int
    last_held_at: datetime | None
    stages_reached: int
    stages_total: int
    feedback_mean: float | None
    open_goals: int
    achieved_goals: int
    quiet_days: int  # days since the last held session (or since the mentorship started)
    overdue: bool
    not_a_good_fit: bool

    @property
    def at_risk(self) -> bool:
        return self.overdue or self.not_a_good_fit

    @property
    def hours(self) -> float:
        return round(self.minutes_held / 60, 1)

    @property
    def departments(self) -> list[str]:
        """The departments of the mentor and the mentees, each once, in that order."""
        names = [person.department.name if person.department else "No department" for person in self.people]
        return list(dict.fromkeys(names))

    @property
    def people(self) -> list[Membership]:
        return [self.mentor, *self.mentees]


@dataclass(frozen=True)
class CohortMatchStatus:
    cohort: Cohort
    filterset: MentorshipStatusFilter
    rows: list[MentorshipStatus]
    stages_total: int
    at_risk_after: timedelta

    @property
    def at_risk_count(self) -> int:
        return sum(1 for row in self.rows if row.at_risk)


def cohort_match_status(*, cohort: Cohort, filters: dict | None = None) -> CohortMatchStatus:
    """The cohort's mentorships with their status, mentor name first. Four queries whatever the cohort's size:
    the stage count, the mentorships with every aggregate, their mentees, and (when the form renders) the
    departments of the filter."""
    stages_total = SessionStage.objects.filter(program_id=cohort.program_id).count()
    filterset = MentorshipStatusFilter(filters or {}, queryset=_status_queryset(cohort))
    queryset = filterset.qs.order_by("mentor__membership__user__full_name", "pk") if filterset.is_valid() else []
    now = timezone.now()
    rows = [
        MentorshipStatus(
            mentorship=mentorship,
            mentor=mentorship.mentor.membership,
            mentees=[link.mentee.membership for link in mentorship.mentees.all()],
            sessions_held=mentorship.sessions_held,
            minutes_held=mentorship.minutes_held,
            last_held_at=mentorship.last_held_at,
            stages_reached=mentorship.stages_reached,
            stages_total=stages_total,
            feedback_mean=round(float(mentorship.feedback_mean), 1) if mentorship.feedback_mean is not None else None,
            open_goals=mentorship.open_goals,
            achieved_goals=mentorship.achieved_goals,
            quiet_days=max((now - mentorship.quiet_since).days, 0),
            overdue=mentorship.overdue,
            not_a_good_fit=mentorship.not_a_good_fit,
        )
        for mentorship in queryset
    ]
    return CohortMatchStatus(
        cohort=cohort,
        filterset=filterset,
        rows=rows,
        stages_total=stages_total,
        at_risk_after=at_risk_after(cohort.program),
    )
