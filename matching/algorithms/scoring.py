"""Vectorised candidate generation and pair scoring for matching (numpy / scipy.sparse, no ORM, no loop over pairs).

Input is a `Cohort` of plain arrays (rows of the mentee arrays are mentees, rows of the mentor arrays are
mentors). `score_cohort` returns a `CandidateScores`: a CSR score matrix (mentees x mentors) ready for
`matching.algorithms.assign`, keeping at most ``top_k`` allowed mentors per mentee, plus every factor's weighted
contribution for each kept pair (`factor_breakdown`) and counts of the pairs each hard constraint removed.

Candidate generation. A pair is a candidate when the mentor can teach the mentee at least one level of a skill the
mentee wants. Mentors are indexed by offered skill *and level*: the mentee matrix gets one column per
(skill, level t) for every level t the mentee wants to reach (current < t <= current + gap), the mentor matrix one
column per (skill, level t) for every t <= the mentor's level. Their sparse product (computed for a block of
mentee rows at a time) yields only the pairs sharing a teachable skill, never the dense mentees x mentors matrix,
and its value is exactly the number of wanted levels the mentor covers: sum over skills of
min(gap, max(0, mentor level - current level)). A mentee who wants no skill therefore has no candidate
(``CandidateScores.allowed`` is 0, the reason to show). The top-K cut is exact: the K best allowed pairs by full
score, ties at the cut going to the lower mentor column. `evaluate_pairs` scores arbitrary pairs (hand-picks) and
names the rules each one breaks.

Factors (each in [0, 1]; the score is sum(weight[f] * factor[f]) and is > 0 for every kept pair):

* ``skills``: covered wanted levels / all wanted levels of the mentee (complementary skills, weighted by gap);
* ``themes``: share of the mentee's goal / theme tags that the mentor also has;
* ``cross_functional``: 1 when both departments are known and differ. Program mode ``"preferred"`` adds it as a
  bonus; ``"required"`` removes same-department pairs instead (a rule, so no bonus); ``"off"`` ignores it;
* ``seniority``: from the seniority gap (mentor - mentee) and the mentee's preference, see `SENIORITY_TABLE`;
* ``language``: 1 when the two share a language;
* ``time_zone``: overlap of two 8-hour working days: max(0, 8 - circular UTC offset difference) / 8
  (offsets rounded to 15 minutes).

Hard constraints (removed pairs, counted in ``CandidateScores.removed``):

* ``language``: both list languages and share none (a person with no languages listed is not constrained);
* ``cross_functional``: same known department, when the program requires cross-functional pairs;
* ``reporting_line``: the mentor is in the mentee's management chain (manager, manager's manager, ...) or the
  mentee is in the mentor's;
* ``excluded``: pairs an admin excluded;
* ``previous``: pairs that already met in an earlier cohort of the program (rotation).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

FACTORS = ("skills", "themes", "cross_functional", "seniority", "language", "time_zone")
CONSTRAINTS = ("language", "cross_functional", "reporting_line", "excluded", "previous")
CROSS_FUNCTIONAL_MODES = ("required", "preferred", "off")

DEFAULT_WEIGHTS = {
    "skills": 0.45,
    "themes": 0.15,
    "cross_functional": 0.15,
    "seniority": 0.1,
    "language": 0.05,
    "time_zone": 0.1,
}

# Seniority preference codes (Application.SeniorityPreference: any, more_senior, peer).
SENIORITY_ANY, SENIORITY_MORE_SENIOR, SENIORITY_PEER = 0, 1, 2
# Factor by preference (rows) and seniority gap = mentor - mentee, clipped to -2..3 (columns).
SENIORITY_GAPS = np.arange(-2, 4)
SENIORITY_TABLE = np.array(
    [
        # gap: -2    -1    0     1     2     3+
        [0.0, 0.0, 0.5, 1.0, 1.0, 0.75],  # any: a little more senior is best
        [0.0, 0.0, 0.0, 1.0, 1.0, 0.75],  # more senior
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0],  # peer
    ]
)
WORKING_HOURS = 8.0
_SENIORITY_FLAT = np.vstack([SENIORITY_TABLE, np.zeros(SENIORITY_GAPS.size)]).ravel()  # last row: unknown


def _time_zone_table() -> np.ndarray:
    """Overlap factor for every pair of UTC offsets in quarter hours (96 slots a day, slot 96 = unknown)."""
    slots = np.arange(96)
    diff = np.abs(slots[:, None] - slots[None, :]) / 4.0
    diff = np.minimum(diff, 24.0 - diff)
    table = np.zeros((97, 97))
    table[:96, :96] = np.clip((WORKING_HOURS - diff) / WORKING_HOURS, 0.0, 1.0)
    return table.ravel()


_TZ_SLOTS = 97
_TIME_ZONE_TABLE = _time_zone_table()


def _quarter_hours(offsets: np.ndarray) -> np.ndarray:
    """UTC offsets in hours -> slot 0..95 (rounded to 15 minutes, modulo a day); 96 when unknown (NaN)."""
    known = np.isfinite(offsets)
    slots = np.full(offsets.shape, 96, np.int64)
    slots[known] = np.rint(offsets[known] * 4).astype(np.int64) % 96
    return slots


_FLAG = {"reporting_line": 1, "excluded": 2, "previous": 4}

PairsLike = tuple[Sequence[int], Sequence[int]] | sp.spmatrix | sp.sparray | None


@dataclass
class Cohort:
    """The plain-array view of a cohort. Only the three skill matrices are required.

    * ``wanted_gap``: sparse mentees x skills, levels the mentee wants to gain (target - current, > 0);
    * ``mentee_levels``: sparse mentees x skills, current level of each wanted skill (missing entry = 0);
    * ``offered``: sparse mentors x skills, the level at which the mentor offers the skill;
    * ``*_department``: int department id, -1 when unknown;
    * ``*_languages`` / ``*_themes``: sparse boolean people x languages / goal-theme tags;
    * ``*_utc_offset``: hours (float, NaN when unknown); ``*_seniority``: int level, -1 when unknown;
    * ``mentee_seniority_preference``: SENIORITY_ANY / _MORE_SENIOR / _PEER per mentee;
    * ``*_person``: person id (e.g. membership pk) of each participant; ``*_ancestors``: sparse, row i lists the
      person ids (as column indices) of the participant's management chain (see `ancestor_matrix`);
    * ``excluded_pairs`` / ``previous_pairs``: (mentee rows, mentor columns) or a sparse mentees x mentors pattern.
    """

    wanted_gap: sp.spmatrix
    mentee_levels: sp.spmatrix
    offered: sp.spmatrix
    mentee_department: np.ndarray | None = None
    mentor_department: np.ndarray | None = None
    mentee_languages: sp.spmatrix | None = None
    mentor_languages: sp.spmatrix | None = None
    mentee_themes: sp.spmatrix | None = None
    mentor_themes: sp.spmatrix | None = None
    mentee_utc_offset: np.ndarray | None = None
    mentor_utc_offset: np.ndarray | None = None
    mentee_seniority: np.ndarray | None = None
    mentor_seniority: np.ndarray | None = None
    mentee_seniority_preference: np.ndarray | None = None
    mentee_person: np.ndarray | None = None
    mentor_person: np.ndarray | None = None
    mentee_ancestors: sp.spmatrix | None = None
    mentor_ancestors: sp.spmatrix | None = None
    excluded_pairs: PairsLike = None
    previous_pairs: PairsLike = None

    @property
    def n_mentees(self) -> int:
        return self.wanted_gap.shape[0]

    @property
    def n_mentors(self) -> int:
        return self.offered.shape[0]


@dataclass
class CandidateScores:
    """Top-K allowed candidates per mentee with their scores and factor contributions.

    ``contributions[f]`` is aligned with ``scores.data`` (same CSR pattern) and holds weight[f] * factor[f];
    the contributions of a pair sum to its score. ``allowed`` counts each mentee's allowed candidates before the
    top-K cut (0 means no allowed mentor at all); ``removed`` counts candidate pairs (sharing a teachable skill)
    each hard constraint removed, ``candidate_pairs`` all pairs sharing a teachable skill.
    """

    scores: sp.csr_matrix
    contributions: dict[str, np.ndarray]
    weights: dict[str, float]
    cross_functional: str
    allowed: np.ndarray
    removed: dict[str, int] = field(default_factory=dict)
    candidate_pairs: int = 0

    def factor_breakdown(self, rows, cols) -> dict[str, np.ndarray]:
        """Weighted contribution of every factor for the given pairs (plus ``"score"``), as arrays.

        ValueError if a pair is not among the kept candidates (use `evaluate_pairs` for arbitrary pairs).
        """
        positions = _positions(self.scores, rows, cols)
        out = {name: values[positions] for name, values in self.contributions.items()}
        out["score"] = self.scores.data[positions]
        return out


@dataclass
class PairEvaluation:
    """Factors and rule violations for arbitrary pairs (for hand-picked pairs and warnings)."""

    score: np.ndarray
    contributions: dict[str, np.ndarray]
    violations: dict[str, np.ndarray]  # constraint name -> bool per pair

    @property
    def allowed(self) -> np.ndarray:
        allowed = self.score > 0
        for broken in self.violations.values():
            allowed &= ~broken
        return allowed


# --------------------------------------------------------------------------------------------------------------
# Public helpers


def ancestor_matrix(participants, person_ids, manager_ids, max_depth: int = 64) -> sp.csr_matrix:
    """Management chain of each participant from a flat person -> manager table, vectorised by pointer jumping.

    ``person_ids`` / ``manager_ids`` describe everyone in the organization (manager -1 or not found = none);
    ``participants`` are person ids. Row i of the result has a 1 at column p for each person p above participant
    i (manager, manager's manager, ...). Cycles in bad data stop at ``max_depth``.
    """
    person_ids = np.asarray(person_ids, dtype=np.int64)
    manager_ids = np.asarray(manager_ids, dtype=np.int64)
    participants = np.asarray(participants, dtype=np.int64)
    width = int(max(person_ids.max(initial=-1), manager_ids.max(initial=-1), participants.max(initial=-1))) + 1
    order = np.argsort(person_ids, kind="stable")
    sorted_ids = person_ids[order]

    def manager_of(people: np.ndarray) -> np.ndarray:
        if sorted_ids.size == 0:
            return np.full(people.shape, -1, np.int64)
        pos = np.clip(np.searchsorted(sorted_ids, people), 0, sorted_ids.size - 1)
        found = (sorted_ids[pos] == people) & (people >= 0)
        return np.where(found, manager_ids[order[pos]], -1)

    rows, cols = [], []
    current = participants.copy()
    index = np.arange(participants.size)
    for _ in range(max_depth):
        current = manager_of(current)
        keep = current >= 0
        if not keep.any():
            break
        index, current = index[keep], current[keep]
        rows.append(index)
        cols.append(current)
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
    else:
        r = c = np.zeros(0, np.int64)
    matrix = sp.csr_matrix((np.ones(r.size, np.int8), (r, c)), shape=(participants.size, width))
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix


def resolve_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """DEFAULT_WEIGHTS updated with ``weights``; ValueError on an unknown factor or a negative / non-finite weight."""
    resolved = dict(DEFAULT_WEIGHTS)
    for name, value in (weights or {}).items():
        if name not in FACTORS:
            raise ValueError(f"unknown factor {name!r}; expected one of {', '.join(FACTORS)}")
        value = float(value)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"weight of {name!r} must be a finite number >= 0")
        resolved[name] = value
    return resolved


def score_cohort(
    cohort: Cohort,
    weights: dict[str, float] | None = None,
    cross_functional: str = "required",
    top_k: int = 50,
    block_rows: int | None = None,
    workers: int | None = None,
) -> CandidateScores:
    """Score all allowed pairs sharing a teachable skill and keep the ``top_k`` best mentors per mentee.

    Work is done per block of mentee rows (``block_rows``, default chosen so a block holds about 2M candidate
    pairs), in ``workers`` threads (default: up to 2; numpy and scipy release the GIL in the heavy kernels).
    Memory is bounded by the blocks and the kept K pairs per mentee, never by mentees x mentors.
    """
    if top_k < 1:
        raise ValueError("top_k must be >= 1")
    prep = _Prepared(cohort, weights, cross_functional)
    n, m = prep.n, prep.m
    empty = CandidateScores(
        scores=sp.csr_matrix((n, m)),
        contributions={name: np.zeros(0) for name in FACTORS},
        weights=prep.weights,
        cross_functional=cross_functional,
        allowed=np.zeros(n, np.int64),
        removed=dict.fromkeys(CONSTRAINTS, 0),
    )
    if n == 0 or m == 0 or prep.wanted_levels.nnz == 0 or prep.offered_levels_t.nnz == 0:
        return empty

    if block_rows is None:
        block_rows = prep.default_block_rows()
    bounds = [(start, min(start + block_rows, n)) for start in range(0, n, block_rows)]
    workers = workers or min(2, os.cpu_count() or 1)

    def run(bound):
        return prep.score_block(bound[0], bound[1], top_k)

    if workers > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            blocks = list(pool.map(run, bounds))
    else:
        blocks = [run(bound) for bound in bounds]

    rows = np.concatenate([b["rows"] for b in blocks])
    cols = np.concatenate([b["cols"] for b in blocks])
    score = np.concatenate([b["score"] for b in blocks])
    contributions = {name: np.concatenate([b["contrib"][name] for b in blocks]) for name in FACTORS}
    removed = {name: int(sum(b["removed"][name] for b in blocks)) for name in CONSTRAINTS}
    allowed = np.concatenate([b["allowed"] for b in blocks])
    candidate_pairs = int(sum(b["candidates"] for b in blocks))

    # Blocks come in row order and keep (row, column) order inside, so this is already a canonical CSR whose data
    # stays aligned with the contribution arrays.
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    scores = sp.csr_matrix((score, cols.astype(np.int32), indptr), shape=(n, m))
    scores.has_sorted_indices = True
    return CandidateScores(
        scores=scores,
        contributions=contributions,
        weights=prep.weights,
        cross_functional=cross_functional,
        allowed=allowed,
        removed=removed,
        candidate_pairs=candidate_pairs,
    )


def evaluate_pairs(
    cohort: Cohort, rows, cols, weights: dict[str, float] | None = None, cross_functional: str = "required"
) -> PairEvaluation:
    """Score arbitrary (mentee row, mentor column) pairs and report which hard constraints each one breaks.

    The same factor definitions as `score_cohort`, without the candidate filter or the top-K cut, so a
    hand-picked pair gets its breakdown and a warning when it breaks a rule.
    """
    prep = _Prepared(cohort, weights, cross_functional)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError("rows and cols must be 1-D arrays of the same length")
    if rows.size and (rows.min() < 0 or rows.max() >= prep.n or cols.min() < 0 or cols.max() >= prep.m):
        raise ValueError("pair index out of range")
    if rows.size:
        wanted = prep.wanted_levels[rows]
        offered = prep.offered_levels_t.T.tocsr()[cols]
        skills = np.asarray(wanted.multiply(offered).sum(axis=1)).ravel()
    else:
        skills = np.zeros(0)
    flags = prep.forbidden_flags(rows, cols)
    violations = {
        "language": prep.language_violation(rows, cols),
        "cross_functional": prep.cross_functional_violation(rows, cols),
        "reporting_line": (flags & _FLAG["reporting_line"]) > 0,
        "excluded": (flags & _FLAG["excluded"]) > 0,
        "previous": (flags & _FLAG["previous"]) > 0,
    }
    score, contributions = prep.pair_terms(rows, cols, skills)
    return PairEvaluation(score=score, contributions=contributions, violations=violations)


# --------------------------------------------------------------------------------------------------------------
# Internals


def _positions(matrix: sp.csr_matrix, rows, cols) -> np.ndarray:
    """Index into matrix.data of each (row, col); ValueError if a pair is not stored. Needs sorted indices."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    n, m = matrix.shape
    if rows.size and (rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= m):
        raise ValueError("pair index out of range")
    stored_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(matrix.indptr))
    keys = stored_rows * m + matrix.indices
    wanted = rows * m + cols
    pos = np.searchsorted(keys, wanted)
    pos = np.clip(pos, 0, max(keys.size - 1, 0))
    if keys.size == 0 or np.any(keys[pos] != wanted):
        raise ValueError("a pair is not among the scored candidates")
    return pos


