"""The SQL that computes the metrics of analytics/definitions.py: one statement per family and step.

Every statement runs inside the organization's tenant scope, so row-level security limits each table to that
organization (tenancy_membership has no row-level security: it is filtered by organization explicitly).

How a family is computed (analytics/compute.py runs the steps):

1. **base cells**: one pass over the family's tables, grouped by cohort x department [x dimension] [x month]
   (`GROUP BY`, `FILTER`), gives the additive sums of each figure: numerator, denominator, group size (and, for
   paired figures, the sums of squares in `extra`). They are stored as the cohort x department snapshot rows.
2. **roll-up**: the program, organization, department and cohort-total rows are sums of the stored base rows
   (`GROUPING SETS`), for the periods recomputed. Base rows of cohorts an incremental run did not recompute take
   part as stored, which is what makes an incremental run cheap.
3. **derived** figures (the attendance gap, the network density) are computed from rolled-up rows.

Each step is one INSERT ... ON CONFLICT DO UPDATE of the rows it computes, plus a DELETE, in the same statement, of
the rows of its slice (metrics x periods x cohorts) that it no longer produces; an unchanged row is not rewritten.
Values are computed in `numeric` and rounded, so the same data always gives the same rows, to the last digit.
"""

from __future__ import annotations

from analytics.definitions import COUNT, MEAN, METRICS, PAIRED, PERCENT, SPREAD, TO_DATE, family_metrics

DERIVED_METRICS = ("attendance_gap", "network_density")
DIRECT_METRICS = ("reach_rate",)  # organization rows computed directly (no cohort cells)
PAIRED_SUMS = ("sum_sq", "improved", "before_sum", "after_sum")
ADVISORY_LOCK_CLASS = 0x4D45  # pg_advisory_lock(class, organization id): one computation per organization at a time
T_CRITICAL_LIMIT = 2000  # t quantiles passed for n - 1 = 1..2000; beyond, the normal quantile (differs < 0.1 %)
NORMAL_975 = 1.959964


def base_metrics(family: str) -> list[str]:
    return [m.slug for m in family_metrics(family) if m.slug not in DERIVED_METRICS + DIRECT_METRICS]


def department_metrics() -> list[str]:
    """Base metrics whose cells are per department (their cohort total is a roll-up)."""
    return [m.slug for m in METRICS.values() if m.departments and m.slug not in DERIVED_METRICS + DIRECT_METRICS]


def _kinds_values() -> str:
    return ", ".join(f"('{m.slug}', '{m.kind}')" for m in METRICS.values())


_FINALIZE = f"""
finalized AS (
    SELECT c.metric, c.scope_type, c.scope_id, c.department_id, c.period, c.dimension,
           c.numerator, c.denominator, c.group_size,
           CASE k.kind
               WHEN '{PERCENT}' THEN round(100 * c.numerator / NULLIF(c.denominator, 0), 4)
               WHEN '{MEAN}' THEN round(c.numerator / NULLIF(c.denominator, 0), 4)
               WHEN '{PAIRED}' THEN round(c.numerator / NULLIF(c.denominator, 0), 4)
               WHEN '{COUNT}' THEN c.numerator
               WHEN '{SPREAD}' THEN round(c.numerator - c.denominator, 4)
           END AS value,
           CASE WHEN k.kind = '{PAIRED}' THEN c.extra || jsonb_build_object(
               'n', c.denominator,
               'mean', round(c.numerator / NULLIF(c.denominator, 0), 4),
               'sd', round(st.sd, 4),
               'ci_low', round(c.numerator / NULLIF(c.denominator, 0) - st.half_width, 4),
               'ci_high', round(c.numerator / NULLIF(c.denominator, 0) + st.half_width, 4),
               'effect_size', round(c.numerator / NULLIF(c.denominator, 0) / NULLIF(st.sd, 0), 4),
               'improved_share', round(100 * (c.extra->>'improved')::numeric / NULLIF(c.denominator, 0), 4),
               'before_mean', round((c.extra->>'before_sum')::numeric / NULLIF(c.denominator, 0), 4),
               'after_mean', round((c.extra->>'after_sum')::numeric / NULLIF(c.denominator, 0), 4)
           ) ELSE COALESCE(c.extra, '{{}}'::jsonb) END AS extra,
           CASE WHEN c.group_size BETWEEN 1 AND %(k)s - 1 THEN 'small_group' ELSE '' END AS suppression
    FROM computed c
    JOIN (VALUES {_kinds_values()}) k(metric, kind) ON k.metric = c.metric
    LEFT JOIN LATERAL (
        SELECT sd.sd, COALESCE((%(t975)s::numeric[])[(c.denominator - 1)::int], {NORMAL_975}) * sd.sd
                      / sqrt(c.denominator) AS half_width
        FROM (SELECT CASE WHEN c.denominator >= 2 THEN sqrt(GREATEST(
                  ((c.extra->>'sum_sq')::numeric - c.numerator * c.numerator / c.denominator) / (c.denominator - 1),
                  0)) END AS sd) sd
    ) st ON k.kind = '{PAIRED}'
)"""

_KEY = "metric, scope_type, scope_id, department_id, period, dimension"
# A statement's cells as one JSON array (computed on one connection, written on another, with no conversion in
# Python), and read back as rows: numbers travel as their exact decimal text.
AS_JSON = "SELECT COALESCE(json_agg(c), '[]')::text FROM ({statement}) c"
FROM_JSON = """
SELECT t.* FROM unnest(%(cells)s::text[]) part
CROSS JOIN LATERAL json_to_recordset(part::json) AS t(metric text, scope_type text, scope_id bigint,
    department_id bigint, period text, dimension text, numerator numeric, denominator numeric, group_size int,
    extra jsonb)
"""


