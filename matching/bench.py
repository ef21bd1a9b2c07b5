"""Matching benchmark: synthetic cohorts, vectorised scoring, exact assignment vs greedy. No Django needed.

    python -m matching.bench                       # 1,000 x 400, 5,000 x 2,000, 50,000 x 15,000
    python -m matching.bench --sizes 1000x400,5000x2000

Each size runs in a fresh subprocess so that ru_maxrss (the process's peak resident memory) belongs to that size.
Times are wall-clock; "peak" is tracemalloc's peak of Python-tracked allocations (numpy / scipy arrays) during the
phase; OR-Tools' C++ solver memory is not tracked by tracemalloc but is included in ru_maxrss.
End to end = building the constraint inputs (manager chains) + scoring + assignment (objective "score").
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matching.algorithms import assign, greedy, total_score
from matching.algorithms.scoring import Cohort, ancestor_matrix, score_cohort

DEFAULT_SIZES = "1000x400,5000x2000,50000x15000"
TARGETS = {(5000, 2000): (1.0, None), (50000, 15000): (10.0, 2 * 1024**3)}

N_SKILLS, SKILLS_WANTED, SKILLS_OFFERED = 400, 3, 5
N_DEPARTMENTS, N_LANGUAGES, N_THEMES = 25, 10, 12
REGIONS = np.array([-8.0, -5.0, -3.0, 0.0, 1.0, 2.0, 3.0, 5.5, 8.0, 9.0])


@dataclass
class Synthetic:
    cohort: Cohort
    capacity: np.ndarray
    people: np.ndarray
    managers: np.ndarray


def _pick_distinct(rng, rows: int, per_row: int, universe: int, weights=None) -> np.ndarray:
    """rows x per_row distinct draws from range(universe) (Gumbel top-k on log weights, vectorised)."""
    logits = np.zeros(universe) if weights is None else np.log(weights)
    picks = np.empty((rows, per_row), np.int64)
    step = max(1, 4_000_000 // universe)
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        keys = logits - np.log(-np.log(rng.random((stop - start, universe))))
        picks[start:stop] = np.argpartition(-keys, per_row - 1, axis=1)[:, :per_row]
    return picks


def _tags(rng, rows: int, universe: int, low: int, high: int) -> sp.csr_matrix:
    count = rng.integers(low, high + 1, rows)
    picks = _pick_distinct(rng, rows, high, universe)
    mask = np.arange(high)[None, :] < count[:, None]
    r = np.repeat(np.arange(rows), high)[mask.ravel()]
    return sp.csr_matrix((np.ones(r.size, bool), (r, picks.ravel()[mask.ravel()])), shape=(rows, universe))


def synthetic(n_mentees: int, n_mentors: int, capacity: int = 3, seed: int = 0) -> Synthetic:
    """A plausible organization: 400 skills with skewed popularity, 25 departments, regions with their time zone
    and local language (most people also speak a shared one), seniority 1-7 (mentors more senior), 12 goal themes,
    a random management tree over everyone, 0.2 % excluded and n/2 previous pairs."""
    rng = np.random.default_rng(seed)
    n, m = n_mentees, n_mentors
    popularity = 1.0 / np.arange(1, N_SKILLS + 1) ** 0.3
    rng.shuffle(popularity)

    wanted_skills = _pick_distinct(rng, n, SKILLS_WANTED, N_SKILLS, popularity)
    current = rng.integers(1, 4, (n, SKILLS_WANTED))
    gap = np.minimum(rng.integers(1, 3, (n, SKILLS_WANTED)), 5 - current)
    rows = np.repeat(np.arange(n), SKILLS_WANTED)
    wanted_gap = sp.csr_matrix((gap.ravel().astype(float), (rows, wanted_skills.ravel())), shape=(n, N_SKILLS))
    levels = sp.csr_matrix((current.ravel().astype(float), (rows, wanted_skills.ravel())), shape=(n, N_SKILLS))

    offered_skills = _pick_distinct(rng, m, SKILLS_OFFERED, N_SKILLS, popularity)
    offered_level = rng.integers(3, 6, (m, SKILLS_OFFERED))
    rows = np.repeat(np.arange(m), SKILLS_OFFERED)
    offered = sp.csr_matrix((offered_level.ravel().astype(float), (rows, offered_skills.ravel())), shape=(m, N_SKILLS))

    dept_weights = rng.random(N_DEPARTMENTS) + 0.2
    dept_weights /= dept_weights.sum()
    region_a, region_b = rng.integers(0, REGIONS.size, n), rng.integers(0, REGIONS.size, m)

    def languages(region):
        size = region.size
        shared = rng.random(size) < 0.8
        local = region % N_LANGUAGES
        r = np.concatenate([np.flatnonzero(shared), np.arange(size)])
        c = np.concatenate([np.zeros(shared.sum(), np.int64), local])
        matrix = sp.csr_matrix((np.ones(r.size, bool), (r, c)), shape=(size, N_LANGUAGES))
        matrix.sum_duplicates()
        return matrix

    # People: mentees 0..n-1, mentors n..n+m-1, then managers outside the cohort. Everyone's manager is an
    # earlier person (so the tree has no cycles); managers-only people come first in the hierarchy.
    total = n + m + (n + m) // 10
    people = np.arange(total)
    rank = rng.permutation(total)  # position in the hierarchy
    parent_rank = np.floor(rank * rng.random(total) ** 0.5).astype(np.int64)
    by_rank = np.argsort(rank)
    managers = np.where(rank > 0, by_rank[np.minimum(parent_rank, np.maximum(rank - 1, 0))], -1)

    excluded_count = max(1, n // 500)
    previous_count = n // 2
    cohort = Cohort(
        wanted_gap=wanted_gap,
        mentee_levels=levels,
        offered=offered,
        mentee_department=rng.choice(N_DEPARTMENTS, n, p=dept_weights),
        mentor_department=rng.choice(N_DEPARTMENTS, m, p=dept_weights),
        mentee_languages=languages(region_a),
        mentor_languages=languages(region_b),
        mentee_themes=_tags(rng, n, N_THEMES, 1, 3),
        mentor_themes=_tags(rng, m, N_THEMES, 2, 4),
        mentee_utc_offset=REGIONS[region_a],
        mentor_utc_offset=REGIONS[region_b],
        mentee_seniority=rng.integers(1, 6, n),
        mentor_seniority=rng.integers(3, 8, m),
        mentee_seniority_preference=rng.choice(3, n, p=[0.5, 0.35, 0.15]),
        mentee_person=people[:n],
        mentor_person=people[n : n + m],
        excluded_pairs=(rng.integers(0, n, excluded_count), rng.integers(0, m, excluded_count)),
        previous_pairs=(rng.integers(0, n, previous_count), rng.integers(0, m, previous_count)),
    )
    return Synthetic(cohort=cohort, capacity=np.full(m, capacity), people=people, managers=managers)


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _mb(value: float) -> str:
    return f"{value / 1024**2:,.0f} MB"


def _phase(func):
    tracemalloc.reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return result, elapsed, cpu, tracemalloc.get_traced_memory()[1]


def run_one(n: int, m: int, capacity: int, top_k: int, cross_functional: str, seed: int) -> None:
    data = synthetic(n, m, capacity, seed)
    cohort = data.cohort
    tracemalloc.start()

    def scoring():
        people, managers = data.people, data.managers
        cohort.mentee_ancestors = ancestor_matrix(cohort.mentee_person, people, managers)
        cohort.mentor_ancestors = ancestor_matrix(cohort.mentor_person, people, managers)
        return score_cohort(cohort, cross_functional=cross_functional, top_k=top_k)

    load_before = os.getloadavg()[0]
    scored, t_score, c_score, p_score = _phase(scoring)
    matrix = scored.scores
    optimal, t_assign, c_assign, p_assign = _phase(lambda: assign(matrix, data.capacity, "score"))
    tracemalloc.stop()
    t_total, c_total = t_score + t_assign, c_score + c_assign
    load_after = os.getloadavg()[0]
    rss = _maxrss_bytes()

    start = time.perf_counter()
    coverage = assign(matrix, data.capacity, "coverage")
    t_coverage = time.perf_counter() - start
    start = time.perf_counter()
    base = greedy(matrix, data.capacity)
    t_greedy = time.perf_counter() - start

    def summary(result):
        return int((result >= 0).sum()), total_score(matrix, result)

    opt_n, opt_s = summary(optimal)
    cov_n, cov_s = summary(coverage)
    gr_n, gr_s = summary(base)
    all_pairs = n * m
    print(f"== {n:,} mentees x {m:,} mentors, capacity {capacity}, top-{top_k}, cross-functional {cross_functional}")
    print(
        f"   candidates sharing a teachable skill: {scored.candidate_pairs:,} of {all_pairs:,} pairs "
        f"({100 * scored.candidate_pairs / all_pairs:.1f} %); removed by rules: "
        + ", ".join(f"{k} {v:,}" for k, v in scored.removed.items())
        + f"; kept {matrix.nnz:,}; mentees without an allowed mentor: {int((scored.allowed == 0).sum()):,}"
    )
    print(f"   scoring     {t_score:7.2f} s  (cpu {c_score:6.2f} s)   peak {_mb(p_score):>9} (tracemalloc)")
    print(
        f"   assignment  {t_assign:7.2f} s  (cpu {c_assign:6.2f} s)   peak {_mb(p_assign):>9} "
        "(tracemalloc; the solver's C++ memory shows in RSS only)"
    )
    target_t, target_mem = TARGETS.get((n, m), (None, None))
    verdict = ""
    if target_t is not None:
        ok = t_total < target_t
        verdict = f"   target < {target_t:g} s: {'met' if ok else 'MISSED'}"
    print(
        f"   total       {t_total:7.2f} s  (cpu {c_total:6.2f} s)   peak {_mb(max(p_score, p_assign)):>9} "
        f"(tracemalloc){verdict}"
    )
    mem_verdict = ""
    if target_mem is not None:
        mem_verdict = f"   target < {_mb(target_mem)}: {'met' if rss < target_mem else 'MISSED'}"
    print(f"   process max RSS (ru_maxrss, whole run incl. data generation): {_mb(rss)}{mem_verdict}")
    print(
        f"   machine: {os.cpu_count()} cpus, load average {load_before:.1f} -> {load_after:.1f} "
        "(wall times above include waiting for a busy cpu; cpu = this process's user + system time, all threads)"
    )
    print(f"   optimal (score)    matched {opt_n:>7,} / {n:,}   total score {opt_s:>12,.2f}   {t_assign:6.2f} s")
    print(f"   optimal (coverage) matched {cov_n:>7,} / {n:,}   total score {cov_s:>12,.2f}   {t_coverage:6.2f} s")
    print(f"   greedy             matched {gr_n:>7,} / {n:,}   total score {gr_s:>12,.2f}   {t_greedy:6.2f} s")
    gain = 100 * (opt_s - gr_s) / gr_s if gr_s else 0.0
    cov_gain = 100 * (cov_s - gr_s) / gr_s if gr_s else 0.0
    print(
        f"   gain vs greedy: score objective {gain:+.2f} % total score ({opt_n - gr_n:+,} matched); "
        f"coverage objective {cov_n - gr_n:+,} matched ({cov_gain:+.2f} % total score)"
    )
    sys.stdout.flush()


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        try:
            a, b = part.lower().replace("_", "").split("x")
            sizes.append((int(a), int(b)))
        except ValueError:
            raise SystemExit(f"bad size {part!r}: expected MENTEESxMENTORS, e.g. 5000x2000") from None
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m matching.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"comma-separated MENTEESxMENTORS (default {DEFAULT_SIZES})"
    )
    parser.add_argument("--capacity", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=50)
    parser.add_argument("--cross-functional", choices=["required", "preferred", "off"], default="required")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-process", action="store_true", help="run every size in this process (shared RSS)")
    args = parser.parse_args(argv)
    sizes = _parse_sizes(args.sizes)
    if args.in_process or len(sizes) == 1:
        for n, m in sizes:
            run_one(n, m, args.capacity, args.top_k, args.cross_functional, args.seed)
        return
    for n, m in sizes:
        command = [sys.executable, "-m", "matching.bench", "--sizes", f"{n}x{m}", "--capacity", str(args.capacity)]
        command += ["--top-k", str(args.top_k), "--cross-functional", args.cross_functional, "--seed", str(args.seed)]
        completed = subprocess.run(command, check=False)
        if completed.returncode:
            raise SystemExit(completed.returncode)


if __name__ == "__main__":
    main()
