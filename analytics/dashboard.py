"""The HR dashboard read from the metric snapshots: overview cards, trends against the program's baseline and
target, the department gap, capability growth per skill, the department x department collaboration.

`dashboard_build(viewer=..., filters=...)` is the one read behind the page, the exports and the impact report. It
runs a fixed number of queries whatever the organization holds (the snapshot rows of the chosen scope, the skills,
the program's targets, the latest run), and only ever sees figures after suppression (`analytics/privacy.py`): a
suppressed row's numbers never leave this module, so no page, chart, export or report can show them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from analytics import charts
from analytics.access import DashboardFilters, Viewer
from analytics.definitions import (
    ALL_DEPARTMENTS,
    COHORT,
    MEAN,
    METRICS,
    NO_DEPARTMENT,
    ORGANIZATION,
    PAIRED,
    PERCENT,
    PROGRAM,
    SPREAD,
    TO_DATE,
    parse_dimension,
)
from analytics.models import MetricSnapshot
from analytics.privacy import REASONS, is_small
from analytics.selectors import MetricsStatus, metrics_status
from analytics.tables import Cell, Table, suppressed_text
from programs.models import ProgramTarget, Skill

CARD_METRICS = (
    "participation_rate",
    "attendance_rate",
    "match_rate",
    "satisfaction",
    "capability_growth",
    "cross_department_share",
    "at_risk_share",
)
TREND_METRICS = ("participation_rate", "attendance_rate", "satisfaction")
GAP_METRIC = "participation_rate"
CAPABILITY_METRIC = "capability_growth"
COLLABORATION_METRIC = "collaboration_pairs"
# The headline figure of a metric: "" except for capability growth, which has one per rater (self-rated first).
HEADLINE_DIMENSION = {"capability_growth": "rater=self"}
RATERS = (("self", "Self-rated"), ("mentor", "Mentor-rated"))
SECTION_KEYS = ("overview", *(f"trend-{m}" for m in TREND_METRICS), "department-gap", "capability", "collaboration")


@dataclass(frozen=True)
class Figure:
    """One snapshot row as the dashboard may show it: `hidden` figures carry no numbers at all."""

    metric: str
    period: str
    department_id: int
    dimension: str
    value: float | None
    numerator: float | None
    denominator: float | None
    group_size: int | None
    extra: dict
    hidden: bool


@dataclass
class Empty:
    title: str
    text: str


@dataclass
class Card:
    key: str
    label: str
    cell: Cell
    detail: str = ""


@dataclass
class Section:
    key: str
    title: str
    definition: str
    table: Table
    figure: dict | None = None
    empty: Empty | None = None
    stacked: bool = False  # a wide table goes under its chart instead of beside it

    @property
    def figure_id(self) -> str:
        return f"figure-{self.key}"


@dataclass
class Dashboard:
    scope_label: str
    period_label: str
    computed_at: datetime | None = None
    cards: list[Card] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    empty: Empty | None = None
    report_query: str = ""
    min_group_size: int = 5
    status: MetricsStatus | None = None  # freshness and the latest run (for "Recompute now")

    def table(self, key: str) -> Table:
        """The table of a section (`SECTION_KEYS`); in an empty state, an empty table that says why."""
        if key == "overview" and self.cards:
            return self.overview_table()
        found = next((section.table for section in self.sections if section.key == key), None)
        if found is not None:
            return found
        reason = self.empty.title if self.empty else "No data for this selection."
        return Table(key, key, ["Message"], [[Cell.label(reason)]])

    def overview_table(self) -> Table:
        table = Table("overview", "Overview", ["Metric", "Value", "Detail"])
        table.rows = [[Cell.label(card.label), card.cell, Cell.label(card.detail)] for card in self.cards]
        return table


# --- Formatting ---


def _format(metric: str, value: float) -> str:
    kind = METRICS[metric].kind
    if kind == PERCENT:
        return f"{value:.1f} %"
    if kind == SPREAD:
        return f"{value:.1f} points"
    if kind == MEAN:
        return f"{value:.2f}"
    if kind == PAIRED:
        return f"{value:+.2f} {METRICS[metric].unit}"
    return f"{value:g}"


def _cell(figure: Figure | None, min_size: int, *, value: float | None = None, fmt: str | None = None,
          metric: str | None = None) -> Cell:  # fmt: skip
    """The value cell of a figure: hidden, missing or the number (`value` overrides the figure's own)."""
    if figure is None:
        return Cell.number(None)
    if figure.hidden:
        return Cell.hidden(min_size)
    number = figure.value if value is None else value
    if number is None:
        return Cell.number(None)
    number = round(float(number), 4)
    if fmt is not None:
        return Cell.number(number, fmt)
    return Cell(number, _format(metric or figure.metric, number), numeric=True)


def _people(figure: Figure | None, min_size: int) -> Cell:
    if figure is None:
        return Cell.number(None)
    if figure.hidden:
        return Cell.hidden(min_size)
    return Cell.number(figure.group_size, "{:d}")


# --- Reading the snapshots ---


def visible_figure(row: MetricSnapshot, min_size: int, *, hide: bool = False) -> Figure:
    """Suppressed rows (as the computation decided, or small by today's minimum group size) and every row when
    `hide` (`MetricsStatus.pending`: the threshold was raised since the last computation) become figures without
    numbers. The same rule as analytics/selectors.py, applied to the one query this module reads with."""
    hidden = hide or bool(row.suppression) or is_small(row.group_size, min_size)
    if hidden:
        return Figure(row.metric, row.period, row.department_id, row.dimension, None, None, None, None, {}, True)
    return Figure(
        row.metric, row.period, row.department_id, row.dimension, row.value, row.numerator, row.denominator,
        row.group_size, row.extra or {}, False,
    )  # fmt: skip


@dataclass(frozen=True)
class Scope:
    scope_type: str
    scope_id: int
    department_id: int
    label: str


def _scope(filters: DashboardFilters) -> Scope:
    cohort, program, department = filters.selected_cohort(), filters.selected_program(), filters.selected_department()
    if cohort is not None:
        scope_type, scope_id, label = COHORT, cohort.pk, f"cohort {cohort}"
    elif program is not None:
        scope_type, scope_id, label = PROGRAM, program.pk, f"program {program.name}"
    else:
        scope_type, scope_id, label = ORGANIZATION, 0, "the whole organization"
    if department is not None:
        label = f"{label}, department {department.name}"
    return Scope(scope_type, scope_id, department.pk if department else ALL_DEPARTMENTS, label)


def _read(scope: Scope, period: str, min_size: int) -> tuple[list[Figure], datetime | None]:
    """Every figure the dashboard shows for the scope, in one query: the chosen department's rows of every metric
    and period, plus each department's participation (the gap chart) in the chosen period."""
    period = period or TO_DATE
    rows = MetricSnapshot.objects.filter(scope_type=scope.scope_type, scope_id=scope.scope_id).filter(
        Q(department_id=scope.department_id) | Q(metric=GAP_METRIC, period=period, dimension="")
    )
    figures, computed_at = [], None
    for row in rows:
        figures.append(visible_figure(row, min_size))
        computed_at = row.computed_at if computed_at is None or row.computed_at > computed_at else computed_at
    return figures, computed_at


class _Index:
    """The figures by (metric, period, department, dimension)."""

    def __init__(self, figures: list[Figure]):
        self.by_key = {(f.metric, f.period, f.department_id, f.dimension): f for f in figures}
        self.months = sorted({f.period for f in figures if f.period != TO_DATE})

    def get(self, metric: str, period: str, department_id: int, dimension: str = "") -> Figure | None:
        return self.by_key.get((metric, period, department_id, dimension))

    def where(self, metric: str, period: str, department_id: int | None = None):
        for (m, p, d, _), figure in self.by_key.items():
            if m == metric and p == period and (department_id is None or d == department_id):
                yield figure


# --- The dashboard ---


def dashboard_build(
    *,
    viewer: Viewer,
    filters: DashboardFilters,
    organization,
    status: MetricsStatus | None = None,
    targets: dict[str, tuple[float, float]] | None = None,
    skill_names: dict[int, str] | None = None,
) -> Dashboard:
    """`status`, `targets` (of the selected program: `program_targets`) and `skill_names` (every skill's: a
    superset of those the figures name) when the caller has read them already (analytics/dashboard_cache.py)."""
    min_size = organization.min_group_size
    if status is None:
        status = metrics_status(organization=organization)
    if not filters.is_valid():
        return Dashboard(
            scope_label="—", period_label="—", min_group_size=min_size, status=status,
            empty=Empty("Check the filters.", " A filter above has a value this dashboard does not know; the "
                        "message beside it says what to change."),
        )  # fmt: skip
    if not viewer.full_access and not viewer.programs:
        return Dashboard(
            scope_label="—", period_label="—", min_group_size=min_size, status=status,
            empty=Empty("No programs of yours yet.", " Program admins see the metrics of the programs they created; "
                        "once you create a program and its cohorts run, their figures appear here."),
        )  # fmt: skip
    scope = _scope(filters)
    period = filters.cleaned_data["period"]
    period_label = f"month {period}" if period else "to date"
    figures, rows_written_at = _read(scope, period, min_size)
    # A rerun leaves unchanged rows as they were, so the rows' own times can be older than the last computation.
    computed_at = status.computed_at or rows_written_at
    program = filters.selected_program()
    dashboard = Dashboard(
        scope_label=scope.label,
        period_label=period_label,
        computed_at=computed_at,
        min_group_size=min_size,
        status=status,
        report_query=filters.query_string() if (program or filters.selected_cohort()) else "",
    )
    if not figures:
        dashboard.empty = _no_figures(scope, status)
        return dashboard
    if status.pending:
        dashboard.empty = Empty("Figures held back until the next computation.", " " + REASONS["pending"])
        return dashboard
    index = _Index(figures)
    if targets is None:
        targets = program_targets(program)
    dashboard.cards = _cards(index, scope, period or TO_DATE, min_size, targets)
    dashboard.sections = [
        *(_trend(index, scope, metric, min_size, targets.get(metric)) for metric in TREND_METRICS),
        _department_gap(index, scope, period or TO_DATE, min_size, {d.pk: d.name for d in viewer.departments}),
        _capability(index, scope, min_size, _skill_names(index, scope) if skill_names is None else skill_names),
        _collaboration(index, scope, min_size, {d.pk: d.name for d in viewer.departments}),
    ]
    return dashboard


def _no_figures(scope: Scope, status: MetricsStatus) -> Empty:
    if status.computed_at is None and not MetricSnapshot.objects.exists():
        return Empty(
            "No metrics computed yet.",
            " The figures are computed every night from the published mentorships, sessions, feedback and "
            "assessments; an HR analyst or org admin can also recompute them now.",
        )
    if scope.scope_type != ORGANIZATION:
        return Empty(
            "No data for this selection yet.",
            f" Nothing has been recorded for {scope.label}: no published mentorships or sessions yet. Figures "
            "appear after the next computation once pairs are published and meet.",
        )
    return Empty("No data for this selection.", f" Nothing has been recorded for {scope.label} yet.")


def program_targets(program) -> dict[str, tuple[float, float]]:
    if program is None:
        return {}
    return {
        t.metric: (float(t.baseline), float(t.target))
        for t in ProgramTarget.objects.filter(program=program).only("metric", "baseline", "target")
    }


def _cards(index: _Index, scope: Scope, period: str, min_size: int, targets) -> list[Card]:
    cards = []
    for metric in CARD_METRICS:
        definition = METRICS[metric]
        own_period = period if (period == TO_DATE or definition.monthly) else TO_DATE
        figure = index.get(metric, own_period, scope.department_id, HEADLINE_DIMENSION.get(metric, ""))
        details = []
        if figure is not None and not figure.hidden and definition.kind == PERCENT and figure.denominator:
            details.append(f"{figure.numerator:g} of {figure.denominator:g}")
        if metric == "capability_growth":
            details.append("self-rated")
            mentor = index.get(metric, own_period, scope.department_id, "rater=mentor")
            if mentor is not None:
                details.append(f"mentor-rated {_cell(mentor, min_size).text}")
        if own_period != period:
            details.append("to date (no monthly figure)")
        if metric in targets:
            baseline, target = targets[metric]
            details.append(f"baseline {baseline:g}, target {target:g}")
        if figure is None:
            details.append("no data")
        cards.append(Card(metric, definition.label, _cell(figure, min_size), "; ".join(details)))
    return cards


def _definition(metric: str) -> str:
    definition = METRICS[metric]
    return f"{definition.numerator} Out of: {definition.denominator}"


def _trend(index: _Index, scope: Scope, metric: str, min_size: int, target) -> Section:
    definition = METRICS[metric]
    columns = ["Month", definition.label, "People"]
    if target:
        columns += ["Baseline", "Target"]
    table = Table(f"trend-{metric}", f"{definition.label} per month", columns)
    values = []
    for month in index.months:
        figure = index.get(metric, month, scope.department_id)
        row = [Cell.label(month), _cell(figure, min_size), _people(figure, min_size)]
        if target:
            row += [Cell.number(target[0]), Cell.number(target[1])]
        table.rows.append(row)
        values.append(None if figure is None or figure.hidden else figure.value)
    section = Section(table.key, table.title, _definition(metric), table)
    if not any(value is not None for value in values):
        section.empty = _empty_figures(table, "no month of this selection has a figure yet", min_size)
        return section
    section.figure = charts.trend(
        definition.label, index.months, values, unit=definition.unit,
        baseline=target[0] if target else None, target=target[1] if target else None,
    )  # fmt: skip
    return section


def _department_name(names: dict[int, str], department_id: int) -> str:
    if department_id == NO_DEPARTMENT:
        return "No department"
    return names.get(department_id, f"Department {department_id} (deleted)")


def _department_gap(index: _Index, scope: Scope, period: str, min_size: int, names: dict[int, str]) -> Section:
    definition = METRICS[GAP_METRIC]
    table = Table("department-gap", f"{definition.label} by department", ["Department", definition.label, "People"])
    rows = sorted(
        (f for f in index.where(GAP_METRIC, period) if f.department_id != ALL_DEPARTMENTS),
        key=lambda f: _department_name(names, f.department_id).lower(),
    )
    labels, values = [], []
    for figure in rows:
        label = _department_name(names, figure.department_id)
        table.rows.append([Cell.label(label), _cell(figure, min_size), _people(figure, min_size)])
        labels.append(label)
        values.append(None if figure.hidden else figure.value)
    gap = index.get("attendance_gap", period, ALL_DEPARTMENTS) if scope.department_id == ALL_DEPARTMENTS else None
    text = (
        "Participation rate of each department of the selection (every department, whatever the department "
        "filter), and the whole selection as a dashed line."
    )
    if gap is not None and not gap.hidden and gap.value is not None:
        text += (
            f" Gap between the highest and the lowest department with at least {min_size} active participants: "
            f"{gap.value:.1f} points."
        )
    section = Section(table.key, table.title, text, table)
    if not any(value is not None for value in values):
        section.empty = _empty_figures(table, "no department has a participation figure for this period", min_size)
        return section
    total = index.get(GAP_METRIC, period, ALL_DEPARTMENTS)
    reference = None if total is None or total.hidden else total.value
    section.figure = charts.bars(
        table.title, labels, values, unit=definition.unit, reference=reference, reference_name="The whole selection"
    )
    return section


def _skill_names(index: _Index, scope: Scope) -> dict[int, str]:
    ids = set()
    for figure in index.where(CAPABILITY_METRIC, TO_DATE, scope.department_id):
        skill = parse_dimension(figure.dimension).get("skill")
        if skill and skill.isdigit():
            ids.add(int(skill))
    if not ids:
        return {}
    return dict(Skill.objects.filter(pk__in=ids).values_list("pk", "name"))


def _capability(index: _Index, scope: Scope, min_size: int, skill_names: dict[int, str]) -> Section:
    columns = ["Skill", "Rater", "Mentees (n)", "Mean growth", "95% CI low", "95% CI high", "Effect size",
               "Improved by 1+ level (%)"]  # fmt: skip
    table = Table("capability", "Capability growth per skill", columns)
    per_rater: dict[str, list[tuple[str, Figure]]] = defaultdict(list)
    for figure in index.where(CAPABILITY_METRIC, TO_DATE, scope.department_id):
        parts = parse_dimension(figure.dimension)
        skill = parts.get("skill")
        if skill is None:
            name = "All skills"
        else:
            name = skill_names.get(int(skill), f"Skill {skill}") if skill.isdigit() else skill
        per_rater[parts.get("rater", "")].append((name, figure))
    traces = []
    for rater, rater_label in RATERS:
        entries = sorted(per_rater.get(rater, []), key=lambda e: (e[0] != "All skills", e[0].lower()))
        labels, means, lows, highs = [], [], [], []
        for name, figure in entries:
            extra = figure.extra
            table.rows.append([
                Cell.label(name), Cell.label(rater_label), _people(figure, min_size), _cell(figure, min_size),
                _cell(figure, min_size, value=extra.get("ci_low"), fmt="{:+.2f}"),
                _cell(figure, min_size, value=extra.get("ci_high"), fmt="{:+.2f}"),
                _cell(figure, min_size, value=extra.get("effect_size"), fmt="{:.2f}"),
                _cell(figure, min_size, value=extra.get("improved_share"), fmt="{:.1f}"),
            ])  # fmt: skip
            labels.append(name)
            shown = not figure.hidden
            means.append(figure.value if shown else None)
            lows.append(extra.get("ci_low") if shown else None)
            highs.append(extra.get("ci_high") if shown else None)
        if any(mean is not None for mean in means):
            traces.append((rater_label, labels, means, lows, highs))
    text = (
        "Final minus baseline level of the mentees rated at both, per skill and rater: the mean with its 95% "
        "confidence interval (t distribution), the effect size (Cohen's d for paired samples) and the share "
        "improving by at least one level. To date, whatever the month chosen."
    )
    section = Section(table.key, table.title, text, table, stacked=True)
    if not traces:
        section.empty = _empty_figures(table, "no mentee has both a baseline and a final assessment yet", min_size)
        return section
    section.figure = charts.intervals(section.title, traces, unit=METRICS[CAPABILITY_METRIC].unit)
    return section


def _collaboration(index: _Index, scope: Scope, min_size: int, names: dict[int, str]) -> Section:
    definition = METRICS[COLLABORATION_METRIC]
    table = Table(
        "collaboration", "Collaboration between departments", ["Mentor department", "Mentee department", "Matches"]
    )
    cells: dict[tuple[str, str], Figure] = {}
    for figure in index.where(COLLABORATION_METRIC, TO_DATE, ALL_DEPARTMENTS):
        parts = parse_dimension(figure.dimension)
        if "mentor_department" not in parts:
            continue
        mentor = _department_name(names, int(parts["mentor_department"]))
        mentee = _department_name(names, int(parts["mentee_department"]))
        cells[(mentor, mentee)] = figure
    for (mentor, mentee), figure in sorted(cells.items(), key=lambda item: (item[0][0].lower(), item[0][1].lower())):
        table.rows.append([Cell.label(mentor), Cell.label(mentee), _cell(figure, min_size, fmt="{:g}")])
    density = index.get("network_density", TO_DATE, ALL_DEPARTMENTS)
    text = f"{definition.numerator} To date; the department filter does not apply (a pair has two departments)."
    if density is not None and not density.hidden and density.value is not None:
        text += f" Network density: {density.value:.1f} % of the possible department pairs are linked."
    section = Section(table.key, table.title, text, table)
    if not any(not figure.hidden for figure in cells.values()):
        section.empty = _empty_figures(table, "no active mentorship links two departments yet", min_size)
        return section
    rows = sorted({mentor for mentor, _ in cells}, key=str.lower)
    columns = sorted({mentee for _, mentee in cells}, key=str.lower)
    matrix = [[None if (f := cells.get((r, c))) is None or f.hidden else f.value for c in columns] for r in rows]
    section.figure = charts.heatmap(
        table.title, rows, columns, matrix, row_title="Mentor department", column_title="Mentee department",
        unit="matches",
    )  # fmt: skip
    return section


def _empty_figures(table: Table, no_data: str, min_size: int) -> Empty:
    if any(cell.suppressed for row in table.rows for cell in row):
        return Empty(
            "Every figure here is about a small group.",
            f" Each figure of this table is about {suppressed_text(min_size)}, so none is shown (the organization's "
            "privacy rule). A wider selection (a program instead of a cohort, all departments, to date) gathers "
            "more people.",
        )
    return Empty("No data yet.", f" For this selection {no_data}.")