def upsert(computed: str, slice_condition: str) -> str:
    """INSERT ... ON CONFLICT DO UPDATE the rows `computed` selects; DELETE the rows of the slice it did not.

    `computed` selects (metric, scope_type, scope_id, department_id, period, dimension, numerator, denominator,
    group_size, extra) with numeric sums; `slice_condition` (over `snap`) says which stored rows it recomputes.
    A primary suppression follows the group size; a complementary one is kept for analytics/privacy.py to revise.
    Returns one row: (rows written, rows deleted)."""
    return f"""
WITH computed({_KEY}, numerator, denominator, group_size, extra) AS MATERIALIZED ({computed}),
{_FINALIZE},
written AS (
    INSERT INTO analytics_metricsnapshot AS snap (organization_id, {_KEY}, numerator, denominator, value, group_size,
                                                  extra, suppression, computed_at)
    SELECT %(org)s, {_KEY}, numerator, denominator, value, group_size, extra, suppression, %(now)s FROM finalized
    ON CONFLICT (organization_id, {_KEY}) DO UPDATE SET
        numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator, value = EXCLUDED.value,
        group_size = EXCLUDED.group_size, extra = EXCLUDED.extra, computed_at = EXCLUDED.computed_at,
        suppression = CASE WHEN EXCLUDED.suppression <> '' THEN EXCLUDED.suppression
                           WHEN snap.suppression = 'complementary' THEN 'complementary' ELSE '' END
    WHERE (snap.numerator, snap.denominator, snap.value, snap.group_size, snap.extra)
              IS DISTINCT FROM (EXCLUDED.numerator, EXCLUDED.denominator, EXCLUDED.value, EXCLUDED.group_size,
                                EXCLUDED.extra)
       OR (snap.suppression = 'small_group') <> (EXCLUDED.suppression = 'small_group')
    RETURNING 1
),
removed AS (
    DELETE FROM analytics_metricsnapshot snap
    WHERE ({slice_condition})
      AND NOT EXISTS (
          SELECT 1 FROM computed c
          WHERE c.metric = snap.metric AND c.scope_type = snap.scope_type AND c.scope_id = snap.scope_id
            AND c.department_id = snap.department_id AND c.period = snap.period AND c.dimension = snap.dimension
      )
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM removed)
"""


# --- Slices: which stored rows a step recomputes (its DELETE removes those it no longer produces). ---

PERIOD_MONTHS = "(snap.period <> 'to-date' AND (%(month_keys)s::text[] IS NULL OR snap.period = ANY(%(month_keys)s)))"
PERIOD_TO_DATE = "snap.period = 'to-date'"
PERIOD_ANY = f"({PERIOD_MONTHS} OR {PERIOD_TO_DATE})"
IS_BASE = "(snap.scope_type = 'cohort' AND (snap.department_id <> 0) = (snap.metric = ANY(%(department_metrics)s)))"


def in_cohorts(column: str) -> str:
    """`column` is one of the cohorts a run recomputes (all when %(cohorts)s is NULL). A condition rather than a join
    with `cohorts`: over millions of rows the join costs more."""
    return f"(%(cohorts)s::bigint[] IS NULL OR {column} = ANY(%(cohorts)s))"


IN_COHORTS = in_cohorts("snap.scope_id")


def base_slice(period: str) -> str:
    return f"snap.metric = ANY(%(metrics)s) AND {period} AND {IS_BASE} AND {IN_COHORTS}"


def rollup_slice(period: str) -> str:
    return f"snap.metric = ANY(%(metrics)s) AND {period} AND NOT {IS_BASE}"


def metric_slice(period: str) -> str:
    return f"snap.metric = ANY(%(metrics)s) AND {period}"


# --- Shared pieces ---

_COHORTS = f"""
cohorts AS (
    SELECT co.id, co.program_id, co.capacity, co.starts_on, co.ends_on, pr.cadence_per_month AS cadence
    FROM programs_cohort co JOIN programs_program pr ON pr.id = co.program_id
    WHERE {in_cohorts("co.id")}
)"""


def _month_index(column: str) -> str:
    """Months as integers (year * 12 + month - 1, UTC): cheap to group by, compare and turn into bits."""
    return f"(date_part('year', {column})::int * 12 + date_part('month', {column})::int - 1)"


def _period(month_index: str) -> str:
    return f"to_char(make_date({month_index} / 12, {month_index} %% 12 + 1, 1), 'YYYY-MM')"


def _bit_sums(column: str) -> str:
    """How many rows have each of the twelve month bits of `column` set."""
    return ", ".join(f"sum(({column} >> {bit}) & 1)" for bit in range(12))


_SESSION_MONTH = "month_index"  # of programs_mentoringsession: _month_index of starts_at, stored (programs/models)
_IN_MONTHS = f"""(%(month_from)s::date IS NULL OR starts_at >= %(month_from)s::timestamp AT TIME ZONE 'UTC')
          AND (%(month_indexes)s::int[] IS NULL OR {_SESSION_MONTH} = ANY(%(month_indexes)s))"""

