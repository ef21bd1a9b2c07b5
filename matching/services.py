"""Match runs and decisions on their proposals. Keyword-only; run inside the caller's tenant scope.

`match_run_start` records a queued run and enqueues `match_run_task` when the transaction commits; the task calls
`match_run_execute`, which

1. loads the accepted applications of the cohort into plain arrays with a fixed number of queries (`cohort_arrays`:
   skills and levels, departments, the whole organization's manager table for the reporting-line rule, languages,
   time zones, seniority, previous pairs, the rejected pairs and the locks of the cohort's latest finished run);
2. scores the candidates (`matching.algorithms.score_cohort`), solves the optimal assignment (`assign`) and the
   greedy baseline (`greedy`) on the same scores, around the locked pairs;
3. writes the proposals with their factor breakdown and a reason for each unmatched mentee (bulk inserts, one
   transaction) and the run's summary.

Progress (phase and percent) is written with short autocommit updates between the stages, so a page can watch it.
Bad input (no mentees, no mentors, capacities of 0, every pair forbidden) finishes the run with a summary that says
so; an unexpected error marks the run failed with the error and is raised again.

Where the figures come from:

* languages: the application's, else the member's profile; a person with none listed is not constrained;
* time zone: the application's (the apply form's), as the UTC offset now;
* department and manager chain: the membership;
* seniority: from job-title keywords (`seniority_from_title`); a title without a known keyword is mid-level (2),
  an empty title unknown (the factor is then neutral: 0 for every pair of that person);
* themes: applications carry no theme tags yet, so the themes factor is 0 for every pair;
* capacity of a mentor: the application's capacity, at most the program's ratio (the ratio when not given);
* previous pairs (rotation): membership pairs that were published, locked or hand-picked in the latest finished
  run of every other cohort of the same program;
* rejected pairs: every rejection in earlier runs of the same cohort (they accumulate across re-runs);
* locked pairs: locked and hand-picked pairs of the cohort's latest finished run, kept fixed while both applications
  are still accepted; they use up their mentor's seats first;
* accepted mentor requests (mentee-choice cohorts): the mentee chose that mentor and the mentor accepted, so the pair
  is kept like a locked one (state locked, taking a seat of the mentor), over an earlier run's lock of that mentee;
* rotation also counts the mentorships of the program's other cohorts (a pair changed by a re-match after
  publishing is there, not among the published proposals).
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import scipy.sparse as sp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from matching.algorithms import FACTORS, assign, evaluate_pairs, greedy, score_cohort
from matching.algorithms import Cohort as CohortArrays
from matching.algorithms.scoring import (
    SENIORITY_ANY,
    SENIORITY_MORE_SENIOR,
    SENIORITY_PEER,
    ancestor_matrix,
    resolve_weights,
)
from matching.models import MatchProposal, MatchRun, MentorRequest, UnmatchedMentee
from mentorship.audit.models import Action
from mentorship.audit.services import record
from mentorship.tenancy.models import Membership
from programs.models import Application, ApplicationSkill, Cohort, MentorshipMentee, Program

logger = logging.getLogger(__name__)

TOP_K = 50
STUCK_AFTER = timedelta(minutes=10)  # a queued or running run older than this no longer blocks a new one
ROTATION_STATES = (MatchProposal.State.PUBLISHED, MatchProposal.State.LOCKED, MatchProposal.State.HAND_PICKED)
KEPT_STATES = (MatchProposal.State.LOCKED, MatchProposal.State.HAND_PICKED)

RULE_LABELS = {
    "language": "no shared language",
    "cross_functional": "same department (the program requires cross-functional pairs)",
    "reporting_line": "same reporting line",
    "excluded": "rejected by an admin",
    "previous": "already paired in an earlier cohort of the program",
}

SENIORITY_PREFERENCE = {
    Application.SeniorityPreference.ANY: SENIORITY_ANY,
    Application.SeniorityPreference.MORE_SENIOR: SENIORITY_MORE_SENIOR,
    Application.SeniorityPreference.PEER: SENIORITY_PEER,
}

# Seniority levels by job-title keyword (the highest keyword found wins); other non-empty titles are level 2.
SENIORITY_KEYWORDS = (
    (0, ("intern", "trainee", "apprentice", "working student")),
    (1, ("junior", "jr", "associate", "assistant", "graduate")),
    (3, ("senior", "sr", "lead", "staff")),
    (4, ("principal", "manager", "head", "architect")),
    (5, ("director", "vp", "vice president", "chief", "ceo", "cto", "cfo", "coo", "cio", "partner", "president")),
)
_SENIORITY_PATTERNS = [
    (level, re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")\b", re.IGNORECASE))
    for level, words in SENIORITY_KEYWORDS
]


def seniority_from_title(title: str) -> int:
    """0 (intern) .. 5 (director and above) from keywords; 2 for other titles; -1 (unknown) for an empty title."""
    title = (title or "").strip()
    if not title:
        return -1
    found = [level for level, pattern in _SENIORITY_PATTERNS if pattern.search(title)]
    return max(found) if found else 2


_OFFSETS: dict[str, float] = {}


def _utc_offset_hours(name: str) -> float:
    if name not in _OFFSETS:
        try:
            offset = timezone.now().astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
            _OFFSETS[name] = offset.total_seconds() / 3600 if offset is not None else float("nan")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            _OFFSETS[name] = float("nan")
    return _OFFSETS[name]


# --- Loading a cohort into arrays ---


@dataclass
class LoadedCohort:
    """The arrays of a cohort plus what maps rows back to the database."""

    arrays: CohortArrays
    mentee_ids: np.ndarray  # Application pk per mentee row
    mentor_ids: np.ndarray  # Application pk per mentor column
    mentee_department: np.ndarray
    mentor_department: np.ndarray
    capacity: np.ndarray
    mentee_wants: np.ndarray  # bool per mentee: wants at least one level of some skill
    locked: list[tuple[int, int, str, list]] = field(default_factory=list)  # (row, col, state, warnings)
    rejected_pairs: int = 0
    previous_pairs: int = 0
    requested_pairs: int = 0  # locked pairs that are accepted mentor requests (mentee-choice cohorts)

    @property
    def n(self) -> int:
        return self.mentee_ids.size

    @property
    def m(self) -> int:
        return self.mentor_ids.size


def _index(ids: np.ndarray, wanted) -> np.ndarray:
    """Positions of ``wanted`` in the sorted ``ids`` (-1 where absent)."""
    wanted = np.asarray(wanted, dtype=np.int64)
    if ids.size == 0 or wanted.size == 0:
        return np.full(wanted.shape, -1, np.int64)
    pos = np.clip(np.searchsorted(ids, wanted), 0, ids.size - 1)
    return np.where(ids[pos] == wanted, pos, -1)


def _pairs(rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = (rows >= 0) & (cols >= 0)
    return rows[keep], cols[keep]


def latest_finished_run(cohort_id: int, *, before: MatchRun | None = None) -> MatchRun | None:
    runs = MatchRun.objects.filter(cohort_id=cohort_id, status=MatchRun.Status.DONE)
    if before is not None:
        runs = runs.filter(pk__lt=before.pk)
    return runs.order_by("-pk").first()


def cohort_arrays(*, cohort: Cohort, run: MatchRun | None = None) -> LoadedCohort:
    """The accepted applications of ``cohort`` as arrays for scoring, with a fixed number of queries.

    ``run`` (the run being computed) decides which earlier run's locks are kept: the latest finished run of the
    cohort created before it (or the latest finished run at all when ``run`` is None)."""
    program = cohort.program
    accepted = Application.objects.filter(cohort=cohort, status=Application.Status.ACCEPTED)
    rows = list(
        accepted.order_by("pk").values_list(
            "pk",
            "role",
            "membership_id",
            "membership__department_id",
            "membership__job_title",
            "languages",
            "membership__languages",
            "time_zone",
            "capacity",
            "seniority_preference",
        )
    )
    mentees = [row for row in rows if row[1] == Application.Role.MENTEE]
    mentors = [row for row in rows if row[1] == Application.Role.MENTOR]
    n, m = len(mentees), len(mentors)
    mentee_ids = np.array([row[0] for row in mentees], np.int64)
    mentor_ids = np.array([row[0] for row in mentors], np.int64)
    mentee_person = np.array([row[2] for row in mentees], np.int64)
    mentor_person = np.array([row[2] for row in mentors], np.int64)
    mentee_department = np.array([row[3] if row[3] is not None else -1 for row in mentees], np.int64)
    mentor_department = np.array([row[3] if row[3] is not None else -1 for row in mentors], np.int64)
    ratio = int(program.ratio)
    capacity = np.array([min(row[8] if row[8] is not None else ratio, ratio) for row in mentors], np.int64)

    # Skills and levels: mentees want (target - level) levels above `level`; mentors offer `level`.
    skill_rows = np.array(
        list(
            ApplicationSkill.objects.filter(
                application__cohort=cohort, application__status=Application.Status.ACCEPTED
            ).values_list("application_id", "skill_id", "level", "target_level")
        )
        or np.zeros((0, 4)),
        dtype=object,
    )
    if skill_rows.size:
        app_of = skill_rows[:, 0].astype(np.int64)
        skill_of = skill_rows[:, 1].astype(np.int64)
        level = skill_rows[:, 2].astype(np.int64)
        target = np.array([t if t is not None else 0 for t in skill_rows[:, 3]], np.int64)
    else:
        app_of = skill_of = level = target = np.zeros(0, np.int64)
    skills, skill_col = np.unique(skill_of, return_inverse=True)
    n_skills = max(int(skills.size), 1)
    mentee_row = _index(mentee_ids, app_of)
    mentor_col = _index(mentor_ids, app_of)
    wants = (mentee_row >= 0) & (target > level)
    wanted_gap = sp.csr_matrix(
        ((target - level)[wants].astype(float), (mentee_row[wants], skill_col[wants])), shape=(n, n_skills)
    )
    mentee_levels = sp.csr_matrix(
        (level[wants].astype(float), (mentee_row[wants], skill_col[wants])), shape=(n, n_skills)
    )
    offers = mentor_col >= 0
    offered = sp.csr_matrix((level[offers].astype(float), (mentor_col[offers], skill_col[offers])), shape=(m, n_skills))
    mentee_wants = np.bincount(mentee_row[wants], minlength=n) > 0 if n else np.zeros(0, bool)

    # Languages: the application's, else the profile's.
    codes: dict[str, int] = {}

    def languages(people) -> sp.csr_matrix:
        r, c = [], []
        for i, row in enumerate(people):
            for code in row[5] or row[6] or []:
                r.append(i)
                c.append(codes.setdefault(code.strip().lower(), len(codes)))
        return sp.csr_matrix((np.ones(len(r), bool), (r, c)), shape=(len(people), max(len(codes), 1)))

    mentee_languages = languages(mentees)
    mentor_languages = languages(mentors)
    width = max(len(codes), 1)
    mentee_languages.resize((n, width))
    mentor_languages.resize((m, width))

    # Manager chains of the whole organization (one query), for the reporting-line rule.
    if n and m:
        people = np.array(
            [(pk, manager or -1) for pk, manager in Membership.objects.values_list("pk", "manager_id")]
            or np.zeros((0, 2)),
            np.int64,
        ).reshape(-1, 2)
        mentee_ancestors = ancestor_matrix(mentee_person, people[:, 0], people[:, 1])
        mentor_ancestors = ancestor_matrix(mentor_person, people[:, 0], people[:, 1])
    else:
        mentee_ancestors = mentor_ancestors = None

    # Rotation: pairs that met in the latest finished run of another cohort of the program.
    latest_other_runs = (
        MatchRun.objects.filter(cohort__program_id=program.pk, status=MatchRun.Status.DONE)
        .exclude(cohort_id=cohort.pk)
        .order_by("cohort_id", "-pk")
        .distinct("cohort_id")
        .values("pk")
    )
    met = set(
        MatchProposal.objects.filter(run_id__in=latest_other_runs, state__in=ROTATION_STATES).values_list(
            "mentee__membership_id", "mentor__membership_id"
        )
    )
    met.update(
        MentorshipMentee.objects.filter(mentorship__cohort__program_id=program.pk)
        .exclude(mentorship__cohort_id=cohort.pk)
        .values_list("mentee__membership_id", "mentorship__mentor__membership_id")
    )
    previous = np.array(sorted(met) or np.zeros((0, 2)), np.int64).reshape(-1, 2)
    mentee_by_person = np.argsort(mentee_person, kind="stable")
    mentor_by_person = np.argsort(mentor_person, kind="stable")

    def by_person(order, persons, wanted):
        pos = _index(persons[order], wanted)
        return np.where(pos >= 0, order[np.maximum(pos, 0)] if order.size else -1, -1)

    previous_pairs = _pairs(
        by_person(mentee_by_person, mentee_person, previous[:, 0]),
        by_person(mentor_by_person, mentor_person, previous[:, 1]),
    )

    # Decisions on this cohort's earlier runs: every rejection, and the locks of the latest finished run.
    earlier = MatchProposal.objects.filter(run__cohort_id=cohort.pk)
    if run is not None and run.pk is not None:
        earlier = earlier.filter(run_id__lt=run.pk)
    rejected = np.array(
        list(earlier.filter(state=MatchProposal.State.REJECTED).values_list("mentee_id", "mentor_id"))
        or np.zeros((0, 2)),
        np.int64,
    ).reshape(-1, 2)
    excluded_pairs = _pairs(_index(mentee_ids, rejected[:, 0]), _index(mentor_ids, rejected[:, 1]))
    lock_runs = MatchRun.objects.filter(cohort_id=cohort.pk, status=MatchRun.Status.DONE)
    if run is not None and run.pk is not None:
        lock_runs = lock_runs.filter(pk__lt=run.pk)
    locks = list(
        MatchProposal.objects.filter(
            run_id__in=lock_runs.order_by("-pk").values("pk")[:1], state__in=KEPT_STATES
        ).values_list("mentee_id", "mentor_id", "state", "warnings")
    )
    # Mentee choice: an accepted mentor request is the mentee's pair; it is kept like a lock and wins over a lock
    # of an earlier run for the same mentee.
    requested = []
    if program.matching_mode == Program.MatchingMode.MENTEE_CHOICE:
        requested = list(
            MentorRequest.objects.filter(cohort_id=cohort.pk, status=MentorRequest.Status.ACCEPTED)
            .order_by("mentee_id", "-pk")
            .distinct("mentee_id")
            .values_list("mentee_id", "mentor_id")
        )
    locked, chosen = [], set()
    for source in ("requests", "locks"):
        kept = requested if source == "requests" else [lock for lock in locks if lock[0] not in chosen]
        for mentee_id, mentor_id, *decision in kept:
            state, warnings = decision or (MatchProposal.State.LOCKED, [])
            row, col = int(_index(mentee_ids, [mentee_id])[0]), int(_index(mentor_ids, [mentor_id])[0])
            if row >= 0 and col >= 0:  # both still accepted
                locked.append((row, col, state, warnings))
                if source == "requests":
                    chosen.add(mentee_id)
    requested_pairs = len(chosen)

    arrays = CohortArrays(
        wanted_gap=wanted_gap,
        mentee_levels=mentee_levels,
        offered=offered,
        mentee_department=mentee_department,
        mentor_department=mentor_department,
        mentee_languages=mentee_languages,
        mentor_languages=mentor_languages,
        mentee_utc_offset=np.array([_utc_offset_hours(row[7]) for row in mentees], float),
        mentor_utc_offset=np.array([_utc_offset_hours(row[7]) for row in mentors], float),
        mentee_seniority=np.array([seniority_from_title(row[4]) for row in mentees], np.int64),
        mentor_seniority=np.array([seniority_from_title(row[4]) for row in mentors], np.int64),
        mentee_seniority_preference=np.array([SENIORITY_PREFERENCE.get(row[9], 0) for row in mentees], np.int64),
        mentee_person=mentee_person if mentee_ancestors is not None else None,
        mentor_person=mentor_person if mentee_ancestors is not None else None,
        mentee_ancestors=mentee_ancestors,
        mentor_ancestors=mentor_ancestors,
        excluded_pairs=excluded_pairs,
        previous_pairs=previous_pairs,
    )
    return LoadedCohort(
        arrays=arrays,
        mentee_ids=mentee_ids,
        mentor_ids=mentor_ids,
        mentee_department=mentee_department,
        mentor_department=mentor_department,
        capacity=capacity,
        mentee_wants=mentee_wants,
        locked=locked,
        rejected_pairs=int(excluded_pairs[0].size),
        previous_pairs=int(previous_pairs[0].size),
        requested_pairs=requested_pairs,
    )


# --- Starting and executing a run ---

PUBLISHED_COHORT_MESSAGE = (
    "This cohort's matches are already published: a new run could never be published. "
    "Change a pair through the re-match requests instead."
)


def cohort_published(cohort_id: int) -> bool:
    """Whether the cohort has mentorships (a run of it was published; it is published once)."""
    from programs.models import Mentorship

    return Mentorship.objects.filter(cohort_id=cohort_id).exists()


def match_run_start(
    *, cohort: Cohort, started_by: Membership | None, objective: str = "score", weights: dict | None = None
) -> MatchRun:
    """Record a queued run of ``cohort`` and enqueue `match_run_task` when the transaction commits.

    Only input a user can fix raises (an unknown objective, a bad weight, a run already in progress, a cohort whose
    matches are published: such a run could never be published, so it is refused on ``cohort``, the API's 409); a
    cohort that cannot be matched (no mentees, no mentors, no seats) still gets a run, whose summary says why."""
    if objective not in MatchRun.Objective.values:
        raise ValidationError({"objective": f"Choose one of: {', '.join(MatchRun.Objective.values)}."})
    if weights is None:  # the program's saved weights over the defaults
        weights = cohort.program.matching_weights or {}
    try:
        resolved = resolve_weights(weights)
    except (ValueError, TypeError) as error:
        raise ValidationError({"weights": str(error)}) from None
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()  # one start at a time per cohort
        in_progress = MatchRun.objects.filter(
            cohort_id=cohort.pk,
            status__in=(MatchRun.Status.QUEUED, MatchRun.Status.RUNNING),
            created_at__gt=timezone.now() - STUCK_AFTER,
        )
        if in_progress.exists():
            raise ValidationError({"cohort": "A match run is already in progress for this cohort; wait for it."})
        if cohort_published(cohort.pk):
            raise ValidationError({"cohort": PUBLISHED_COHORT_MESSAGE})
        run = MatchRun(cohort=cohort, started_by=started_by, objective=objective, weights=resolved)
        run.full_clean()
        run.save()
        from matching.tasks import match_run_task

        organization_id, run_id = run.organization_id, run.pk
        transaction.on_commit(lambda: match_run_task.delay(organization_id=organization_id, run_id=run_id))
    return run


def _set_progress(run: MatchRun, *, progress: int, phase: str = "", status: str | None = None) -> None:
    """A short update of its own (autocommit outside a transaction), so a page polling the run sees it at once."""
    run.progress, run.phase = progress, phase
    fields = {"progress": progress, "phase": phase}
    if status is not None:
        run.status = fields["status"] = status
    MatchRun.objects.filter(pk=run.pk).update(**fields)


def match_run_execute(*, run: MatchRun) -> MatchRun:
    """Compute ``run`` (what `match_run_task` calls). A finished run is left as it is; a run interrupted while
    running starts over (nothing of it was written: proposals are inserted in the last transaction)."""
    if run.status in (MatchRun.Status.DONE, MatchRun.Status.FAILED):
        return run
    try:
        _execute(run)
    except Exception as error:
        logger.exception("match run %s failed", run.pk)
        run.status, run.error = MatchRun.Status.FAILED, f"{type(error).__name__}: {error}"
        run.finished_at = timezone.now()
        MatchRun.objects.filter(pk=run.pk).update(status=run.status, error=run.error, finished_at=run.finished_at)
        raise
    return run


@dataclass
class _Solution:
    """Scores, the optimal and greedy assignments around the locked pairs, and each mentee's pair score."""

    candidates: object
    weights: dict
    locked_rows: np.ndarray
    locked_cols: np.ndarray
    optimal: np.ndarray  # free mentees only (-1 for the locked ones)
    breakdown: dict
    kept: object  # evaluation of the locked pairs, or None
    final: np.ndarray  # optimal + locked pairs
    with_greedy: np.ndarray  # greedy + locked pairs
    pair_scores: np.ndarray
    greedy_scores: np.ndarray

    @property
    def matched_rows(self) -> np.ndarray:
        return np.flatnonzero(self.optimal >= 0)


def _solve(loaded: LoadedCohort, *, weights: dict, cross_functional: str, objective: str, progress=None) -> _Solution:
    """Score ``loaded``, assign optimally and greedily around its locked pairs; writes nothing (``progress(percent,
    phase)`` is called between the stages when given)."""
    n, m = loaded.n, loaded.m
    candidates = score_cohort(loaded.arrays, weights=weights, cross_functional=cross_functional, top_k=TOP_K)

    if progress is not None:
        progress(50, MatchRun.Phase.ASSIGNMENT)
    # Locked pairs are fixed: their mentees leave the problem and their mentors' seats are used first.
    locked_rows = np.array([row for row, _col, _state, _warnings in loaded.locked], np.int64)
    locked_cols = np.array([col for _row, col, _state, _warnings in loaded.locked], np.int64)
    seats_left = np.maximum(loaded.capacity - np.bincount(locked_cols, minlength=m)[:m], 0)
    free = np.ones(n, bool)
    free[locked_rows] = False
    free_scores = sp.csr_matrix(sp.diags(free.astype(float)) @ candidates.scores) if n else candidates.scores
    free_scores.eliminate_zeros()
    optimal = assign(free_scores, seats_left, objective=objective)
    baseline = greedy(free_scores, seats_left)

    if progress is not None:
        progress(75, MatchRun.Phase.EXPLANATIONS)
    matched_rows = np.flatnonzero(optimal >= 0)
    matched_cols = optimal[matched_rows]
    if matched_rows.size:
        breakdown = candidates.factor_breakdown(matched_rows, matched_cols)
    else:
        breakdown = {name: np.zeros(0) for name in (*FACTORS, "score")}
    kept = (
        evaluate_pairs(loaded.arrays, locked_rows, locked_cols, weights=weights, cross_functional=cross_functional)
        if locked_rows.size
        else None
    )
    final = optimal.copy()
    final[locked_rows] = locked_cols
    with_greedy = baseline.copy()
    with_greedy[locked_rows] = locked_cols

    pair_scores = np.zeros(n)
    pair_scores[matched_rows] = breakdown["score"]
    if kept is not None:
        pair_scores[locked_rows] = kept.score
    greedy_scores = np.zeros(n)
    greedy_rows = np.flatnonzero(baseline >= 0)
    if greedy_rows.size:
        greedy_scores[greedy_rows] = np.asarray(free_scores[greedy_rows, baseline[greedy_rows]]).ravel()
    if kept is not None:
        greedy_scores[locked_rows] = kept.score
    return _Solution(
        candidates=candidates, weights=weights, locked_rows=locked_rows, locked_cols=locked_cols, optimal=optimal,
        breakdown=breakdown, kept=kept, final=final, with_greedy=with_greedy, pair_scores=pair_scores,
        greedy_scores=greedy_scores,
    )  # fmt: skip


def _execute(run: MatchRun) -> None:
    cohort = run.cohort
    program = cohort.program
    _set_progress(run, progress=5, phase=MatchRun.Phase.CANDIDATES, status=MatchRun.Status.RUNNING)
    loaded = cohort_arrays(cohort=cohort, run=run)
    weights = resolve_weights(run.weights)
    solution = _solve(
        loaded, weights=weights, cross_functional=program.cross_functional, objective=run.objective,
        progress=lambda percent, phase: _set_progress(run, progress=percent, phase=phase),
    )  # fmt: skip
    candidates, breakdown, kept = solution.candidates, solution.breakdown, solution.kept
    matched_rows = solution.matched_rows
    matched_cols = solution.optimal[matched_rows]
    proposals = [
        MatchProposal(
            run=run,
            mentee_id=int(loaded.mentee_ids[row]),
            mentor_id=int(loaded.mentor_ids[col]),
            score=float(breakdown["score"][i]),
            factors={name: round(float(breakdown[name][i]), 4) for name in FACTORS},
            state=MatchProposal.State.PROPOSED,
        )
        for i, (row, col) in enumerate(zip(matched_rows.tolist(), matched_cols.tolist(), strict=True))
    ]
    for i, (row, col, state, warnings) in enumerate(loaded.locked):
        proposals.append(
            MatchProposal(
                run=run,
                mentee_id=int(loaded.mentee_ids[row]),
                mentor_id=int(loaded.mentor_ids[col]),
                score=float(kept.score[i]),
                factors={name: round(float(kept.contributions[name][i]), 4) for name in FACTORS},
                state=state,
                warnings=warnings,
            )
        )
    unmatched = _unmatched(loaded, candidates, solution.final, program.cross_functional, run)

    summary = {
        **_figures(loaded, solution.final, solution.pair_scores),
        "greedy": _figures(loaded, solution.with_greedy, solution.greedy_scores),
        "seats": int(loaded.capacity.sum()),
        "locked": len(loaded.locked),
        "accepted_requests": loaded.requested_pairs,
        "rejected_pairs": loaded.rejected_pairs,
        "previous_pairs": loaded.previous_pairs,
        "candidate_pairs": candidates.candidate_pairs,
        "removed": candidates.removed,
        "cross_functional": program.cross_functional,
        "unmatched_reasons": {
            reason: sum(1 for u in unmatched if u.reason == reason) for reason in UnmatchedMentee.Reason.values
        },
    }
    summary["gain"] = {
        "matched": summary["matched"] - summary["greedy"]["matched"],
        "total_score": round(summary["total_score"] - summary["greedy"]["total_score"], 4),
    }
    summary["problem"], summary["message"] = _verdict(loaded, candidates, summary)

    with transaction.atomic():
        MatchProposal.objects.filter(run=run).delete()  # a retried run starts over
        UnmatchedMentee.objects.filter(run=run).delete()
        for row in (*proposals, *unmatched):  # bulk_create skips save(), which claims the row for the scope
            row.organization_id = run.organization_id
        MatchProposal.objects.bulk_create(proposals, batch_size=1000)
        UnmatchedMentee.objects.bulk_create(unmatched, batch_size=1000)
        run.status, run.progress, run.phase = MatchRun.Status.DONE, 100, MatchRun.Phase.EXPLANATIONS
        run.summary, run.weights, run.error, run.finished_at = summary, weights, "", timezone.now()
        run.save(update_fields=["status", "progress", "phase", "summary", "weights", "error", "finished_at"])


def _figures(loaded: LoadedCohort, assignment: np.ndarray, pair_scores: np.ndarray) -> dict:
    """Matched count and share, mean and total score, cross-department share and departments covered."""
    rows = np.flatnonzero(assignment >= 0)
    cols = assignment[rows]
    matched = int(rows.size)
    a, b = loaded.mentee_department[rows], loaded.mentor_department[cols]
    cross = int(np.count_nonzero((a >= 0) & (b >= 0) & (a != b)))
    departments = np.unique(np.concatenate([a, b]))
    return {
        "mentees": loaded.n,
        "mentors": loaded.m,
        "matched": matched,
        "matched_pct": round(100.0 * matched / loaded.n, 1) if loaded.n else 0.0,
        "mean_score": round(float(pair_scores[rows].mean()), 4) if matched else 0.0,
        "total_score": round(float(pair_scores[rows].sum()), 4),
        "cross_department_share": round(100.0 * cross / matched, 1) if matched else 0.0,
        "departments_covered": int(np.count_nonzero(departments >= 0)),
    }


def _verdict(loaded: LoadedCohort, candidates, summary: dict) -> tuple[str, str]:
    """A code and one sentence an admin can act on."""
    if loaded.n == 0 and loaded.m == 0:
        return "empty", "The cohort has no accepted mentees or mentors yet: accept applications, then run matching."
    if loaded.n == 0:
        return "no_mentees", f"The cohort has {loaded.m} accepted mentors but no accepted mentees: nothing to match."
    if loaded.m == 0:
        return "no_mentors", f"The cohort has {loaded.n} accepted mentees but no accepted mentors: nobody is matched."
    if summary["seats"] == 0:
        return "no_seats", "Every accepted mentor has a capacity of 0: nobody can be matched."
    if candidates.candidate_pairs == 0 and not loaded.locked:
        return "no_candidates", "No mentor offers a skill a mentee wants above the mentee's level: nobody is matched."
    if int(candidates.allowed.sum()) == 0 and not loaded.locked:
        return "all_forbidden", "Every candidate pair is excluded by a rule: nobody is matched (see the reasons)."
    text = f"Matched {summary['matched']} of {summary['mentees']} mentees ({summary['matched_pct']}%)"
    gain = summary["gain"]["matched"]
    if gain > 0:
        text += f"; {gain} more than a greedy assignment of the same scores"
    return "", text + "."


def _unmatched(loaded, candidates, final, cross_functional, run) -> list[UnmatchedMentee]:
    rows = np.flatnonzero(final < 0)
    if rows.size == 0:
        return []
    out = []
    if loaded.m == 0 or int(loaded.capacity.sum()) == 0:
        detail = "The cohort has no accepted mentor." if loaded.m == 0 else "Every accepted mentor has a capacity of 0."
        return [
            UnmatchedMentee(run=run, mentee_id=int(loaded.mentee_ids[row]), reason="no_mentors", detail=detail)
            for row in rows.tolist()
        ]
    no_allowed = rows[candidates.allowed[rows] == 0]
    rules = _rules_per_mentee(loaded, no_allowed, cross_functional)
    for row in rows.tolist():
        mentee_id = int(loaded.mentee_ids[row])
        allowed = int(candidates.allowed[row])
        if allowed:
            out.append(
                UnmatchedMentee(
                    run=run,
                    mentee_id=mentee_id,
                    reason=UnmatchedMentee.Reason.CAPACITY,
                    detail=f"{allowed} allowed mentor{'s' if allowed != 1 else ''}, but their seats went to pairs "
                    "that give a better assignment overall.",
                )
            )
            continue
        count, removed = rules.get(row, (0, {}))
        if not loaded.mentee_wants[row]:
            reason, detail = "no_candidates", "The mentee listed no skill to grow above their current level."
        elif count == 0:
            reason, detail = "no_candidates", "No accepted mentor offers a wanted skill above the mentee's level."
        elif removed:
            parts = ", ".join(f"{number} by {RULE_LABELS[name]}" for name, number in removed.items())
            reason = UnmatchedMentee.Reason.RULES
            detail = f"{count} mentor{'s' if count != 1 else ''} could teach a wanted skill; all are excluded: {parts}."
        else:
            reason, detail = "no_candidates", "No candidate mentor scores above zero with these weights."
        out.append(UnmatchedMentee(run=run, mentee_id=mentee_id, reason=reason, detail=detail, rules=removed))
    return out


def _rules_per_mentee(loaded, rows, cross_functional, chunk_pairs=1_000_000) -> dict:
    """For mentees without an allowed mentor: {row: (candidate mentors, {rule: mentors it removes})}."""
    if rows.size == 0 or loaded.m == 0:
        return {}
    skills_only = {name: (1.0 if name == "skills" else 0.0) for name in FACTORS}
    out = {}
    per_chunk = max(1, chunk_pairs // loaded.m)
    for start in range(0, rows.size, per_chunk):
        part = rows[start : start + per_chunk]
        pair_rows = np.repeat(part, loaded.m)
        pair_cols = np.tile(np.arange(loaded.m), part.size)
        evaluation = evaluate_pairs(
            loaded.arrays, pair_rows, pair_cols, weights=skills_only, cross_functional=cross_functional
        )
        candidate = (evaluation.score > 0).reshape(part.size, loaded.m)
        for i, row in enumerate(part.tolist()):
            mask = candidate[i]
            removed = {}
            for name in RULE_LABELS:
                hits = int(np.count_nonzero(evaluation.violations[name].reshape(part.size, loaded.m)[i] & mask))
                if hits:
                    removed[name] = hits
            out[row] = (int(np.count_nonzero(mask)), removed)
    return out


# --- Decisions on proposals ---


def newer_run(run: MatchRun) -> MatchRun | None:
    """The run that supersedes `run`: the newest later run of its cohort that did not fail (a failed run leaves
    the last finished one the latest usable)."""
    return (
        MatchRun.objects.filter(cohort_id=run.cohort_id, pk__gt=run.pk)
        .exclude(status=MatchRun.Status.FAILED)
        .order_by("-pk")
        .first()
    )


def _check_decidable(run: MatchRun) -> None:
    status = MatchRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
    if status != MatchRun.Status.DONE:
        raise ValidationError({"run": "This run has not finished; decide on the proposals once it is done."})
    if newer_run(run) is not None:
        raise ValidationError(
            {"run": "This run is no longer the latest: a newer run exists for the cohort. Decide on its proposals."}
        )
    if run_publication(run) is not None:
        raise ValidationError({"run": "This run is already published; its pairs are mentorships now."})


def _decide(proposal: MatchProposal, state: str) -> MatchProposal:
    with transaction.atomic():
        MatchRun.objects.select_for_update().filter(pk=proposal.run_id).first()
        _check_decidable(proposal.run)
        if proposal.state == MatchProposal.State.PUBLISHED:
            raise ValidationError({"proposal": "This pair is already published."})
        proposal.state = state
        proposal.save(update_fields=["state"])
    return proposal


def proposal_lock(*, proposal: MatchProposal) -> MatchProposal:
    """Keep this pair: a re-run of the cohort keeps it fixed and uses up a seat of its mentor."""
    return _decide(proposal, MatchProposal.State.LOCKED)


def proposal_reject(*, proposal: MatchProposal) -> MatchProposal:
    """Refuse this pair: later runs of the cohort never propose it again."""
    return _decide(proposal, MatchProposal.State.REJECTED)


def proposal_hand_pick(*, run: MatchRun, mentee: Application, mentor: Application) -> MatchProposal:
    """Give ``mentee`` the mentor the admin chose. Allowed even when the pair breaks a rule or the mentor's capacity:
    the proposal then carries ``warnings`` ([{code, message}]) saying which. The pair is kept by re-runs."""
    with transaction.atomic():
        MatchRun.objects.select_for_update().filter(pk=run.pk).first()
        _check_decidable(run)
        errors = {}
        for name, application, role in (("mentee", mentee, "mentee"), ("mentor", mentor, "mentor")):
            if (
                application.cohort_id != run.cohort_id
                or application.role != role
                or application.status != Application.Status.ACCEPTED
            ):
                errors[name] = f"Choose an accepted {role} of this cohort."
        if errors:
            raise ValidationError(errors)
        cohort = Cohort.objects.select_related("program").get(pk=run.cohort_id)
        loaded = cohort_arrays(cohort=cohort, run=run)
        row = int(_index(loaded.mentee_ids, [mentee.pk])[0])
        col = int(_index(loaded.mentor_ids, [mentor.pk])[0])
        weights = resolve_weights(run.weights)
        evaluation = evaluate_pairs(
            loaded.arrays, [row], [col], weights=weights, cross_functional=cohort.program.cross_functional
        )
        warnings = [
            {"code": name, "message": f"This pair breaks a rule: {RULE_LABELS[name]}."}
            for name in RULE_LABELS
            if evaluation.violations[name][0]
        ]
        if evaluation.contributions["skills"][0] <= 0 and weights["skills"] > 0:
            warnings.append(
                {"code": "skills", "message": "The mentor offers none of the mentee's wanted skills above their level."}
            )
        taken = (
            MatchProposal.objects.filter(run=run, mentor=mentor)
            .exclude(state=MatchProposal.State.REJECTED)
            .exclude(mentee=mentee)
            .count()
        )
        capacity = int(loaded.capacity[col])
        if taken + 1 > capacity:
            warnings.append(
                {
                    "code": "capacity",
                    "message": f"The mentor's capacity is {capacity}; this makes {taken + 1} mentees.",
                }
            )
        proposal, _created = MatchProposal.objects.update_or_create(
            run=run,
            mentee=mentee,
            defaults={
                "mentor": mentor,
                "score": float(evaluation.score[0]),
                "factors": {name: round(float(evaluation.contributions[name][0]), 4) for name in FACTORS},
                "state": MatchProposal.State.HAND_PICKED,
                "warnings": warnings,
            },
        )
        UnmatchedMentee.objects.filter(run=run, mentee=mentee).delete()
    return proposal


# --- Publishing ---

PUBLISHABLE_STATES = (MatchProposal.State.PROPOSED, MatchProposal.State.LOCKED, MatchProposal.State.HAND_PICKED)


def run_publication(run: MatchRun):
    """The first mentorship a publication of ``run`` created (its ``created_at`` and ``published_by`` say when and by
    whom the run was published), or None when the run is not published."""
    from programs.models import Mentorship

    return Mentorship.objects.filter(run=run).select_related("published_by__user").order_by("pk").first()


def _publish_groups(proposals: list[MatchProposal], *, group: bool, ratio: int) -> list[tuple[int, list[int]]]:
    """(mentor application id, [mentee application ids]) per mentorship: one per pair in 1:1 programs; in group
    programs the mentees of one mentor, in groups of at most ``ratio`` (a hand-pick over capacity starts another)."""
    if not group:
        return [(p.mentor_id, [p.mentee_id]) for p in proposals]
    by_mentor: dict[int, list[int]] = {}
    for proposal in proposals:
        by_mentor.setdefault(proposal.mentor_id, []).append(proposal.mentee_id)
    size = max(1, ratio)
    return [
        (mentor_id, mentees[start : start + size])
        for mentor_id, mentees in by_mentor.items()
        for start in range(0, len(mentees), size)
    ]


def _check_rules(cohort: Cohort, run: MatchRun, proposals: list[MatchProposal]) -> None:
    """Every pair but the hand-picked ones must keep every hard rule, and both sides must still be accepted."""
    loaded = cohort_arrays(cohort=cohort, run=run)
    rows = _index(loaded.mentee_ids, [p.mentee_id for p in proposals])
    cols = _index(loaded.mentor_ids, [p.mentor_id for p in proposals])
    gone = [p for p, row, col in zip(proposals, rows.tolist(), cols.tolist(), strict=True) if row < 0 or col < 0]
    if gone:
        raise ValidationError(
            {"proposals": f"{len(gone)} pair(s) include an application that is no longer accepted; re-run matching."}
        )
    checked = [i for i, p in enumerate(proposals) if p.state != MatchProposal.State.HAND_PICKED]
    if not checked:
        return
    evaluation = evaluate_pairs(
        loaded.arrays, rows[checked], cols[checked], weights=resolve_weights(run.weights),
        cross_functional=cohort.program.cross_functional,
    )  # fmt: skip
    broken = sorted({RULE_LABELS[name] for name in RULE_LABELS if evaluation.violations[name].any()})
    if broken:
        raise ValidationError(
            {"proposals": f"Some pairs now break a rule ({', '.join(broken)}); re-run matching or hand-pick them."}
        )


def _publish_emails(cohort: Cohort, mentorships, *, rematch: bool = False) -> list:
    """One email to each mentor and each mentee of the new mentorships (rendered from templates/matching/email/).

    Each mentorship carries ``mentee_ids`` (its mentees, for the lists in the emails). With ``rematch`` (a re-match
    moved a mentee into it) only its ``new_mentee_ids`` and the mentor are written to, and the emails say so."""
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    ids = {m.mentor_id for m in mentorships} | {mentee for m in mentorships for mentee in m.mentee_ids}
    people = {
        a.pk: a.membership
        for a in Application.objects.filter(pk__in=ids).select_related("membership__user", "membership__department")
    }
    program = cohort.program
    messages = []
    for mentorship in mentorships:
        mentor = people[mentorship.mentor_id]
        mentees = [people[pk] for pk in mentorship.mentee_ids]
        new_ids = getattr(mentorship, "new_mentee_ids", None) if rematch else None
        new_mentees = [people[pk] for pk in new_ids] if new_ids is not None else mentees
        context = {"program": program, "cohort": cohort, "mentor": mentor, "mentees": mentees,
                   "new_mentees": new_mentees, "rematch": rematch,
                   "group": mentorship.format == program.Format.GROUP}  # fmt: skip
        subject = f"{program.name}: {'your new mentorship' if rematch else 'your mentorship'}"
        body = render_to_string("matching/email/published_mentor.txt", context)
        messages.append(EmailMessage(subject, body, None, [mentor.user.email]))
        for mentee in new_mentees:
            others = [person for person in mentees if person.pk != mentee.pk]
            body = render_to_string(
                "matching/email/published_mentee.txt", {**context, "mentee": mentee, "others": others}
            )
            messages.append(EmailMessage(subject, body, None, [mentee.user.email]))
    return messages


def _send_all(messages: list) -> None:
    from django.core.mail import get_connection

    if messages:
        get_connection().send_messages(messages)


def match_run_publish(*, run: MatchRun, published_by: Membership | None, notify: bool = True) -> list:
    """Publish the latest finished run of a cohort, once: its proposed, locked and hand-picked pairs (not the
    rejected ones) become mentorships (one per pair in 1:1 programs; one per mentor, up to the ratio, in group
    programs), the pairs are marked published, the cohort becomes active, and every mentor and mentee gets an
    email when the transaction commits (``notify=False``: no emails, for the demo data).

    Refused with a ValidationError on ``run`` (the API's 409) when the run has not finished, is not the latest, or
    the cohort is already published; on ``proposals`` when there is nothing to publish or a pair (other than a
    hand-pick) breaks a hard rule. Returns the new mentorships."""
    from programs.models import Mentorship, MentorshipMentee, Program

    with transaction.atomic():
        MatchRun.objects.select_for_update().filter(pk=run.pk).first()
        cohort = Cohort.objects.select_for_update().select_related("program").get(pk=run.cohort_id)
        _check_decidable(run)
        if Mentorship.objects.filter(cohort=cohort).exists():
            raise ValidationError({"run": "This cohort's matches are already published; a run is published once."})
        proposals = list(
            MatchProposal.objects.filter(run=run, state__in=PUBLISHABLE_STATES).order_by("mentor_id", "-score", "pk")
        )
        if not proposals:
            raise ValidationError({"proposals": "This run has no pairs to publish."})
        _check_rules(cohort, run, proposals)
        program = cohort.program
        group = program.format == Program.Format.GROUP
        mentorships = []
        for mentor_id, mentee_ids in _publish_groups(proposals, group=group, ratio=program.ratio):
            mentorship = Mentorship(
                organization_id=run.organization_id, cohort=cohort, mentor_id=mentor_id, format=program.format,
                run=run, published_by=published_by,
            )  # fmt: skip
            mentorship.mentee_ids = mentee_ids
            mentorships.append(mentorship)
        Mentorship.objects.bulk_create(mentorships)
        MentorshipMentee.objects.bulk_create(
            [
                MentorshipMentee(organization_id=run.organization_id, mentorship=mentorship, mentee_id=mentee_id)
                for mentorship in mentorships
                for mentee_id in mentorship.mentee_ids
            ]
        )
        MatchProposal.objects.filter(pk__in=[p.pk for p in proposals]).update(state=MatchProposal.State.PUBLISHED)
        if cohort.status != Cohort.Status.ACTIVE:
            Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.ACTIVE)
        record(
            action=Action.MATCH_PUBLISHED,
            target=run,
            target_label=f"{program.name}: {cohort.name}, run #{run.pk}",
            actor=published_by,
            details={
                "cohort": {"id": cohort.pk, "name": cohort.name},
                "pairs": len(proposals),
                "mentorships": len(mentorships),
            },
        )
        if notify:
            messages = _publish_emails(cohort, mentorships)
            transaction.on_commit(lambda: _send_all(messages))
    return mentorships


# --- Per-program weights and their preview ---

MAX_WEIGHT = 10.0


def matching_weight_errors(weights: dict) -> tuple[dict[str, float], dict[str, str]]:
    """``weights`` checked factor by factor: ({factor: float} of the good ones, {factor: message} of the others).
    Each must be a known factor with a number from 0 to ``MAX_WEIGHT`` (not a boolean)."""
    errors, cleaned = {}, {}
    for name, value in weights.items():
        if name not in FACTORS:
            errors[name] = f"Unknown factor {name!r}; expected one of {', '.join(FACTORS)}."
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(value, bool) or not np.isfinite(number) or not 0 <= number <= MAX_WEIGHT:
            errors[name] = f"The weight of {name!r} must be a number from 0 to {MAX_WEIGHT:g}."
            continue
        cleaned[name] = number
    return cleaned, errors


def clean_matching_weights(weights) -> dict[str, float]:
    """``weights`` as {factor: float}: each a known factor with a number from 0 to ``MAX_WEIGHT``. A ValidationError
    on ``weights`` otherwise (an unknown factor, a value that is not a number or out of range)."""
    if not isinstance(weights, dict):
        raise ValidationError({"weights": "Give the weights as a mapping of factor to number."})
    cleaned, errors = matching_weight_errors(weights)
    if errors:
        raise ValidationError({"weights": list(errors.values())})
    return cleaned


def program_matching_weights_set(*, program, weights: dict) -> dict[str, float]:
    """Save ``weights`` (validated by `clean_matching_weights`) as the program's matching weights; later runs of its
    cohorts use them over the defaults. Returns the program's effective weights."""
    from programs.models import Program

    cleaned = clean_matching_weights(weights)
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).update(matching_weights=cleaned)
    program.matching_weights = cleaned
    return program.effective_matching_weights


