"""Suppression of figures about small groups, so that no figure lets anyone read about fewer people than the
organization's minimum group size (Organization.min_group_size, default 5).

* **Primary**: a figure whose group size (the people behind it) is at least 1 and below the minimum is suppressed
  (`small_group`). A figure about nobody (size 0) is empty, not a secret.
* **Complementary**: when a breakdown adds up to a total that is shown, hiding one cell is not enough, since
  total - the other cells gives it back. So whenever the hidden cells of a breakdown are a single cell or together
  still fewer people than the minimum, the smallest visible cell is hidden too (`complementary`), until neither holds.

The breakdowns (partitions) of the snapshot rows: the departments of a scope add up to the scope (department -1,
"No department", is one of them); the programs add up to the organization and the cohorts of a program to the
program, for the whole and for each department; and the cells of a metric whose dimension adds up
(`Metric.dimension_partition`) add up to its "" figure. Breakdowns interlock (a cell of a cohort x department is in
two), so the rule is applied until nothing changes.

The nightly computation stores the outcome in `MetricSnapshot.suppression` (`suppress_snapshot_rows`); selectors
return suppressed figures without their numbers. `suppress_breakdown` is the same rule for a single table built on
the fly (a table whose total is shown beside it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from django.db import connection

from analytics.definitions import METRICS

SMALL_GROUP, COMPLEMENTARY = "small_group", "complementary"

REASONS = {
    SMALL_GROUP: "Fewer people than the organization's minimum group size.",
    COMPLEMENTARY: "Hidden so that a smaller group cannot be worked out by subtraction.",
    "pending": "The minimum group size changed; this figure is shown again after the next computation.",
    "no_data": "No data for this scope and period yet.",
}


def is_small(group_size: int | None, min_size: int) -> bool:
    return group_size is not None and 0 < group_size < min_size


def suppress(
    sizes: dict[Hashable, int], partitions: Iterable[tuple[Hashable, list[Hashable]]], min_size: int
) -> dict[Hashable, str]:
    """The suppressed cells among `sizes` (cell -> group size): {cell: SMALL_GROUP | COMPLEMENTARY}.

    `partitions` are (total cell, cells that add up to it); a partition whose total is absent or hidden leaks
    nothing by subtraction. Deterministic: ties go to the smaller cell key."""
    result = {cell: SMALL_GROUP for cell, size in sizes.items() if is_small(size, min_size)}
    partitions = [(total, [c for c in children if c in sizes]) for total, children in partitions if total in sizes]
    changed = True
    while changed:
        changed = False
        for total, children in partitions:
            if total in result:
                continue
            hidden = [cell for cell in children if cell in result]
            while hidden and (len(hidden) == 1 or sum(sizes[cell] for cell in hidden) < min_size):
                visible = sorted((sizes[cell], cell) for cell in children if cell not in result and sizes[cell] > 0)
                if not visible:
                    break
                pick = visible[0][1]
                result[pick] = COMPLEMENTARY
                hidden.append(pick)
                changed = True
    return result


def suppress_breakdown(sizes: dict[Hashable, int], min_size: int, *, total_shown: bool = True) -> dict[Hashable, str]:
    """One breakdown (cell -> group size) whose cells add up to a total; with `total_shown`, complementary
    suppression as well."""
    total = object()
    partitions = [(total, list(sizes))] if total_shown else []
    result = suppress({**sizes, total: sum(sizes.values())}, partitions, min_size)
    result.pop(total, None)
    return result


# --- The snapshot rows of the nightly computation ---


@dataclass(frozen=True, order=True)
class _Cell:
    scope_type: str
    scope_id: int
    department_id: int
    dimension: str


def snapshot_partitions(cells: Iterable[_Cell], programs: dict[int, int], *, dimension_partition: bool):
    """The partitions among the cells of one metric and period. `programs` maps cohort id -> program id."""
    present = set(cells)
    by_parent: dict[_Cell, list[_Cell]] = defaultdict(list)
    for cell in present:
        if cell.department_id != 0:
            by_parent[_Cell(cell.scope_type, cell.scope_id, 0, cell.dimension)].append(cell)
        if cell.scope_type == "program":
            by_parent[_Cell("organization", 0, cell.department_id, cell.dimension)].append(cell)
        elif cell.scope_type == "cohort" and cell.scope_id in programs:
            parent = _Cell("program", programs[cell.scope_id], cell.department_id, cell.dimension)
            by_parent[parent].append(cell)
        if dimension_partition and cell.dimension:
            by_parent[_Cell(cell.scope_type, cell.scope_id, cell.department_id, "")].append(cell)
    return [(parent, sorted(children)) for parent, children in sorted(by_parent.items())]


def suppress_snapshot_rows(*, metrics: list[str], period_condition: str, params: dict, min_size: int) -> int:
    """Revise the complementary suppression of the stored rows of `metrics` over the periods of
    `period_condition` (SQL over `snap`), after a computation wrote them; returns how many rows changed.

    Only the (metric, period) cubes that hold a small group or a complementary flag are read."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT snap.id, snap.metric, snap.period, snap.scope_type, snap.scope_id, snap.department_id,
                   snap.dimension, snap.group_size, snap.suppression, co.program_id
            FROM analytics_metricsnapshot snap
            LEFT JOIN programs_cohort co ON snap.scope_type = 'cohort' AND co.id = snap.scope_id
            WHERE snap.metric = ANY(%(metrics)s) AND {period_condition}
              AND (snap.metric, snap.period) IN (
                  SELECT snap.metric, snap.period FROM analytics_metricsnapshot snap
                  WHERE snap.metric = ANY(%(metrics)s) AND {period_condition}
                    AND (snap.group_size BETWEEN 1 AND %(k)s - 1 OR snap.suppression = 'complementary'))
            """,
            {**params, "metrics": metrics, "k": min_size},
        )
        rows = cursor.fetchall()
    cubes: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        cubes[(row[1], row[2])].append(row)
    changes: list[tuple[int, str]] = []
    for (metric, _period), cube in cubes.items():
        cells = {_Cell(r[3], r[4], r[5], r[6]): r for r in cube}
        programs = {r[4]: r[9] for r in cube if r[3] == "cohort" and r[9] is not None}
        partitions = snapshot_partitions(
            cells, programs, dimension_partition=METRICS[metric].dimension_partition if metric in METRICS else False
        )
        decided = suppress({cell: row[7] for cell, row in cells.items()}, partitions, min_size)
        for cell, row in cells.items():
            wanted = decided.get(cell, "")
            if wanted != row[8]:
                changes.append((row[0], wanted))
    if changes:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE analytics_metricsnapshot snap SET suppression = v.suppression "
                "FROM unnest(%s::bigint[], %s::text[]) v(id, suppression) WHERE snap.id = v.id",
                [[pk for pk, _ in changes], [value for _, value in changes]],
            )
    return len(changes)