# The participants (mentor and mentees, accepted enrollments) of each mentorship, with their department. One row a
# person rather than a count per department: the planner estimates a join of table rows well, and a grouped count
# hardly fewer rows.
_PARTICIPANTS = """
participants AS MATERIALIZED (
    SELECT x.mentorship_id, ap.membership_id, COALESCE(mb.department_id, -1) AS department_id
    FROM (SELECT id AS mentorship_id, mentor_id AS application_id FROM programs_mentorship
          UNION ALL
          SELECT mentorship_id, mentee_id FROM programs_mentorshipmentee) x
    JOIN programs_application ap ON ap.id = x.application_id AND ap.status = 'accepted'
    JOIN tenancy_membership mb ON mb.id = ap.membership_id AND mb.organization_id = %(org)s
)"""


# --- Family "sessions": participation, attendance, cadence, satisfaction, pairing fit (monthly base cells) ---
#
# Per mentorship and month (`months`): sessions held, and expected (held, or still scheduled after their time),
# summed over the participants of each mentorship. Every participant of a held session has an attendance row, so
# only the absences are read (about a tenth of the rows), counted per person and month and joined to each
# participant's month before the one aggregation per cell: attended = participants x held - absences, and a
# participant took part in a month unless absent from every session held in it. Feedback is
# grouped per cell, and per author and year as a bit per month, which counts the distinct people who answered
# without grouping by person and month.

SESSIONS_MONTHLY = f"""
WITH {_COHORTS},
{_PARTICIPANTS},
mentorships AS MATERIALIZED (  -- the running months (definitions) of each mentorship, as month indexes
    SELECT ms.id, ms.cohort_id, co.cadence, {_month_index("f.day")} AS first_mi, {_month_index("l.day")} AS last_mi
    FROM programs_mentorship ms
    JOIN cohorts co ON co.id = ms.cohort_id
    CROSS JOIN LATERAL (SELECT GREATEST(ms.created_at AT TIME ZONE 'UTC', co.starts_on::timestamp) AS day) f
    CROSS JOIN LATERAL (SELECT CASE
        WHEN ms.status <> 'ended' THEN LEAST(co.ends_on::timestamp, %(now)s AT TIME ZONE 'UTC')
        ELSE LEAST(co.ends_on::timestamp, %(now)s AT TIME ZONE 'UTC',
                   (SELECT max(s.starts_at) FROM programs_mentoringsession s
                    WHERE s.mentorship_id = ms.id AND s.status = 'held') AT TIME ZONE 'UTC')
    END AS day) l
),
-- Not MATERIALIZED: read once, so the planner sees through it (estimates, order: where the sessions are stored in
-- mentorship order, as generated ones are, it groups them along their mentorship index with no hash table or sort).
months AS (
    SELECT m.mentorship_id, m.mi, m.held, m.expected, ms.cohort_id,
           m.held > 0 AND m.mi BETWEEN ms.first_mi AND ms.last_mi AS taking_part,
           m.held >= ms.cadence AND m.mi BETWEEN ms.first_mi AND ms.last_mi AND m.mi < %(current_mi)s AS met
    FROM (SELECT mentorship_id, {_SESSION_MONTH} AS mi, count(*) FILTER (WHERE status = 'held') AS held,
                 count(*) AS expected
          FROM programs_mentoringsession
          WHERE status IN ('held', 'scheduled') AND starts_at < %(now)s AND {_IN_MONTHS}
          GROUP BY 1, 2) m
    JOIN mentorships ms ON ms.id = m.mentorship_id
),
absences AS (  -- per mentorship, month and person: absences from the sessions held in the month
    SELECT s.mentorship_id, s.mi, a.membership_id, count(*) AS absent
    FROM programs_sessionattendance a
    JOIN (SELECT id, mentorship_id, {_SESSION_MONTH} AS mi FROM programs_mentoringsession
          WHERE status = 'held' AND starts_at < %(now)s AND {_IN_MONTHS}) s ON s.id = a.session_id
    WHERE NOT a.attended
    GROUP BY 1, 2, 3
),
-- Each participant's month, with their absences joined before the one aggregation (absent from every session
-- held: not taking part), instead of aggregating the absences per cell on their own and joining the two.
session_cells AS (
    SELECT m.cohort_id, p.department_id, m.mi, sum(m.expected) AS expected,
           sum(m.held) - COALESCE(sum(x.absent), 0) AS attended, count(*) AS expecting,
           count(*) FILTER (WHERE m.taking_part AND (x.absent IS NULL OR x.absent < m.held)) AS participating,
           count(*) FILTER (WHERE m.met) AS met
    FROM months m
    JOIN participants p ON p.mentorship_id = m.mentorship_id
    LEFT JOIN absences x ON x.mentorship_id = m.mentorship_id AND x.mi = m.mi AND x.membership_id = p.membership_id
    GROUP BY 1, 2, 3
),
running_cells AS (  -- active participants: those of the mentorships running in the month
    SELECT r.cohort_id, r.department_id, mo.mi, sum(r.n) AS active,
           sum(r.n) FILTER (WHERE mo.mi < %(current_mi)s) AS judged
    FROM (SELECT ms.cohort_id, p.department_id, ms.first_mi, ms.last_mi, count(*) AS n
          FROM mentorships ms JOIN participants p ON p.mentorship_id = ms.id
          GROUP BY ms.cohort_id, p.department_id, ms.first_mi, ms.last_mi) r
    CROSS JOIN LATERAL generate_series(r.first_mi, r.last_mi) mo(mi)
    WHERE %(month_indexes)s::int[] IS NULL OR mo.mi = ANY(%(month_indexes)s)
    GROUP BY r.cohort_id, r.department_id, mo.mi
)
SELECT v.metric, 'cohort' AS scope_type, c.cohort_id AS scope_id, c.department_id, {_period("c.mi")} AS period,
       '' AS dimension, v.numerator::numeric, v.denominator::numeric, v.group_size::int, NULL::jsonb AS extra
FROM (SELECT COALESCE(r.cohort_id, s.cohort_id) AS cohort_id,
             COALESCE(r.department_id, s.department_id) AS department_id, COALESCE(r.mi, s.mi) AS mi,
             COALESCE(r.active, 0) AS active, COALESCE(s.participating, 0) AS participating,
             COALESCE(s.expected, 0) AS expected, COALESCE(s.attended, 0) AS attended,
             COALESCE(s.expecting, 0) AS expecting, COALESCE(r.judged, 0) AS judged, COALESCE(s.met, 0) AS met
      FROM running_cells r
      FULL JOIN session_cells s ON s.cohort_id = r.cohort_id AND s.department_id = r.department_id AND s.mi = r.mi) c
CROSS JOIN LATERAL (VALUES
    ('participation_rate', c.participating, c.active, c.active),
    ('attendance_rate', c.attended, c.expected, c.expecting),
    ('cadence_adherence', c.met, c.judged, c.judged)
) v(metric, numerator, denominator, group_size)
WHERE v.denominator > 0
"""