def match_weights_preview(*, cohort: Cohort, weights: dict, objective: str = "score") -> dict:
    """What a run of ``cohort`` would give with the program's saved weights and with ``weights`` (proposed, over the
    defaults), computed like a run (same inputs, locks and rejections, same scoring and assignment) but writing
    nothing. Returns {"current": figures, "proposed": figures, "change": proposed minus current per figure,
    "current_weights": ..., "proposed_weights": ...}, the figures as in a run's summary (matched and matched_pct,
    mean_score, cross_department_share, departments_covered, ...). A bad weight is a ValidationError on
    ``weights``, an unknown objective on ``objective``."""
    if objective not in MatchRun.Objective.values:
        raise ValidationError({"objective": f"Choose one of: {', '.join(MatchRun.Objective.values)}."})
    proposed_weights = resolve_weights(clean_matching_weights(weights))
    current_weights = resolve_weights(cohort.program.effective_matching_weights)
    loaded = cohort_arrays(cohort=cohort)
    out = {"current_weights": current_weights, "proposed_weights": proposed_weights}
    for key, chosen in (("current", current_weights), ("proposed", proposed_weights)):
        solution = _solve(loaded, weights=chosen, cross_functional=cohort.program.cross_functional, objective=objective)
        out[key] = _figures(loaded, solution.final, solution.pair_scores)
    out["change"] = {name: round(out["proposed"][name] - out["current"][name], 4) for name in out["current"]}
    return out
