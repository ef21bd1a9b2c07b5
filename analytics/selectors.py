"""Reading the metric snapshots for the dashboards, exports and API: figures come back already suppressed.

Every selector takes the organization (its minimum group size decides the suppression) and a `Scope` made by
`scope_for(program=..., cohort=..., department=...)`; each runs a fixed number of queries (the freshness, the rows,
and the names for labels), however many figures it returns.

A `Figure` whose `reason` is set carries no numbers: `value`, `numerator`, `denominator` and `group_size` are None
and `extra` is empty. Reasons (analytics/privacy.py REASONS has the sentences to show):

* `small_group`: fewer people than the minimum group size; `complementary`: hidden so that a small group cannot be
  derived by subtraction; `pending`: the minimum group size was raised after the last computation, so nothing is
  shown until the next one has revised the suppression;
* `no_data`: nothing computed for this scope and period (a program without sessions yet, a month before its cohort).

    scope = scope_for(cohort=cohort_id, department=department_id)      # ValidationError keyed by field if unknown
    cards = metric_figures(organization=org, scope=scope, period="to-date")
    trend = metric_series(organization=org, metric="participation_rate", scope=scope, months=months)
    by_department = metric_breakdown(organization=org, metric="participation_rate", scope=scope, by="department")
    skills = metric_breakdown(organization=org, metric="capability_growth", scope=scope, by="dimension")
    heatmap = collaboration_heatmap(organization=org, scope=scope)
    status = metrics_status(organization=org)                          # computed_at, the run in progress
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.core.exceptions import ValidationError

from analytics import privacy
from analytics.definitions import (
    ALL_DEPARTMENTS,
    COHORT,
    METRICS,
    NO_DEPARTMENT,
    ORGANIZATION,
    PROGRAM,
    TO_DATE,
    Metric,
    parse_dimension,
)
from analytics.models import MetricSnapshot, MetricsRun
from mentorship.tenancy.models import Department, Organization
from programs.models import Cohort, Program, SessionFeedback, SessionStage, Skill

PERIOD_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NO_DEPARTMENT_LABEL = "No department"
FIT_LABELS = dict(SessionFeedback.PairingFit.choices)
QUESTION_LABELS = {"colleagues": "Colleagues in other departments", "trust": "Trust in other departments"}
RATER_LABELS = {"self": "Self-rated", "mentor": "Mentor-rated"}


@dataclass(frozen=True)
class Scope:
    """Which figures: the organization, a program or a cohort, whole or narrowed to one department."""

    scope_type: str = ORGANIZATION
    scope_id: int = 0
    department_id: int = ALL_DEPARTMENTS
    program_id: int | None = None  # the program of a program or cohort scope (for stage titles)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.scope_type, self.scope_id, self.department_id)


@dataclass(frozen=True)
class Figure:
    metric: str
    period: str
    dimension: str
    department_id: int
    value: float | None
    numerator: float | None
    denominator: float | None
    group_size: int | None
    extra: dict = field(default_factory=dict)
    reason: str = ""
    computed_at: datetime | None = None
    label: str = ""  # what a breakdown row is about: a department, a skill, a stage, an answer

    @property
    def definition(self) -> Metric:
        return METRICS[self.metric]

    @property
    def suppressed(self) -> bool:
        return self.reason in (privacy.SMALL_GROUP, privacy.COMPLEMENTARY, "pending")

    @property
    def shown(self) -> bool:
        return not self.reason

    @property
    def message(self) -> str:
        return privacy.REASONS.get(self.reason, "")


@dataclass(frozen=True)
class MetricsStatus:
    computed_at: datetime | None  # when the last successful computation finished ("computed at")
    last_run: MetricsRun | None  # the latest run of any outcome
    running: MetricsRun | None  # a queued or running computation, if any
    min_group_size: int
    pending: bool  # the minimum group size was raised since the last successful computation
    # Changes whenever a computation is queued, progresses, succeeds or fails (the snapshots are only written by a
    # running computation, between two of its progress updates): what the dashboard's cache is keyed by.
    version: tuple = ()


@dataclass(frozen=True)
class Heatmap:
    departments: list[tuple[int, str]]  # every department appearing on either side, by name
    cells: dict[tuple[int, int], Figure]  # (mentor department, mentee department) -> figure (count of matches)
    total: Figure


# --- Filters ---


def _pk(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise ValidationError({name: f"Choose a valid {name}."}) from None


def scope_for(*, program=None, cohort=None, department=None) -> Scope:
    """The scope of the dashboard filters (instances or ids; empty values mean "all"). A cohort implies its
    program; an unknown or foreign id, or a cohort of another program, is a ValidationError keyed by the field."""
    program_id, cohort_id, department_id = _pk(program, "program"), _pk(cohort, "cohort"), _pk(department, "department")
    known = department_id in (None, NO_DEPARTMENT) or Department.objects.filter(pk=department_id).exists()
    if not known:
        raise ValidationError({"department": "Choose a department of this organization."})
    department_key = ALL_DEPARTMENTS if department_id is None else department_id
    if cohort_id is not None:
        found = Cohort.objects.filter(pk=cohort_id).values_list("program_id", flat=True).first()
        if found is None:
            raise ValidationError({"cohort": "Choose a cohort of this organization."})
        if program_id is not None and found != program_id:
            raise ValidationError({"cohort": "Choose a cohort of the chosen program."})
        return Scope(COHORT, cohort_id, department_key, found)
    if program_id is not None:
        if not Program.objects.filter(pk=program_id).exists():
            raise ValidationError({"program": "Choose a program of this organization."})
        return Scope(PROGRAM, program_id, department_key, program_id)
    return Scope(ORGANIZATION, 0, department_key)


def check_period(period: str) -> str:
    if period != TO_DATE and not PERIOD_PATTERN.match(period or ""):
        raise ValidationError({"period": "Choose a month as YYYY-MM, or to-date."})
    return period


def check_metric(slug: str, *, period: str | None = None) -> Metric:
    metric = METRICS.get(slug)
    if metric is None:
        raise ValidationError({"metric": f"Unknown metric {slug!r}; choose one of: {', '.join(METRICS)}."})
    if period is not None and period != TO_DATE and not metric.monthly:
        raise ValidationError({"period": f"{metric.label} is computed to date only."})
    return metric


# --- Reading ---


def metrics_status(*, organization: Organization) -> MetricsStatus:
    """Freshness and progress for the "computed at" line and the recompute button (two queries)."""
    runs = list(MetricsRun.objects.order_by("-created_at", "-id")[:5])
    running = next((run for run in runs if run.is_running), None)
    done = MetricsRun.objects.filter(status=MetricsRun.Status.SUCCEEDED).order_by("-finished_at", "-id").first()
    k = organization.min_group_size
    pending = done is not None and (done.min_group_size or 0) < k
    version = (
        (done.pk, done.finished_at.isoformat() if done.finished_at else None) if done else None,
        tuple((run.pk, run.status, run.progress, run.rows_written) for run in runs),
    )
    return MetricsStatus(
        computed_at=done.finished_at if done else None, last_run=runs[0] if runs else None, running=running,
        min_group_size=k, pending=pending, version=version,
    )  # fmt: skip


def _figure(row: MetricSnapshot | None, *, metric: str, period: str, dimension: str, department_id: int,
            status: MetricsStatus, label: str = "") -> Figure:  # fmt: skip
    if row is None:
        return Figure(metric, period, dimension, department_id, None, None, None, None, reason="no_data", label=label)
    reason = row.suppression
    if not reason and privacy.is_small(row.group_size, status.min_group_size):
        reason = privacy.SMALL_GROUP  # the threshold was raised since: primary suppression applies at once
    if not reason and status.pending:
        reason = "pending"
    if reason:
        return Figure(metric, period, dimension, department_id, None, None, None, None, reason=reason,
                      computed_at=row.computed_at, label=label)  # fmt: skip
    return Figure(
        metric, period, dimension, department_id, row.value, row.numerator, row.denominator, row.group_size,
        extra=dict(row.extra or {}), computed_at=row.computed_at, label=label,
    )  # fmt: skip


def _rows(scope: Scope, **filters):
    return MetricSnapshot.objects.filter(scope_type=scope.scope_type, scope_id=scope.scope_id, **filters).only(
        "metric", "period", "dimension", "department_id", "value", "numerator", "denominator", "group_size",
        "extra", "suppression", "computed_at",
    )  # fmt: skip


def department_names() -> dict[int, str]:
    names = dict(Department.objects.values_list("pk", "name"))
    names[NO_DEPARTMENT] = NO_DEPARTMENT_LABEL
    return names


def _with_gap_names(figure: Figure, names: dict[int, str]) -> Figure:
    if figure.metric != "attendance_gap" or not figure.shown:
        return figure
    extra = dict(figure.extra)
    for side in ("highest", "lowest"):
        extra[f"{side}_department_name"] = names.get(extra.get(f"{side}_department"), "")
    return replace(figure, extra=extra)


def metric_figures(
    *, organization: Organization, scope: Scope, period: str = TO_DATE, metrics: list[str] | None = None
) -> dict[str, Figure]:
    """The headline figure (dimension "") of each metric for the overview cards; metrics not computed for that
    period (to-date only ones for a month) are left out."""
    check_period(period)
    slugs = [check_metric(slug).slug for slug in metrics] if metrics else list(METRICS)
    slugs = [slug for slug in slugs if period == TO_DATE or METRICS[slug].monthly]
    status = metrics_status(organization=organization)
    rows = {row.metric: row for row in _rows(scope, metric__in=slugs, period=period, dimension="",
                                                  department_id=scope.department_id)}  # fmt: skip
    figures = {
        slug: _figure(
            rows.get(slug), metric=slug, period=period, dimension="", department_id=scope.department_id, status=status
        )
        for slug in slugs
    }
    if "attendance_gap" in figures and figures["attendance_gap"].shown:
        figures["attendance_gap"] = _with_gap_names(figures["attendance_gap"], department_names())
    return figures


def metric_series(
    *, organization: Organization, metric: str, scope: Scope, months: list[str] | None = None, dimension: str = ""
) -> list[Figure]:
    """One figure per month, oldest first: `months` (YYYY-MM), or every month with a figure of this metric in
    the organization; a month without one is a `no_data` figure (a gap in a trend line, never a zero)."""
    definition = check_metric(metric)
    if not definition.monthly:
        raise ValidationError({"metric": f"{definition.label} is computed to date only."})
    for month in months or []:
        check_period(month)
    status = metrics_status(organization=organization)
    if months is None:
        months = available_months(metric=metric)
    rows = {row.period: row for row in _rows(scope, metric=metric, period__in=months, dimension=dimension,
                                                  department_id=scope.department_id)}  # fmt: skip
    series = [
        _figure(
            rows.get(month),
            metric=metric,
            period=month,
            dimension=dimension,
            department_id=scope.department_id,
            status=status,
        )
        for month in sorted(months)
    ]
    if metric == "attendance_gap":
        names = department_names()
        series = [_with_gap_names(figure, names) for figure in series]
    return series


def available_months(*, metric: str | None = None) -> list[str]:
    """The months with any figure (of `metric`), oldest first: the choices of a period filter."""
    queryset = MetricSnapshot.objects.exclude(period=TO_DATE).filter(scope_type=ORGANIZATION)
    if metric:
        queryset = queryset.filter(metric=metric)
    return sorted(set(queryset.values_list("period", flat=True).distinct()))


def metric_breakdown(
    *, organization: Organization, metric: str, scope: Scope, period: str = TO_DATE, by: str = "department",
    dimension: str = "",
) -> list[Figure]:  # fmt: skip
    """The rows of a table or bar chart, each with its `label`:

    * by="department": the figure of each department within the scope (dimension `dimension`), by name, "No
      department" last; the scope's department filter is ignored (all departments are the breakdown);
    * by="dimension": the figure of each dimension value (skills, stages, answers, questions, heatmap cells) at the
      scope and its department, in the order of the registry's dimensions.
    """
    definition = check_metric(metric, period=period)
    check_period(period)
    status = metrics_status(organization=organization)
    if by == "department":
        if not definition.departments:
            raise ValidationError({"by": f"{definition.label} has no department figures."})
        names = department_names()
        rows = _rows(scope, metric=metric, period=period, dimension=dimension).exclude(department_id=ALL_DEPARTMENTS)
        figures = [
            _figure(
                row,
                metric=metric,
                period=period,
                dimension=dimension,
                department_id=row.department_id,
                status=status,
                label=names.get(row.department_id, f"Department {row.department_id}"),
            )
            for row in rows
        ]
        return sorted(figures, key=lambda f: (f.department_id == NO_DEPARTMENT, f.label.lower()))
    if by != "dimension":
        raise ValidationError({"by": "Break down by department or by dimension."})
    rows = list(_rows(scope, metric=metric, period=period, department_id=scope.department_id).exclude(dimension=""))
    labels = _dimension_labels(metric, [row.dimension for row in rows], scope)
    figures = [
        _figure(
            row,
            metric=metric,
            period=period,
            dimension=row.dimension,
            department_id=scope.department_id,
            status=status,
            label=labels[row.dimension][1],
        )
        for row in rows
    ]
    return sorted(figures, key=lambda f: labels[f.dimension][0])


def _dimension_labels(metric: str, dimensions: list[str], scope: Scope) -> dict[str, tuple[tuple, str]]:
    """dimension -> (sort key, label), with one query for the names it needs (skills, stages, departments)."""
    parsed = {dimension: parse_dimension(dimension) for dimension in dimensions}
    labels: dict[str, tuple[tuple, str]] = {}
    if metric == "capability_growth":
        skills = dict(
            Skill.objects.filter(pk__in={int(p["skill"]) for p in parsed.values() if "skill" in p}).values_list(
                "pk", "name"
            )
        )
        for dimension, parts in parsed.items():
            rater = RATER_LABELS.get(parts.get("rater"), parts.get("rater", ""))
            name = skills.get(int(parts["skill"]), "Skill") if "skill" in parts else "All skills"
            labels[dimension] = ((parts.get("rater") != "self", "skill" in parts, name.lower()), f"{name} ({rater})")
    elif metric == "stage_progression":
        titles = {}
        if scope.program_id is not None:
            titles = dict(SessionStage.objects.filter(program_id=scope.program_id).values_list("position", "title"))
        for dimension, parts in parsed.items():
            position = int(parts["stage"])
            labels[dimension] = ((position,), f"{position}. {titles[position]}" if position in titles
                                 else f"Stage {position}")  # fmt: skip
    elif metric == "collaboration_pairs":
        names = department_names()
        for dimension, parts in parsed.items():
            mentor, mentee = int(parts["mentor_department"]), int(parts["mentee_department"])
            mentor_name, mentee_name = names.get(mentor, str(mentor)), names.get(mentee, str(mentee))
            labels[dimension] = ((mentor_name.lower(), mentee_name.lower()), f"{mentor_name} → {mentee_name}")
    else:
        order = {"fit": list(FIT_LABELS), "question": list(QUESTION_LABELS)}
        for dimension, parts in parsed.items():
            key, value = next(iter(parts.items()))
            known = order.get(key, [])
            text = FIT_LABELS.get(value) if key == "fit" else QUESTION_LABELS.get(value, value)
            labels[dimension] = ((known.index(value) if value in known else len(known), value), text or value)
    return labels


def collaboration_heatmap(*, organization: Organization, scope: Scope) -> Heatmap:
    """Matches of active mentorships per mentor department x mentee department, for the heatmap and its table."""
    whole = replace(scope, department_id=ALL_DEPARTMENTS)  # the heatmap is about departments: no department filter
    cells = metric_breakdown(organization=organization, metric="collaboration_pairs", scope=whole, by="dimension")
    total = metric_figures(organization=organization, scope=whole, metrics=["collaboration_pairs"])
    total = total["collaboration_pairs"]
    names = department_names()
    by_pair = {}
    for figure in cells:
        parts = parse_dimension(figure.dimension)
        by_pair[(int(parts["mentor_department"]), int(parts["mentee_department"]))] = figure
    ids = sorted({pk for pair in by_pair for pk in pair}, key=lambda pk: (pk == NO_DEPARTMENT, names.get(pk, "")))
    return Heatmap(departments=[(pk, names.get(pk, str(pk))) for pk in ids], cells=by_pair, total=total)