FEEDBACK_MONTHLY = f"""
WITH feedback AS MATERIALIZED (
    SELECT GROUPING(f.author_id) AS per_cell, ms.cohort_id, COALESCE(mb.department_id, -1) AS department_id,
           s.mi, s.mi / 12 AS year, count(*) AS answers, sum(f.rating) AS ratings,
           count(*) FILTER (WHERE f.pairing_fit <> '') AS fit_answers,
           count(*) FILTER (WHERE f.pairing_fit = 'good') AS fit_good,
           count(*) FILTER (WHERE f.pairing_fit = 'unsure') AS fit_unsure,
           count(*) FILTER (WHERE f.pairing_fit = 'not_good') AS fit_not_good,
           bit_or(1 << (s.mi %% 12)) AS answered_bits,
           COALESCE(bit_or(1 << (s.mi %% 12)) FILTER (WHERE f.pairing_fit <> ''), 0) AS fit_bits
    FROM programs_sessionfeedback f
    JOIN (SELECT id, mentorship_id, {_SESSION_MONTH} AS mi FROM programs_mentoringsession
          WHERE status = 'held' AND starts_at < %(now)s AND {_IN_MONTHS}) s ON s.id = f.session_id
    JOIN programs_mentorship ms ON ms.id = s.mentorship_id
    JOIN tenancy_membership mb ON mb.id = f.author_id AND mb.organization_id = %(org)s
    GROUP BY GROUPING SETS ((ms.cohort_id, COALESCE(mb.department_id, -1), s.mi),
                            (ms.cohort_id, COALESCE(mb.department_id, -1), f.author_id, s.mi / 12))
),
raters AS (  -- the people who answered, and who answered the pairing-fit question, per cell: a sum per month bit
    SELECT y.cohort_id, y.department_id, y.year * 12 + b.position::int - 1 AS mi, b.raters, b.fit_people
    FROM (SELECT cohort_id, department_id, year,
                 ARRAY[{_bit_sums("answered_bits")}] AS answered,
                 ARRAY[{_bit_sums("fit_bits")}] AS fit
          FROM feedback WHERE per_cell = 0 GROUP BY cohort_id, department_id, year) y
    CROSS JOIN LATERAL unnest(y.answered, y.fit) WITH ORDINALITY b(raters, fit_people, position)
    WHERE b.raters > 0
)
SELECT v.metric, 'cohort' AS scope_type, f.cohort_id AS scope_id, f.department_id, {_period("f.mi")} AS period,
       v.dimension, v.numerator::numeric, v.denominator::numeric, v.group_size::int, NULL::jsonb AS extra
FROM (SELECT * FROM feedback WHERE per_cell = 1) f
LEFT JOIN raters q ON q.cohort_id = f.cohort_id AND q.department_id = f.department_id AND q.mi = f.mi
CROSS JOIN LATERAL (VALUES
    ('satisfaction', '', f.ratings, f.answers, COALESCE(q.raters, 0)),
    ('pairing_fit', 'fit=good', f.fit_good, f.fit_answers, COALESCE(q.fit_people, 0)),
    ('pairing_fit', 'fit=unsure', f.fit_unsure, f.fit_answers, COALESCE(q.fit_people, 0)),
    ('pairing_fit', 'fit=not_good', f.fit_not_good, f.fit_answers, COALESCE(q.fit_people, 0))
) v(metric, dimension, numerator, denominator, group_size)
WHERE v.denominator > 0
"""

# To date = the sums over every stored month (recomputed or not); group size: the most people in any month.
SESSIONS_TO_DATE = """
SELECT snap.metric, 'cohort' AS scope_type, snap.scope_id, snap.department_id, 'to-date' AS period, snap.dimension,
       sum(snap.numerator)::numeric, sum(snap.denominator)::numeric, max(snap.group_size)::int, NULL::jsonb
FROM analytics_metricsnapshot snap
JOIN programs_cohort co ON co.id = snap.scope_id
WHERE snap.scope_type = 'cohort' AND snap.department_id <> 0 AND snap.metric = ANY(%(metrics)s)
  AND snap.period <> 'to-date'
GROUP BY snap.metric, snap.scope_id, snap.department_id, snap.dimension
"""