def _as_csr(matrix, shape_rows: int, name: str) -> sp.csr_matrix:
    if not sp.issparse(matrix):
        raise ValueError(f"{name} must be a scipy.sparse matrix")
    matrix = sp.csr_matrix(matrix)
    if matrix.shape[0] != shape_rows:
        raise ValueError(f"{name} has {matrix.shape[0]} rows, expected {shape_rows}")
    return matrix


def _vector(values, size: int, name: str, fill, dtype) -> np.ndarray:
    if values is None:
        return np.full(size, fill, dtype=dtype)
    values = np.asarray(values, dtype=dtype)
    if values.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {values.shape}")
    return values


def _bitsets(matrix, rows: int, width: int, name: str) -> np.ndarray:
    """Sparse boolean people x tags -> (people, words) uint64 bit sets (one bit per tag)."""
    words = max(1, -(-width // 64))
    out = np.zeros((rows, words), np.uint64)
    if matrix is None:
        return out
    coo = _as_csr(matrix, rows, name).tocoo()
    keep = coo.data != 0
    r, c = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
    np.bitwise_or.at(out, (r, c // 64), np.left_shift(np.uint64(1), (c % 64).astype(np.uint64)))
    return out


def _pairs_keys(pairs: PairsLike, n: int, m: int, name: str) -> np.ndarray:
    if pairs is None:
        return np.zeros(0, np.int64)
    if sp.issparse(pairs):
        coo = sp.coo_matrix(pairs)
        if coo.shape != (n, m):
            raise ValueError(f"{name} must have shape ({n}, {m})")
        r, c = coo.row[coo.data != 0], coo.col[coo.data != 0]
    else:
        r, c = (np.asarray(x, dtype=np.int64) for x in pairs)
    r = np.asarray(r, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    if r.shape != c.shape:
        raise ValueError(f"{name}: rows and columns differ in length")
    if r.size and (r.min() < 0 or r.max() >= n or c.min() < 0 or c.max() >= m):
        raise ValueError(f"{name}: pair index out of range")
    return r * m + c


def _level_expand(values: sp.csr_matrix, base: sp.csr_matrix | None, n_skills: int, max_level: int) -> sp.csr_matrix:
    """One column per (skill, level t). Mentees (base = current levels): t in (current, current + gap], value 1.
    Mentors (base None): t in [1, level]. Column index = (t - 1) * n_skills + skill."""
    coo = values.tocoo()
    keep = coo.data > 0
    r, s = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
    amount = np.rint(coo.data[keep]).astype(np.int64)
    if base is None:
        start = np.zeros_like(amount)
    else:
        start = np.asarray(base[r, s]).ravel().astype(np.int64) if r.size else np.zeros(0, np.int64)
    stop = np.minimum(start + amount, max_level)
    count = np.maximum(stop - start, 0)
    rep_r, rep_s = np.repeat(r, count), np.repeat(s, count)
    # level t = start + 1 + offset inside each entry's run
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    level = np.repeat(start, count) + 1 + offsets
    cols = (level - 1) * n_skills + rep_s
    out = sp.csr_matrix(
        (np.ones(rep_r.size), (rep_r, cols)), shape=(values.shape[0], max_level * n_skills), dtype=np.float64
    )
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


class _Prepared:
    """Validated, pair-friendly arrays shared by the block scorer and `evaluate_pairs`."""

    def __init__(self, cohort: Cohort, weights, cross_functional: str):
        if cross_functional not in CROSS_FUNCTIONAL_MODES:
            expected = ", ".join(CROSS_FUNCTIONAL_MODES)
            raise ValueError(f"unknown cross_functional mode {cross_functional!r}; expected one of {expected}")
        self.weights = resolve_weights(weights)
        self.cross_functional = cross_functional
        wanted = _as_csr(cohort.wanted_gap, cohort.wanted_gap.shape[0], "wanted_gap")
        n, n_skills = wanted.shape
        levels = _as_csr(cohort.mentee_levels, n, "mentee_levels")
        offered = _as_csr(cohort.offered, cohort.offered.shape[0], "offered")
        m = offered.shape[0]
        if levels.shape[1] != n_skills or offered.shape[1] != n_skills:
            raise ValueError("wanted_gap, mentee_levels and offered must have the same number of skill columns")
        for name, matrix in (("wanted_gap", wanted), ("mentee_levels", levels), ("offered", offered)):
            if matrix.nnz and (matrix.data.min() < 0 or not np.all(np.isfinite(matrix.data))):
                raise ValueError(f"{name} must hold finite levels >= 0")
        self.n, self.m = n, m
        max_level = max(
            1,
            int(np.rint(offered.data.max())) if offered.nnz else 0,
            int(np.rint((levels.data.max() if levels.nnz else 0) + (wanted.data.max() if wanted.nnz else 0))),
        )
        wanted_levels = _level_expand(wanted, levels, n_skills, max_level)
        # Normalise each mentee row by all of its wanted levels, so the product is the covered share directly.
        total_gap = np.asarray(wanted_levels.sum(axis=1)).ravel()
        wanted_levels = sp.diags(np.divide(1.0, total_gap, out=np.zeros(n), where=total_gap > 0)) @ wanted_levels
        self.wanted_levels = sp.csr_matrix(wanted_levels)
        self.offered_levels_t = sp.csr_matrix(_level_expand(offered, None, n_skills, max_level).T)

        dept_a = _vector(cohort.mentee_department, n, "mentee_department", -1, np.int64)
        dept_b = _vector(cohort.mentor_department, m, "mentor_department", -1, np.int64)
        # Unknown departments never compare equal: -1 on the mentee side, -2 on the mentor side.
        self.dept_a = np.where(dept_a >= 0, dept_a, -1)
        self.dept_b = np.where(dept_b >= 0, dept_b, -2)

        width = max(
            (x.shape[1] for x in (cohort.mentee_languages, cohort.mentor_languages) if x is not None), default=1
        )
        lang_a = _bitsets(cohort.mentee_languages, n, width, "mentee_languages")
        lang_b = _bitsets(cohort.mentor_languages, m, width, "mentor_languages")
        self.lang_a = [np.ascontiguousarray(lang_a[:, w]) for w in range(lang_a.shape[1])]
        self.lang_b = [np.ascontiguousarray(lang_b[:, w]) for w in range(lang_b.shape[1])]
        # For the hard constraint a person without languages listed speaks "everything" (all bits set).
        all_bits = np.uint64(np.iinfo(np.uint64).max)
        none_a, none_b = ~lang_a.any(axis=1), ~lang_b.any(axis=1)
        self.lang_rule_a = [np.where(none_a, all_bits, word) for word in self.lang_a]
        self.lang_rule_b = [np.where(none_b, all_bits, word) for word in self.lang_b]

        width = max((x.shape[1] for x in (cohort.mentee_themes, cohort.mentor_themes) if x is not None), default=1)
        theme_a = _bitsets(cohort.mentee_themes, n, width, "mentee_themes")
        theme_b = _bitsets(cohort.mentor_themes, m, width, "mentor_themes")
        self.theme_a = [np.ascontiguousarray(theme_a[:, w]) for w in range(theme_a.shape[1])]
        self.theme_b = [np.ascontiguousarray(theme_b[:, w]) for w in range(theme_b.shape[1])]
        theme_count = np.bitwise_count(theme_a).sum(axis=1).astype(np.float64)
        self.theme_inverse_a = np.divide(1.0, theme_count, out=np.zeros(n), where=theme_count > 0)

        self.tz_a = _quarter_hours(_vector(cohort.mentee_utc_offset, n, "mentee_utc_offset", np.nan, np.float64))
        self.tz_b = _quarter_hours(_vector(cohort.mentor_utc_offset, m, "mentor_utc_offset", np.nan, np.float64))

        sen_a = _vector(cohort.mentee_seniority, n, "mentee_seniority", -1, np.int64)
        sen_b = _vector(cohort.mentor_seniority, m, "mentor_seniority", -1, np.int64)
        pref_a = _vector(cohort.mentee_seniority_preference, n, "mentee_seniority_preference", 0, np.int64)
        if pref_a.size and (pref_a.min() < 0 or pref_a.max() >= SENIORITY_TABLE.shape[0]):
            raise ValueError("mentee_seniority_preference must be 0 (any), 1 (more senior) or 2 (peer)")
        # Unknown seniority: mentees use an all-zero table row, mentors a level far below anyone (gap clipped to
        # the lowest column, which is 0 in every row).
        self.sen_row_a = np.where(sen_a >= 0, pref_a, SENIORITY_TABLE.shape[0]) * SENIORITY_GAPS.size
        self.sen_a = np.where(sen_a >= 0, sen_a, 0)
        self.sen_b = np.where(sen_b >= 0, sen_b, -(10**6))

        keys, flags = [], []
        for name, flag in (("excluded_pairs", _FLAG["excluded"]), ("previous_pairs", _FLAG["previous"])):
            k = _pairs_keys(getattr(cohort, name), n, m, name)
            keys.append(k)
            flags.append(np.full(k.size, flag, np.uint8))
        k = self._reporting_line_keys(cohort)
        keys.append(k)
        flags.append(np.full(k.size, _FLAG["reporting_line"], np.uint8))
        keys = np.concatenate(keys)
        flags = np.concatenate(flags)
        # One sorted key per pair, with the OR of its flags.
        unique, inverse = np.unique(keys, return_inverse=True)
        combined = np.zeros(unique.size, np.uint8)
        np.bitwise_or.at(combined, inverse, flags)
        self.forbidden_keys, self.forbidden_flag_values = unique, combined
        self._local = threading.local()

    # -- constraints ---------------------------------------------------------------------------------------------

    def _reporting_line_keys(self, cohort: Cohort) -> np.ndarray:
        n, m = self.n, self.m
        if cohort.mentee_person is None or cohort.mentor_person is None:
            if cohort.mentee_ancestors is not None or cohort.mentor_ancestors is not None:
                raise ValueError("manager chains need mentee_person and mentor_person ids")
            return np.zeros(0, np.int64)
        person_a = _vector(cohort.mentee_person, n, "mentee_person", -1, np.int64)
        person_b = _vector(cohort.mentor_person, m, "mentor_person", -1, np.int64)
        out = []
        for ancestors, own, others, mentee_side in (
            (cohort.mentee_ancestors, n, person_b, True),
            (cohort.mentor_ancestors, m, person_a, False),
        ):
            if ancestors is None:
                continue
            coo = _as_csr(ancestors, own, "ancestors").tocoo()
            owner, boss = coo.row.astype(np.int64), coo.col.astype(np.int64)
            order = np.argsort(others, kind="stable")
            sorted_people = others[order]
            if sorted_people.size == 0:
                continue
            # Every participant on the other side whose person id is this ancestor (ids may repeat).
            lo = np.searchsorted(sorted_people, boss, side="left")
            hi = np.searchsorted(sorted_people, boss, side="right")
            count = hi - lo
            owner = np.repeat(owner, count)
            offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
            other = order[np.repeat(lo, count) + offsets]
            out.append(owner * m + other if mentee_side else other * m + owner)
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    def forbidden_flags(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        keys = rows * self.m + cols
        if self.forbidden_keys.size == 0 or keys.size == 0:
            return np.zeros(keys.size, np.uint8)
        pos = np.clip(np.searchsorted(self.forbidden_keys, keys), 0, self.forbidden_keys.size - 1)
        return np.where(self.forbidden_keys[pos] == keys, self.forbidden_flag_values[pos], 0).astype(np.uint8)

    def language_violation(self, rows, cols) -> np.ndarray:
        if len(self.lang_rule_a) == 1:
            return (self.lang_rule_a[0].take(rows) & self.lang_rule_b[0].take(cols)) == 0
        shared = np.zeros(rows.size, bool)
        for word_a, word_b in zip(self.lang_rule_a, self.lang_rule_b, strict=True):
            shared |= (word_a.take(rows) & word_b.take(cols)) != 0
        return ~shared

    def shared_language(self, rows, cols) -> np.ndarray:
        shared = np.zeros(rows.size, bool)
        for word_a, word_b in zip(self.lang_a, self.lang_b, strict=True):
            shared |= (word_a.take(rows) & word_b.take(cols)) != 0
        return shared

    def cross_department(self, rows, cols) -> np.ndarray:
        a, b = self.dept_a.take(rows), self.dept_b.take(cols)
        return (a != b) & (a >= 0) & (b >= 0)

    def cross_functional_violation(self, rows, cols) -> np.ndarray:
        if self.cross_functional != "required":
            return np.zeros(rows.size, bool)
        return self.dept_a.take(rows) == self.dept_b.take(cols)

    # -- factors -------------------------------------------------------------------------------------------------

    def pair_terms(self, rows, cols, skills, contributions: bool = True):
        """Score of the pairs (float64) and, if asked, each factor's weighted contribution (they sum to the score).

        With ``contributions=False`` only the score is accumulated (the hot path over all candidate pairs)."""
        w = dict(self.weights)
        if self.cross_functional != "preferred":
            w["cross_functional"] = 0.0
        factors: dict[str, Callable[[], np.ndarray]] = {
            "skills": lambda: skills,
            "themes": lambda: self.theme_share(rows, cols),
            "cross_functional": lambda: self.cross_department(rows, cols),
            "seniority": lambda: self.seniority(rows, cols),
            "language": lambda: self.shared_language(rows, cols),
            "time_zone": lambda: self.time_zone(rows, cols),
        }
        parts = {}
        score = np.zeros(rows.size)
        for name in FACTORS:
            if w[name]:
                value = factors[name]() * w[name]
                score += value
            else:
                value = None
            if contributions:
                parts[name] = value if value is not None else np.zeros(rows.size)
        return score, parts

    def theme_share(self, rows, cols) -> np.ndarray:
        shared = np.zeros(rows.size, np.uint8)
        for word_a, word_b in zip(self.theme_a, self.theme_b, strict=True):
            shared += np.bitwise_count(word_a.take(rows) & word_b.take(cols))
        return shared * self.theme_inverse_a.take(rows)

    def seniority(self, rows, cols) -> np.ndarray:
        gap = np.clip(self.sen_b.take(cols) - self.sen_a.take(rows), SENIORITY_GAPS[0], SENIORITY_GAPS[-1])
        return _SENIORITY_FLAT.take(self.sen_row_a.take(rows) + (gap - SENIORITY_GAPS[0]))

    def time_zone(self, rows, cols) -> np.ndarray:
        return _TIME_ZONE_TABLE.take(self.tz_a.take(rows) * _TZ_SLOTS + self.tz_b.take(cols))

    # -- blocks --------------------------------------------------------------------------------------------------

    def default_block_rows(self, target_pairs: int = 2_000_000) -> int:
        # Estimate pairs per mentee from a small sample of rows.
        sample = min(self.n, 256)
        rows = np.linspace(0, self.n - 1, sample).astype(np.int64)
        pairs = (self.wanted_levels[rows] @ self.offered_levels_t).nnz
        per_row = max(pairs / sample, 1.0)
        # The dense forbidden-pair flag block is rows x mentors bytes: keep it under 32 MB.
        return int(max(1, min(target_pairs / per_row, 65_536, 2**25 // max(self.m, 1))))

    def score_block(self, start: int, stop: int, top_k: int) -> dict:
        """Candidates of mentee rows start..stop-1: rules, scores, top-K; contributions for the kept pairs only."""
        size = stop - start
        # Column order inside a row is whatever the sparse product produced (it depends on that row only, so the
        # result does not depend on the block layout); only the kept pairs are sorted, at the end.
        product = sp.csr_matrix(self.wanted_levels[start:stop] @ self.offered_levels_t)
        rows = np.repeat(np.arange(start, stop, dtype=np.int64), np.diff(product.indptr))
        cols = product.indices.astype(np.int64)
        skills = product.data
        candidates = rows.size
        removed = dict.fromkeys(CONSTRAINTS, 0)

        bad = self.language_violation(rows, cols)
        removed["language"] = int(np.count_nonzero(bad))
        if self.cross_functional == "required":
            same = self.cross_functional_violation(rows, cols)
            removed["cross_functional"] = int(np.count_nonzero(same & ~bad))
            bad |= same
        if self.forbidden_keys.size:
            # Few pairs carry a flag: work on those only.
            flagged = np.flatnonzero(self._block_flags(start, stop, rows - start, cols))
            flagged = flagged[~bad[flagged]]
            if flagged.size:
                flags = self.forbidden_flags(rows[flagged], cols[flagged])
                for name in ("reporting_line", "excluded", "previous"):
                    hit = (flags & _FLAG[name]) > 0
                    removed[name] = int(np.count_nonzero(hit))
                    flags[hit] = 0  # count each pair under its first rule only
                bad[flagged] = True
        keep = ~bad
        rows, cols, skills = rows[keep], cols[keep], skills[keep]

        score, _ = self.pair_terms(rows, cols, skills, contributions=False)
        if not np.all(score > 0):
            positive = score > 0
            rows, cols, skills, score = rows[positive], cols[positive], skills[positive], score[positive]
        allowed = np.bincount(rows - start, minlength=size)
        selected = _top_k_per_row(score, allowed, top_k, cols)
        selected = selected[np.argsort(rows[selected] * self.m + cols[selected], kind="stable")]
        rows, cols, skills = rows[selected], cols[selected], skills[selected]
        score, contributions = self.pair_terms(rows, cols, skills)
        return {
            "rows": rows,
            "cols": cols,
            "score": score,
            "contrib": contributions,
            "removed": removed,
            "allowed": allowed,
            "candidates": candidates,
        }

    def _block_flags(self, start, stop, local_rows, cols) -> np.ndarray:
        lo, hi = np.searchsorted(self.forbidden_keys, [start * self.m, stop * self.m])
        if lo == hi:
            return np.zeros(local_rows.size, np.uint8)
        if (stop - start) * self.m > 2**26:  # a very large block: binary search instead of a dense flag block
            return self.forbidden_flags(local_rows + start, cols)
        keys = self.forbidden_keys[lo:hi] - start * self.m
        # A dense flag block (block rows x mentors, one byte per pair) makes the lookup a plain gather. The buffer
        # is kept per thread and cleaned after use, so no block pays for allocating and zeroing it again.
        size = (stop - start) * self.m
        mask = getattr(self._local, "mask", None)
        if mask is None or mask.size < size:
            mask = self._local.mask = np.zeros(size, np.uint8)
        mask[keys] = self.forbidden_flag_values[lo:hi]
        try:
            return mask.take(local_rows * self.m + cols)
        finally:
            mask[keys] = 0


def _top_k_per_row(score: np.ndarray, counts: np.ndarray, k: int, cols: np.ndarray) -> np.ndarray:
    """Sorted indices of the k best pairs of every row (pairs grouped by row, ``counts`` per row, ``cols`` their
    mentor columns); all pairs of rows with at most k. Ties at the cut go to the lower mentor columns.

    The k-th largest score of every row longer than k comes from one vectorised ``partition`` along axis 1 of
    padded (rows x longest-in-chunk) arrays of about 1M cells (rows taken in order of length, so there is little
    padding); pairs are then kept by comparing with their row's threshold. No Python loop over rows or pairs."""
    if score.size == 0:
        return np.zeros(0, np.int64)
    long_rows = np.flatnonzero(counts > k)
    if long_rows.size == 0:
        return np.arange(score.size)
    starts = np.cumsum(counts) - counts
    threshold = np.full(counts.size, -np.inf)
    long_rows = long_rows[np.argsort(counts[long_rows], kind="stable")]
    lengths_all = counts[long_rows]
    first = 0
    while first < long_rows.size:
        width = int(lengths_all[min(long_rows.size - 1, first + max(1, 1_000_000 // int(lengths_all[first])) - 1)])
        stop = min(long_rows.size, first + max(1, 1_000_000 // width))
        part, lengths = long_rows[first:stop], lengths_all[first:stop]
        width = int(lengths.max())
        owner = np.repeat(np.arange(part.size) * width, lengths)
        within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        padded = np.full(part.size * width, -np.inf)
        padded[owner + within] = score[np.repeat(starts[part], lengths) + within]
        padded = padded.reshape(part.size, width)
        threshold[part] = np.partition(padded, width - k, axis=1)[:, width - k]
        first = stop
    pair_threshold = np.repeat(threshold, counts)
    take = score >= pair_threshold
    kept = np.bincount(np.repeat(np.arange(counts.size), counts)[take], minlength=counts.size)
    crowded = np.flatnonzero(kept > k)  # more pairs equal to the threshold than places
    if crowded.size:
        tie_rows = np.repeat(crowded, counts[crowded])
        tie_index = np.repeat(starts[crowded], counts[crowded]) + (
            np.arange(counts[crowded].sum()) - np.repeat(np.cumsum(counts[crowded]) - counts[crowded], counts[crowded])
        )
        tied = score[tie_index] == pair_threshold[tie_index]
        tie_rows, tie_index = tie_rows[tied], tie_index[tied]
        order = np.lexsort((cols[tie_index], tie_rows))
        tie_rows, tie_index = tie_rows[order], tie_index[order]
        rank = np.arange(tie_rows.size) - np.searchsorted(tie_rows, tie_rows, side="left")
        room = k - (kept[tie_rows] - np.bincount(tie_rows, minlength=counts.size)[tie_rows])
        take[tie_index[rank >= room]] = False
    return np.flatnonzero(take)
