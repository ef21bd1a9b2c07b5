"""Every metric of the HR dashboards, defined once: what it counts, over what, per which period and scope.

`METRICS` is the registry the nightly computation (analytics/compute.py), the selectors, the dashboards, the exports
and the API all read; docs/metrics.md is generated from it (`manage.py metrics_docs`, and a test keeps the two
identical). The SQL that computes each metric is in analytics/sql.py, one statement per family, named by `family`.

Words used in the definitions:

* **participant**: one accepted enrollment (Application) that is the mentor or a mentee of a published mentorship,
  counted per mentorship: someone in two cohorts, or re-matched into a second mentorship, counts in each (so the
  figures add up across cohorts and departments).
* **match**: one mentor-mentee pair: each mentee of a mentorship is one match (a group of three mentees is three
  matches). A match's department is its mentee's.
* **running months** of a mentorship: from the month of its publication (or of its cohort's start, if later) to the
  month of its cohort's end (or the current month, if earlier); an ended mentorship runs until the month of its last
  held session. An **active participant** of a month is a participant of a mentorship running in that month.
* **months** are calendar months in UTC, written `YYYY-MM`; **to date** (`to-date`) covers everything up to the
  computation.
* **department**: the member's department now (a move re-files their history at the next full computation); people
  without one are counted under "No department" (department id -1), so departments always add up to the total.
* **group size**: how many people stand behind a figure; figures of fewer people than the organization's minimum
  group size are suppressed (analytics/privacy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

MONTH = "month"
TO_DATE = "to-date"

ORGANIZATION, PROGRAM, COHORT = "organization", "program", "cohort"
SCOPE_TYPES = (ORGANIZATION, PROGRAM, COHORT)
ALL_DEPARTMENTS = 0  # department_id of a figure about every department of its scope
NO_DEPARTMENT = -1  # department_id of the people without a department

# How the value is made from the numerator and denominator (and, for "paired", the sums kept in `extra`).
PERCENT, MEAN, COUNT, PAIRED, SPREAD = "percent", "mean", "count", "paired", "spread"


@dataclass(frozen=True)
class Metric:
    slug: str
    label: str
    family: str  # the statement of analytics/sql.py that computes it
    kind: str  # PERCENT, MEAN, COUNT, PAIRED or SPREAD
    unit: str
    numerator: str
    denominator: str
    group_size: str  # the people behind the figure
    periods: tuple[str, ...]  # MONTH and/or TO_DATE
    scopes: tuple[str, ...] = SCOPE_TYPES
    departments: bool = True  # also per department (alone and within each program and cohort)
    dimensions: str = ""  # what `dimension` holds besides "" (the headline figure), when anything
    dimension_partition: bool = False  # the dimension's figures add up to the "" figure (suppressed together)
    notes: str = ""

    @property
    def monthly(self) -> bool:
        return MONTH in self.periods

    @property
    def to_date(self) -> bool:
        return TO_DATE in self.periods


_METRICS = [
    Metric(
        slug="participants",
        label="Participants",
        family="matches",
        kind=COUNT,
        unit="people",
        numerator="Participants: accepted enrollments in a published mentorship (mentors and mentees).",
        denominator="None (a count).",
        group_size="The participants counted.",
        periods=(TO_DATE,),
    ),
    Metric(
        slug="enrollment_rate",
        label="Enrollment rate",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Accepted mentee enrollments.",
        denominator="Mentee seats of the cohorts (their capacity).",
        group_size="The accepted mentees.",
        periods=(TO_DATE,),
        departments=False,
        notes="Seats belong to a cohort, not to a department: no department figures.",
    ),
    Metric(
        slug="match_rate",
        label="Match rate",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Accepted mentees who are a mentee of a published mentorship.",
        denominator="Accepted mentees.",
        group_size="The accepted mentees.",
        periods=(TO_DATE,),
    ),
    Metric(
        slug="reach_rate",
        label="Reach",
        family="reach",
        kind=PERCENT,
        unit="%",
        numerator="Active members with an accepted enrollment in a cohort that has started.",
        denominator="Active members of the organization (or of the department).",
        group_size="The active members.",
        periods=(TO_DATE,),
        scopes=(ORGANIZATION,),
        notes="Only meaningful for the whole organization and its departments.",
    ),
    Metric(
        slug="participation_rate",
        label="Participation rate",
        family="sessions",
        kind=PERCENT,
        unit="%",
        numerator=(
            "Active participants of the month who attended at least one session their mentorship held in the month "
            "(not recorded absent from all of them)."
        ),
        denominator="Active participants of the month.",
        group_size="The active participants (to date: the most in any month).",
        periods=(MONTH, TO_DATE),
        notes="To date: participant-months with an attended session / active participant-months.",
    ),
    Metric(
        slug="attendance_rate",
        label="Attendance rate",
        family="sessions",
        kind=PERCENT,
        unit="%",
        numerator=(
            "Participant-sessions attended: the participants of each held session minus those recorded absent "
            "(every participant of a held session has an attendance row)."
        ),
        denominator=(
            "Participant-sessions expected: every participant of every session whose time has passed and that was "
            "not cancelled, i.e. held sessions and sessions still only scheduled after their time (missed)."
        ),
        group_size="The participants with an expected session (to date: the most in any month).",
        periods=(MONTH, TO_DATE),
        notes="A month is the month of the session's start.",
    ),
    Metric(
        slug="attendance_gap",
        label="Attendance gap between departments",
        family="sessions",
        kind=SPREAD,
        unit="points",
        numerator="The highest participation rate among the departments of the scope with enough people.",
        denominator="The lowest of those participation rates (the value is highest - lowest, in percentage points).",
        group_size="The active participants of the departments compared.",
        periods=(MONTH, TO_DATE),
        departments=False,
        notes=(
            "Departments with fewer active participants than the minimum group size are left out; at least two "
            "departments are needed. `extra` names the highest and lowest department and their rates."
        ),
    ),
    Metric(
        slug="cadence_adherence",
        label="Cadence adherence",
        family="sessions",
        kind=PERCENT,
        unit="%",
        numerator="Active participant-months in which the participant's mentorship held at least the program's "
        "sessions per month.",
        denominator="Active participant-months.",
        group_size="The active participants (to date: the most in any month).",
        periods=(MONTH, TO_DATE),
        notes="Completed months only: the current month is not judged before it ends.",
    ),
    Metric(
        slug="satisfaction",
        label="Satisfaction",
        family="sessions",
        kind=MEAN,
        unit="rating (1-5)",
        numerator="Sum of the session feedback ratings.",
        denominator="Feedback answers.",
        group_size="The participants who gave feedback (to date: the most in any month).",
        periods=(MONTH, TO_DATE),
        notes="A feedback belongs to its session's month and to its author's department.",
    ),
    Metric(
        slug="pairing_fit",
        label="Pairing fit",
        family="sessions",
        kind=PERCENT,
        unit="%",
        numerator="Pairing-fit answers with this answer.",
        denominator="Pairing-fit answers given.",
        group_size="The participants who answered (to date: the most in any month).",
        periods=(MONTH, TO_DATE),
        dimensions="fit=good, fit=unsure, fit=not_good",
    ),
    Metric(
        slug="stage_progression",
        label="Stage progression",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Matches whose mentorship held a session at this stage of the flow or a later one.",
        denominator="Matches (of programs whose flow has this stage).",
        group_size="The mentees of the matches.",
        periods=(TO_DATE,),
        dimensions="stage=<position> (1 = first stage of the program's session flow)",
    ),
    Metric(
        slug="goal_completion",
        label="Goal completion",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Goals achieved.",
        denominator="Goals set, except dropped ones.",
        group_size="The mentees with a goal.",
        periods=(TO_DATE,),
        notes="A goal belongs to its mentorship's cohort and its mentee's department.",
    ),
    Metric(
        slug="capability_growth",
        label="Capability growth",
        family="capability",
        kind=PAIRED,
        unit="levels",
        numerator="Sum of (final - baseline) level over the mentees rated at both.",
        denominator="Mentees rated at both the baseline and the final (n).",
        group_size="n.",
        periods=(TO_DATE,),
        dimensions=(
            "rater=self|mentor;skill=<skill id> per skill; rater=self|mentor over all skills (each mentee's mean "
            "growth across the skills rated at both phases is one observation)"
        ),
        notes=(
            "`extra`: n, sd, 95% confidence interval of the mean (t distribution, n - 1 degrees of freedom), "
            "effect size (Cohen's d for paired samples: mean / sd of the differences), improved_share (% of n "
            "improving by at least one level), before_mean and after_mean."
        ),
    ),
    Metric(
        slug="cross_department_share",
        label="Cross-department matches",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Matches whose mentor and mentee are in different departments (both known).",
        denominator="Matches.",
        group_size="The mentees of the matches.",
        periods=(TO_DATE,),
    ),
    Metric(
        slug="collaboration_pairs",
        label="Collaboration between departments",
        family="matches",
        kind=COUNT,
        unit="matches",
        numerator="Matches of active mentorships, per mentor department and mentee department.",
        denominator="None (a count).",
        group_size="The mentors and mentees of those matches.",
        periods=(TO_DATE,),
        departments=False,
        dimensions='mentor_department=<id>;mentee_department=<id> (the heatmap cells); "" is all of them',
        dimension_partition=True,
    ),
    Metric(
        slug="network_density",
        label="Department network density",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator="Pairs of different departments linked by at least one match of an active mentorship.",
        denominator="Possible pairs of the departments with someone in an active mentorship: k (k - 1) / 2.",
        group_size="The mentors and mentees of active mentorships.",
        periods=(TO_DATE,),
        departments=False,
    ),
    Metric(
        slug="pulse_change",
        label="Collaboration pulse change",
        family="capability",
        kind=PAIRED,
        unit="answer points",
        numerator="Sum of (end - start) answers over the participants who answered both pulses.",
        denominator="Participants who answered the start and the end pulse (n).",
        group_size="n.",
        periods=(TO_DATE,),
        dimensions="question=colleagues (colleagues in other departments worked with monthly), question=trust "
        "(trust in other departments, 1-5)",
        notes="`extra` as for capability growth (improved: at least one point more at the end).",
    ),
    Metric(
        slug="at_risk_share",
        label="Matches at risk",
        family="matches",
        kind=PERCENT,
        unit="%",
        numerator=(
            "Matches of active mentorships without a held session within twice the program's cadence "
            "(2 x 30 / sessions per month days) since the last held one, or since the mentorship started (the "
            "later of its publication and its cohort's first day) when none was held."
        ),
        denominator="Matches of active mentorships in cohorts running now (started, not ended).",
        group_size="The mentees of those matches.",
        periods=(TO_DATE,),
        notes="As of the computation (the same rule as the program admins' match status page).",
    ),
]

METRICS: dict[str, Metric] = {metric.slug: metric for metric in _METRICS}

FAMILIES = ("matches", "sessions", "capability", "reach")


def family_metrics(family: str) -> list[Metric]:
    return [metric for metric in _METRICS if metric.family == family]


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_dimension(dimension: str) -> dict[str, str]:
    """`rater=self;skill=12` -> {"rater": "self", "skill": "12"}; "" -> {}."""
    return dict(part.split("=", 1) for part in dimension.split(";") if part)


def docs_markdown() -> str:
    """docs/metrics.md, generated from the registry (`manage.py metrics_docs` writes it)."""
    from analytics import definitions

    period_names = {MONTH: "monthly", TO_DATE: "to date"}
    lines = [
        "# Metrics",
        "",
        "<!-- Generated from analytics/definitions.py by `manage.py metrics_docs`; do not edit by hand. -->",
        "",
        "Computed nightly per organization (analytics/compute.py, SQL in analytics/sql.py) into snapshot rows",
        "(`analytics.MetricSnapshot`) that the dashboards, exports and API read through analytics/selectors.py.",
        "",
        "## Words",
        "",
    ]
    words = definitions.__doc__.split("Words used in the definitions:", 1)[1].strip()
    lines += [line.strip() if not line.startswith("  ") else "  " + line.strip() for line in words.splitlines()]
    lines += [
        "",
        "## Scopes and periods",
        "",
        "Every figure is about a scope: the organization, a program or a cohort, each as a whole (department id 0)",
        'or narrowed to one department (department scope; -1 is "No department"). A figure is monthly (`YYYY-MM`)',
        "or to date (`to-date`). The table says which apply to each metric.",
        "",
        "| metric | label | unit | periods | scopes | per department |",
        "|---|---|---|---|---|---|",
    ]
    for metric in _METRICS:
        periods = ", ".join(period_names[period] for period in metric.periods)
        lines.append(
            f"| `{metric.slug}` | {metric.label} | {metric.unit} | {periods} | {', '.join(metric.scopes)} | "
            f"{'yes' if metric.departments else 'no'} |"
        )
    lines += ["", "## Definitions", ""]
    for metric in _METRICS:
        lines += [
            f"### `{metric.slug}`: {metric.label}",
            "",
            f"- **Numerator**: {metric.numerator}",
            f"- **Denominator**: {metric.denominator}",
            f"- **Value**: {_value_text(metric)}",
            f"- **Group size**: {metric.group_size}",
            f"- **Periods**: {', '.join(period_names[period] for period in metric.periods)}",
            f"- **Scopes**: {', '.join(metric.scopes)}{'; per department' if metric.departments else ''}",
        ]
        if metric.dimensions:
            lines.append(f"- **Dimensions**: {metric.dimensions}")
        if metric.notes:
            lines.append(f"- **Notes**: {metric.notes}")
        lines.append(f"- **Computed by**: the `{metric.family}` statement of analytics/sql.py")
        lines.append("")
    lines += [
        "## Privacy",
        "",
        "A figure whose group size is smaller than the organization's minimum group size (default 5) is",
        "suppressed (`small_group`), and so is the smallest other figure of a breakdown that would let it be",
        "derived by subtraction from a total that is shown (`complementary`): departments within a scope, cohorts",
        "within a program, programs within the organization, and the cells of a dimension that adds up. Zero-size",
        "figures are empty, not suppressed. Private notes are read by no metric.",
        "",
    ]
    return "\n".join(lines)


def _value_text(metric: Metric) -> str:
    return {
        PERCENT: "100 x numerator / denominator (%)",
        MEAN: "numerator / denominator",
        COUNT: "the numerator",
        PAIRED: "the mean difference, numerator / denominator",
        SPREAD: "numerator - denominator (percentage points)",
    }[metric.kind]