# --- Family "matches": participants, enrollment, match rate, stages, goals, cross-department, heatmap, at risk ---

# An enrollment (application `ap`) that a mentorship (as mentor or mentee) or a goal of the cohorts refers to.
_REFERENCED_ENROLLMENT = "(%(cohorts)s::bigint[] IS NULL OR ap.id IN (SELECT id FROM referenced))"

MATCHES = f"""
WITH {_COHORTS},
-- Enrollments with their person's department, each read once: all of them (the mentor of a match, the mentee of a
-- goal) and the accepted ones (participants, the mentee of a match), instead of one application x membership join
-- per step. The accepted ones are filtered here, on the table: the planner cannot estimate a filter on a CTE. A run
-- of some cohorts reads only the enrollments their mentorships and goals refer to.
referenced AS MATERIALIZED (  -- read only by a run of some cohorts
    SELECT ms.mentor_id AS id FROM programs_mentorship ms WHERE ms.cohort_id = ANY(%(cohorts)s)
    UNION
    SELECT mm.mentee_id FROM programs_mentorshipmentee mm JOIN programs_mentorship ms ON ms.id = mm.mentorship_id
    WHERE ms.cohort_id = ANY(%(cohorts)s)
    UNION
    SELECT g.mentee_id FROM programs_goal g JOIN programs_mentorship ms ON ms.id = g.mentorship_id
    WHERE ms.cohort_id = ANY(%(cohorts)s)
),
enrollments AS MATERIALIZED (
    SELECT ap.id, COALESCE(mb.department_id, -1) AS department_id
    FROM programs_application ap
    JOIN tenancy_membership mb ON mb.id = ap.membership_id AND mb.organization_id = %(org)s
    WHERE {_REFERENCED_ENROLLMENT}
),
accepted AS MATERIALIZED (
    SELECT ap.id, COALESCE(mb.department_id, -1) AS department_id
    FROM programs_application ap
    JOIN tenancy_membership mb ON mb.id = ap.membership_id AND mb.organization_id = %(org)s
    WHERE ap.status = 'accepted' AND {_REFERENCED_ENROLLMENT}
),
participants AS (  -- accepted enrollments in a mentorship of the cohorts, as its mentor or one of its mentees
    SELECT ms.cohort_id, ap.department_id, x.application_id
    FROM (SELECT id AS mentorship_id, mentor_id AS application_id FROM programs_mentorship
          UNION ALL
          SELECT mentorship_id, mentee_id FROM programs_mentorshipmentee) x
    JOIN programs_mentorship ms ON ms.id = x.mentorship_id
    JOIN cohorts co ON co.id = ms.cohort_id
    JOIN accepted ap ON ap.id = x.application_id
),
mentees AS (
    SELECT ap.id AS application_id, ap.cohort_id, COALESCE(mb.department_id, -1) AS department_id
    FROM programs_application ap
    JOIN cohorts co ON co.id = ap.cohort_id
    JOIN tenancy_membership mb ON mb.id = ap.membership_id AND mb.organization_id = %(org)s
    WHERE ap.role = 'mentee' AND ap.status = 'accepted'
),
matches AS MATERIALIZED (
    SELECT mm.mentee_id, ms.id AS mentorship_id, ms.mentor_id, ms.cohort_id, ms.status = 'active' AS active,
           ms.created_at, me.department_id, mr.department_id AS mentor_department, co.program_id, co.cadence,
           co.starts_on, co.ends_on
    FROM programs_mentorshipmentee mm
    JOIN programs_mentorship ms ON ms.id = mm.mentorship_id
    JOIN cohorts co ON co.id = ms.cohort_id
    JOIN accepted me ON me.id = mm.mentee_id
    JOIN enrollments mr ON mr.id = ms.mentor_id
),
held AS (
    SELECT s.mentorship_id, max(s.starts_at) AS last_held, max(st.position) AS top_stage
    FROM programs_mentoringsession s
    LEFT JOIN programs_sessionstage st ON st.id = s.stage_id
    WHERE s.status = 'held' AND s.starts_at < %(now)s
      AND (%(cohorts)s::bigint[] IS NULL
           OR s.mentorship_id IN (SELECT id FROM programs_mentorship WHERE cohort_id = ANY(%(cohorts)s)))
    GROUP BY s.mentorship_id
),
match_rows AS (
    SELECT m.*, h.last_held, COALESCE(h.top_stage, 0) AS top_stage,
           m.active AND m.starts_on <= (%(now)s AT TIME ZONE 'UTC')::date
               AND m.ends_on >= (%(now)s AT TIME ZONE 'UTC')::date AS running,
           COALESCE(h.last_held, GREATEST(m.created_at, m.starts_on::timestamp AT TIME ZONE 'UTC'))
               < %(now)s - make_interval(secs => 2 * 30 * 86400.0 / m.cadence) AS quiet
    FROM matches m LEFT JOIN held h ON h.mentorship_id = m.mentorship_id
),
matched AS (SELECT DISTINCT mentee_id FROM matches),
goal_cells AS (
    SELECT ms.cohort_id, ap.department_id,
           count(*) FILTER (WHERE g.status = 'achieved') AS achieved, count(*) AS goals,
           count(DISTINCT g.mentee_id) AS mentees
    FROM programs_goal g
    JOIN programs_mentorship ms ON ms.id = g.mentorship_id
    JOIN cohorts co ON co.id = ms.cohort_id
    JOIN enrollments ap ON ap.id = g.mentee_id
    WHERE g.status <> 'dropped'
    GROUP BY ms.cohort_id, ap.department_id
),
stages AS (SELECT DISTINCT program_id, position FROM programs_sessionstage),
cells(metric, cohort_id, department_id, dimension, numerator, denominator, group_size) AS (
SELECT 'participants', cohort_id, department_id, '', count(DISTINCT application_id), NULL::bigint,
       count(DISTINCT application_id)
FROM participants GROUP BY cohort_id, department_id
UNION ALL
-- enrollment: accepted mentees / seats, per cohort (no departments)
SELECT 'enrollment_rate', co.id, 0, '', count(me.application_id), co.capacity, count(me.application_id)
FROM cohorts co LEFT JOIN mentees me ON me.cohort_id = co.id GROUP BY co.id, co.capacity
UNION ALL
SELECT 'match_rate', me.cohort_id, me.department_id, '', count(x.mentee_id), count(*), count(*)
FROM mentees me LEFT JOIN matched x ON x.mentee_id = me.application_id GROUP BY me.cohort_id, me.department_id
UNION ALL
SELECT 'cross_department_share', cohort_id, department_id, '',
       count(*) FILTER (WHERE department_id <> mentor_department AND department_id <> -1 AND mentor_department <> -1),
       count(*), count(DISTINCT mentee_id)
FROM match_rows GROUP BY cohort_id, department_id
UNION ALL
SELECT 'stage_progression', m.cohort_id, m.department_id, 'stage=' || st.position,
       count(*) FILTER (WHERE m.top_stage >= st.position), count(*), count(DISTINCT m.mentee_id)
FROM match_rows m JOIN stages st ON st.program_id = m.program_id
GROUP BY m.cohort_id, m.department_id, st.position
UNION ALL
SELECT 'at_risk_share', cohort_id, department_id, '', count(*) FILTER (WHERE quiet), count(*),
       count(DISTINCT mentee_id)
FROM match_rows WHERE running GROUP BY cohort_id, department_id
UNION ALL
SELECT 'goal_completion', cohort_id, department_id, '', achieved, goals, mentees FROM goal_cells
UNION ALL
-- the heatmap of active matches: one cell per mentor department x mentee department, and their total ('')
SELECT 'collaboration_pairs', cohort_id, 0,
       CASE WHEN GROUPING(mentor_department) = 0
            THEN 'mentor_department=' || mentor_department || ';mentee_department=' || department_id ELSE '' END,
       count(*), NULL, count(DISTINCT mentee_id) + count(DISTINCT mentor_id)
FROM match_rows WHERE active
GROUP BY GROUPING SETS ((cohort_id, mentor_department, department_id), (cohort_id))
)
SELECT metric, 'cohort' AS scope_type, cohort_id AS scope_id, department_id, '{TO_DATE}' AS period, dimension,
       numerator::numeric, denominator::numeric, group_size::int, NULL::jsonb AS extra
FROM cells
"""


# --- Family "capability": capability growth and the collaboration pulse (paired before/after) ---


def _rater_sums(rater: str) -> str:
    """The sums of one rater's pairs (skills they rated at both phases) among `levels` rows: n, sum of the
    differences, of their squares, how many improved by a level or more, the sums before and after."""
    before, after = f"{rater}_before", f"{rater}_after"
    diff = f"({after} - {before})"
    return f"""count(*) FILTER (WHERE {after} IS NOT NULL AND {before} IS NOT NULL) AS {rater}_n,
           sum({diff}) AS {rater}_total, sum({diff} * {diff}) AS {rater}_squares,
           count(*) FILTER (WHERE {diff} >= 1) AS {rater}_improved,
           sum({before}) FILTER (WHERE {after} IS NOT NULL) AS {rater}_before_sum,
           sum({after}) FILTER (WHERE {before} IS NOT NULL) AS {rater}_after_sum"""


def _rater_means(rater: str) -> str:
    return ", ".join(
        f"{rater}_{total}::numeric / NULLIF({rater}_n, 0) AS {rater}_{name}"
        for total, name in (("total", "diff"), ("before_sum", "before"), ("after_sum", "after"))
    )


def _mentee_sums(rater: str) -> str:
    """The sums of one rater's observations (mentees with a mean difference) among `per_mentee` rows: both raters
    are summed in one pass (FILTER) and turned into a row each afterwards, rather than a row per mentee and rater."""
    diff, before, after = f"{rater}_diff", f"{rater}_before", f"{rater}_after"
    observed = f"FILTER (WHERE {diff} IS NOT NULL)"
    return f"""count(*) {observed} AS {rater}_n, sum({diff}) {observed} AS {rater}_total,
           sum({diff} * {diff}) {observed} AS {rater}_squares, count(*) FILTER (WHERE {diff} >= 1) AS {rater}_improved,
           sum({before}) {observed} AS {rater}_before_sum, sum({after}) {observed} AS {rater}_after_sum"""


# The sums of both raters, summed in one pass as self_* and mentor_* columns of `x`, as a row a rater.
_BY_RATER = """CROSS JOIN LATERAL (VALUES
        ('self', x.self_n, x.self_total, x.self_squares, x.self_improved, x.self_before_sum, x.self_after_sum),
        ('mentor', x.mentor_n, x.mentor_total, x.mentor_squares, x.mentor_improved, x.mentor_before_sum,
         x.mentor_after_sum)
    ) r(rater, n, total, squares, improved, before_sum, after_sum)"""

CAPABILITY = f"""
WITH {_COHORTS},
departments AS (  -- the department of each enrollment
    SELECT ap.id AS application_id, COALESCE(mb.department_id, -1) AS department_id
    FROM programs_application ap
    JOIN tenancy_membership mb ON mb.id = ap.membership_id AND mb.organization_id = %(org)s
),
levels AS MATERIALIZED (  -- one row per mentee and skill: the four ratings (self and mentor, baseline and final)
    SELECT l.*, d.department_id
    FROM (SELECT a.mentee_id, a.cohort_id, a.skill_id,
                 max(a.level) FILTER (WHERE a.phase = 'baseline' AND a.rater = 'self') AS self_before,
                 max(a.level) FILTER (WHERE a.phase = 'final' AND a.rater = 'self') AS self_after,
                 max(a.level) FILTER (WHERE a.phase = 'baseline' AND a.rater = 'mentor') AS mentor_before,
                 max(a.level) FILTER (WHERE a.phase = 'final' AND a.rater = 'mentor') AS mentor_after
          FROM programs_capabilityassessment a
          WHERE a.phase IN ('baseline', 'final') AND {in_cohorts("a.cohort_id")}
          GROUP BY a.mentee_id, a.cohort_id, a.skill_id) l
    JOIN departments d ON d.application_id = l.mentee_id
),
-- A rater's pair is a skill rated by them at both phases. Both raters are summed in one pass (FILTER), then
-- turned into one row each: (n, sum of differences, sum of squares, improved by a level, before and after sums).
per_skill AS (
    SELECT cohort_id, department_id, skill_id, {_rater_sums("self")}, {_rater_sums("mentor")}
    FROM levels GROUP BY cohort_id, department_id, skill_id
),
per_mentee AS (  -- each mentee's mean over the skills rated at both phases: one observation per mentee and rater
    SELECT cohort_id, department_id, {_rater_means("self")}, {_rater_means("mentor")}
    FROM (SELECT mentee_id, cohort_id, department_id, {_rater_sums("self")}, {_rater_sums("mentor")}
          FROM levels GROUP BY mentee_id, cohort_id, department_id) m
),
pulses AS (
    SELECT p.application_id, p.cohort_id,
           max(p.cross_department_colleagues) FILTER (WHERE p.phase = 'start') AS colleagues_before,
           max(p.cross_department_colleagues) FILTER (WHERE p.phase = 'end') AS colleagues_after,
           max(p.trust_other_departments) FILTER (WHERE p.phase = 'start') AS trust_before,
           max(p.trust_other_departments) FILTER (WHERE p.phase = 'end') AS trust_after
    FROM programs_pulsesurvey p
    WHERE {in_cohorts("p.cohort_id")}
    GROUP BY p.application_id, p.cohort_id
),
pulse_paired AS (
    SELECT q.cohort_id, d.department_id, v.question, v.before, v.after, v.after - v.before AS diff
    FROM pulses q
    JOIN departments d ON d.application_id = q.application_id
    CROSS JOIN LATERAL (VALUES ('colleagues', q.colleagues_before, q.colleagues_after),
                               ('trust', q.trust_before, q.trust_after)) v(question, before, after)
    WHERE v.before IS NOT NULL AND v.after IS NOT NULL
),
cells AS (
    SELECT 'capability_growth' AS metric, x.cohort_id, x.department_id,
           'rater=' || r.rater || ';skill=' || x.skill_id AS dimension, r.n, r.total, r.squares, r.improved,
           r.before_sum, r.after_sum
    FROM per_skill x
    {_BY_RATER}
    WHERE r.n > 0
    UNION ALL
    SELECT 'capability_growth', x.cohort_id, x.department_id, 'rater=' || r.rater, r.n, r.total, r.squares,
           r.improved, r.before_sum, r.after_sum
    FROM (SELECT cohort_id, department_id, {_mentee_sums("self")}, {_mentee_sums("mentor")}
          FROM per_mentee GROUP BY cohort_id, department_id) x
    {_BY_RATER}
    WHERE r.n > 0
    UNION ALL
    SELECT 'pulse_change', cohort_id, department_id, 'question=' || question, count(*), sum(diff), sum(diff * diff),
           count(*) FILTER (WHERE diff >= 1), sum(before), sum(after)
    FROM pulse_paired GROUP BY cohort_id, department_id, question
)
SELECT metric, 'cohort' AS scope_type, cohort_id AS scope_id, department_id, '{TO_DATE}' AS period, dimension,
       total::numeric AS numerator, n::numeric AS denominator, n::int AS group_size,
       jsonb_build_object('sum_sq', squares::numeric, 'improved', improved, 'before_sum', before_sum::numeric,
                          'after_sum', after_sum::numeric) AS extra
FROM cells
"""


# --- Family "reach": organization and department rows, straight from the memberships ---

REACH = f"""
WITH members AS (
    SELECT mb.id, COALESCE(mb.department_id, -1) AS department_id
    FROM tenancy_membership mb WHERE mb.organization_id = %(org)s AND mb.is_active
),
enrolled AS (
    SELECT DISTINCT ap.membership_id
    FROM programs_application ap JOIN programs_cohort co ON co.id = ap.cohort_id
    WHERE ap.status = 'accepted' AND co.starts_on <= (%(now)s AT TIME ZONE 'UTC')::date
)
SELECT 'reach_rate' AS metric, 'organization' AS scope_type, 0::bigint AS scope_id,
       CASE WHEN GROUPING(m.department_id) = 0 THEN m.department_id ELSE 0 END AS department_id,
       '{TO_DATE}' AS period, '' AS dimension, count(e.membership_id)::numeric, count(*)::numeric, count(*)::int,
       NULL::jsonb
FROM members m LEFT JOIN enrolled e ON e.membership_id = m.id
GROUP BY GROUPING SETS ((), (m.department_id))
"""


# --- Roll-up of stored base rows to the program, organization, department and cohort-total rows ---


def rollup(period: str) -> str:
    sums = ", ".join(f"'{name}', sum((snap.extra->>'{name}')::numeric)" for name in PAIRED_SUMS)
    return f"""
SELECT snap.metric,
       CASE WHEN GROUPING(snap.scope_id) = 0 THEN 'cohort'
            WHEN GROUPING(co.program_id) = 0 THEN 'program' ELSE 'organization' END AS scope_type,
       CASE WHEN GROUPING(snap.scope_id) = 0 THEN snap.scope_id
            WHEN GROUPING(co.program_id) = 0 THEN co.program_id ELSE 0 END AS scope_id,
       CASE WHEN GROUPING(snap.department_id) = 0 THEN snap.department_id ELSE 0 END AS department_id,
       snap.period, snap.dimension, sum(snap.numerator)::numeric, sum(snap.denominator)::numeric,
       sum(snap.group_size)::int,
       CASE WHEN snap.metric = ANY(%(paired_metrics)s) THEN jsonb_build_object({sums}) END
FROM analytics_metricsnapshot snap
JOIN programs_cohort co ON co.id = snap.scope_id
WHERE snap.metric = ANY(%(metrics)s) AND {period} AND {IS_BASE}
GROUP BY snap.metric, snap.period, snap.dimension,
         GROUPING SETS ((snap.scope_id), (co.program_id), (), (snap.department_id), (co.program_id, snap.department_id))
HAVING snap.metric = ANY(%(department_metrics)s) OR (GROUPING(snap.scope_id) = 1 AND GROUPING(snap.department_id) = 1)
"""


# --- Derived figures ---


def attendance_gap(period: str) -> str:
    """Highest - lowest participation rate among the departments (not "No department") with at least the minimum
    group size of active participants, per scope and period; at least two departments."""
    return f"""
SELECT 'attendance_gap' AS metric, ranked.scope_type, ranked.scope_id, 0 AS department_id, ranked.period,
       '' AS dimension, max(ranked.value)::numeric, min(ranked.value)::numeric, sum(ranked.group_size)::int,
       jsonb_build_object(
           'highest_department', max(ranked.department_id) FILTER (WHERE ranked.top = 1),
           'highest_rate', max(ranked.value),
           'lowest_department', max(ranked.department_id) FILTER (WHERE ranked.bottom = 1),
           'lowest_rate', min(ranked.value),
           'departments', count(*))
FROM (
    SELECT snap.scope_type, snap.scope_id, snap.period, snap.department_id, snap.value::numeric AS value,
           snap.group_size,
           row_number() OVER (PARTITION BY snap.scope_type, snap.scope_id, snap.period
                              ORDER BY snap.value DESC, snap.department_id) AS top,
           row_number() OVER (PARTITION BY snap.scope_type, snap.scope_id, snap.period
                              ORDER BY snap.value, snap.department_id) AS bottom
    FROM analytics_metricsnapshot snap
    WHERE snap.metric = 'participation_rate' AND snap.dimension = '' AND snap.department_id > 0
      AND snap.group_size >= %(k)s AND {period}
) ranked
GROUP BY ranked.scope_type, ranked.scope_id, ranked.period
HAVING count(*) >= 2
"""


NETWORK_DENSITY = f"""
WITH cells AS (
    SELECT snap.scope_type, snap.scope_id,
           split_part(split_part(snap.dimension, ';', 1), '=', 2)::bigint AS a,
           split_part(split_part(snap.dimension, ';', 2), '=', 2)::bigint AS b
    FROM analytics_metricsnapshot snap
    WHERE snap.metric = 'collaboration_pairs' AND snap.period = '{TO_DATE}' AND snap.dimension <> ''
      AND snap.department_id = 0 AND snap.numerator > 0
),
departments AS (
    SELECT scope_type, scope_id, count(DISTINCT d) AS k
    FROM (SELECT scope_type, scope_id, a AS d FROM cells UNION ALL SELECT scope_type, scope_id, b FROM cells) x
    WHERE d > 0 GROUP BY scope_type, scope_id
),
edges AS (
    SELECT scope_type, scope_id, count(DISTINCT (LEAST(a, b), GREATEST(a, b))) AS linked
    FROM cells WHERE a > 0 AND b > 0 AND a <> b GROUP BY scope_type, scope_id
)
SELECT 'network_density' AS metric, d.scope_type, d.scope_id, 0 AS department_id, '{TO_DATE}' AS period,
       '' AS dimension, COALESCE(e.linked, 0)::numeric, (d.k * (d.k - 1) / 2)::numeric, total.group_size,
       jsonb_build_object('departments', d.k)
FROM departments d
JOIN analytics_metricsnapshot total ON total.metric = 'collaboration_pairs' AND total.period = '{TO_DATE}'
     AND total.dimension = '' AND total.department_id = 0 AND total.scope_type = d.scope_type
     AND total.scope_id = d.scope_id
LEFT JOIN edges e ON e.scope_type = d.scope_type AND e.scope_id = d.scope_id
WHERE d.k >= 2
"""
