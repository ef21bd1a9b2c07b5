"""Vectorised scoring: candidates, hard constraints, cross-functional modes, factors, top-K, breakdowns.

Pure numpy / scipy: no database, no Django models."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from matching.algorithms import assign
from matching.algorithms.scoring import (
    CONSTRAINTS,
    DEFAULT_WEIGHTS,
    FACTORS,
    SENIORITY_MORE_SENIOR,
    SENIORITY_PEER,
    Cohort,
    ancestor_matrix,
    evaluate_pairs,
    score_cohort,
)

ONLY_SKILLS = {name: (1.0 if name == "skills" else 0.0) for name in FACTORS}


def csr(rows, shape):
    """{(i, j): value} -> csr."""
    matrix = sp.dok_matrix(shape)
    for (i, j), value in rows.items():
        matrix[i, j] = value
    return matrix.tocsr()


def simple_cohort(n=1, m=1, **extra) -> Cohort:
    """Every mentee wants skill 0 from level 1 to 3; every mentor offers it at level 5."""
    base = {
        "wanted_gap": csr({(i, 0): 2 for i in range(n)}, (n, 1)),
        "mentee_levels": csr({(i, 0): 1 for i in range(n)}, (n, 1)),
        "offered": csr({(j, 0): 5 for j in range(m)}, (m, 1)),
    }
    base.update(extra)
    return Cohort(**base)


def pairs(result) -> set[tuple[int, int]]:
    coo = result.scores.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def test_candidates_need_a_teachable_level_and_skill_factor_is_the_covered_share():
    # Mentee 0 wants skill 0 from 2 to 4 (2 levels) and skill 1 from 1 to 2 (1 level): 3 levels in all.
    cohort = Cohort(
        wanted_gap=csr({(0, 0): 2, (0, 1): 1}, (1, 3)),
        mentee_levels=csr({(0, 0): 2, (0, 1): 1}, (1, 3)),
        offered=csr(
            {
                (0, 0): 2,  # not above the mentee's level: nothing to teach
                (1, 0): 3,  # one level of skill 0
                (2, 0): 5,  # both levels of skill 0
                (3, 0): 5,
                (3, 1): 4,  # everything
                (4, 2): 5,  # a skill the mentee does not want
            },
            (5, 3),
        ),
    )
    result = score_cohort(cohort, weights=ONLY_SKILLS)
    assert pairs(result) == {(0, 1), (0, 2), (0, 3)}
    breakdown = result.factor_breakdown([0, 0, 0], [1, 2, 3])
    np.testing.assert_allclose(breakdown["skills"], [1 / 3, 2 / 3, 1.0])
    assert result.candidate_pairs == 3
    assert result.allowed.tolist() == [3]


def test_skill_factor_matches_a_plain_python_reference_on_random_data():
    rng = np.random.default_rng(3)
    n, m, k = 30, 20, 6
    current = rng.integers(1, 5, (n, k))
    gap = np.minimum(rng.integers(0, 3, (n, k)), 5 - current) * (rng.random((n, k)) < 0.4)
    offered = rng.integers(1, 6, (m, k)) * (rng.random((m, k)) < 0.4)
    cohort = Cohort(
        wanted_gap=sp.csr_matrix(gap.astype(float)),
        mentee_levels=sp.csr_matrix(np.where(gap > 0, current, 0).astype(float)),
        offered=sp.csr_matrix(offered.astype(float)),
    )
    result = score_cohort(cohort, weights=ONLY_SKILLS, top_k=m)
    expected = {}
    for i in range(n):
        total = gap[i].sum()
        for j in range(m):
            covered = sum(min(gap[i, s], max(0, offered[j, s] - current[i, s])) for s in range(k))
            if gap[i].sum() and covered:
                expected[(i, j)] = covered / total
    assert pairs(result) == set(expected)
    coo = result.scores.tocoo()
    for i, j, value in zip(coo.row, coo.col, coo.data, strict=True):
        assert value == pytest.approx(expected[(i, j)])


def test_language_rule_removes_pairs_without_a_shared_language_but_not_unknown_ones():
    languages_a = csr({(0, 0): 1}, (1, 3))  # mentee speaks language 0
    languages_b = csr({(0, 1): 1, (1, 0): 1, (1, 2): 1}, (3, 3))  # mentor 0: 1; mentor 1: 0 and 2; mentor 2: none
    cohort = simple_cohort(1, 3, mentee_languages=languages_a, mentor_languages=languages_b)
    result = score_cohort(cohort)
    assert pairs(result) == {(0, 1), (0, 2)}
    assert result.removed["language"] == 1
    breakdown = result.factor_breakdown([0, 0], [1, 2])
    assert breakdown["language"].tolist() == [DEFAULT_WEIGHTS["language"], 0.0]  # shared vs unknown


@pytest.mark.parametrize(
    ("mode", "expected_pairs", "bonus"),
    [
        ("required", {(0, 1), (0, 2)}, [0.0, 0.0]),  # same department removed; a rule, not a bonus
        ("preferred", {(0, 0), (0, 1), (0, 2)}, [0.0, DEFAULT_WEIGHTS["cross_functional"], 0.0]),
        ("off", {(0, 0), (0, 1), (0, 2)}, [0.0, 0.0, 0.0]),
    ],
)
def test_cross_functional_modes(mode, expected_pairs, bonus):
    # Mentee in department 7; mentor 0 in 7, mentor 1 in 8, mentor 2 unknown (-1).
    cohort = simple_cohort(1, 3, mentee_department=np.array([7]), mentor_department=np.array([7, 8, -1]))
    result = score_cohort(cohort, cross_functional=mode)
    assert pairs(result) == expected_pairs
    cols = sorted(j for _, j in expected_pairs)
    assert result.factor_breakdown([0] * len(cols), cols)["cross_functional"].tolist() == bonus
    assert result.removed["cross_functional"] == (1 if mode == "required" else 0)


def test_preferred_cross_functional_bonus_changes_the_optimal_assignment():
    cohort = simple_cohort(1, 2, mentee_department=np.array([1]), mentor_department=np.array([1, 2]))
    off = score_cohort(cohort, cross_functional="off")
    preferred = score_cohort(cohort, cross_functional="preferred")
    assert off.scores[0, 0] == pytest.approx(off.scores[0, 1])
    assert preferred.scores[0, 1] > preferred.scores[0, 0]
    assert assign(preferred.scores, np.array([1, 1])).tolist() == [1]


def test_reporting_line_in_either_direction_is_removed():
    # People: 10 is the top; 11 reports to 10; 12 reports to 11; 13 reports to 10; 14 reports to 12.
    people = np.array([10, 11, 12, 13, 14])
    managers = np.array([-1, 10, 11, 10, 12])
    mentee_person = np.array([12, 13])
    mentor_person = np.array([10, 11, 14, 13])
    cohort = simple_cohort(
        2,
        4,
        mentee_person=mentee_person,
        mentor_person=mentor_person,
        mentee_ancestors=ancestor_matrix(mentee_person, people, managers),
        mentor_ancestors=ancestor_matrix(mentor_person, people, managers),
    )
    result = score_cohort(cohort)
    # Mentee 12: 10 and 11 are above, 14 is below -> only 13 remains. Mentee 13: 10 above; 13 is the same person
    # (not a reporting line, and never offered by a real cohort); 11 and 14 are in other branches.
    assert pairs(result) == {(0, 3), (1, 1), (1, 2), (1, 3)}
    assert result.removed["reporting_line"] == 4


def test_ancestor_matrix_follows_the_chain_and_survives_cycles():
    matrix = ancestor_matrix([3, 1], person_ids=[1, 2, 3, 4], manager_ids=[2, 4, 1, -1])
    assert sorted(matrix[0].indices.tolist()) == [1, 2, 4]
    assert sorted(matrix[1].indices.tolist()) == [2, 4]
    cyclic = ancestor_matrix([1], person_ids=[1, 2], manager_ids=[2, 1])
    assert sorted(cyclic[0].indices.tolist()) == [1, 2]


@pytest.mark.parametrize("as_sparse", [False, True])
def test_excluded_and_previous_pairs_are_removed(as_sparse):
    excluded = (np.array([0]), np.array([1]))
    previous = (np.array([1, 1]), np.array([0, 2]))
    if as_sparse:
        excluded = sp.csr_matrix((np.ones(1), excluded), shape=(2, 3))
        previous = sp.csr_matrix((np.ones(2), previous), shape=(2, 3))
    result = score_cohort(simple_cohort(2, 3, excluded_pairs=excluded, previous_pairs=previous))
    assert pairs(result) == {(0, 0), (0, 2), (1, 1)}
    assert result.removed["excluded"] == 1
    assert result.removed["previous"] == 2


def test_time_zone_seniority_and_theme_factors():
    cohort = simple_cohort(
        3,
        4,
        mentee_utc_offset=np.array([0.0, -11.0, 5.5]),
        mentor_utc_offset=np.array([0.0, 2.0, 8.0, 11.0]),
        mentee_seniority=np.array([2, 2, 3]),
        mentor_seniority=np.array([3, 2, 5, -1]),
        mentee_seniority_preference=np.array([0, SENIORITY_MORE_SENIOR, SENIORITY_PEER]),
        mentee_themes=csr({(0, 0): 1, (0, 1): 1, (2, 70): 1}, (3, 80)),  # more than 64 tags: two words
        mentor_themes=csr({(0, 0): 1, (1, 1): 1, (1, 0): 1, (2, 70): 1}, (4, 80)),
    )
    weights = dict.fromkeys(FACTORS, 1.0)
    result = score_cohort(cohort, weights=weights, cross_functional="off", top_k=4)
    rows = np.repeat([0, 1, 2], 4)
    cols = np.tile([0, 1, 2, 3], 3)
    b = result.factor_breakdown(rows, cols)
    # time zone overlap of 8-hour days: |0-0|=0 -> 1, 2h -> .75, 8h -> 0, 11h -> 0; -11 vs 11 is 2h around the clock
    np.testing.assert_allclose(b["time_zone"][:4], [1.0, 0.75, 0.0, 0.0])
    np.testing.assert_allclose(b["time_zone"][4:8], [0.0, 0.0, 0.375, 0.75])  # 11h, 13h, 19h (5h), 22h (2h)
    np.testing.assert_allclose(b["time_zone"][8:], [0.3125, 0.5625, 0.6875, 0.3125])  # 5.5h, 3.5h, 2.5h, 5.5h
    # seniority: "any" mentee at 2: gaps 1, 0, 3 -> 1, .5, .75; unknown mentor -> 0
    np.testing.assert_allclose(b["seniority"][:4], [1.0, 0.5, 0.75, 0.0])
    np.testing.assert_allclose(b["seniority"][4:8], [1.0, 0.0, 0.75, 0.0])  # "more senior"
    np.testing.assert_allclose(b["seniority"][8:], [1.0, 0.5, 0.0, 0.0])  # "peer" at 3: gaps 0, -1, 2
    # themes: mentee 0 has {0, 1}: mentor 0 shares 1 of 2, mentor 1 both; mentee 1 has none; mentee 2 {70}
    np.testing.assert_allclose(b["themes"][:4], [0.5, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(b["themes"][4:8], 0.0)
    np.testing.assert_allclose(b["themes"][8:], [0.0, 0.0, 1.0, 0.0])


def random_cohort(seed: int, n: int = 60, m: int = 25) -> Cohort:
    rng = np.random.default_rng(seed)
    k = 8
    current = rng.integers(1, 4, (n, k))
    wanted = (rng.random((n, k)) < 0.35) * rng.integers(1, 3, (n, k))
    offered = (rng.random((m, k)) < 0.5) * rng.integers(2, 6, (m, k))
    people = np.arange(n + m)
    managers = np.where(people > 0, (people * rng.random(n + m)).astype(int), -1)
    return Cohort(
        wanted_gap=sp.csr_matrix(wanted.astype(float)),
        mentee_levels=sp.csr_matrix(np.where(wanted > 0, current, 0).astype(float)),
        offered=sp.csr_matrix(offered.astype(float)),
        mentee_department=rng.integers(-1, 4, n),
        mentor_department=rng.integers(-1, 4, m),
        mentee_languages=sp.csr_matrix(rng.random((n, 3)) < 0.5),
        mentor_languages=sp.csr_matrix(rng.random((m, 3)) < 0.5),
        mentee_themes=sp.csr_matrix(rng.random((n, 5)) < 0.4),
        mentor_themes=sp.csr_matrix(rng.random((m, 5)) < 0.4),
        mentee_utc_offset=rng.choice([-5.0, 0.0, 1.0, 5.5, np.nan], n),
        mentor_utc_offset=rng.choice([-5.0, 0.0, 1.0, 9.0], m),
        mentee_seniority=rng.integers(-1, 5, n),
        mentor_seniority=rng.integers(1, 7, m),
        mentee_seniority_preference=rng.integers(0, 3, n),
        mentee_person=people[:n],
        mentor_person=people[n:],
        mentee_ancestors=ancestor_matrix(people[:n], people, managers),
        mentor_ancestors=ancestor_matrix(people[n:], people, managers),
        excluded_pairs=(rng.integers(0, n, 20), rng.integers(0, m, 20)),
        previous_pairs=(rng.integers(0, n, 20), rng.integers(0, m, 20)),
    )


@pytest.mark.parametrize("mode", ["required", "preferred", "off"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_k_keeps_the_best_allowed_pairs_of_every_mentee(seed, mode):
    cohort = random_cohort(seed)
    n, m, top_k = cohort.n_mentees, cohort.n_mentors, 4
    result = score_cohort(cohort, cross_functional=mode, top_k=top_k, block_rows=7, workers=2)
    # Reference: evaluate every pair, keep the allowed ones with a teachable skill, take the top-K per row.
    rows, cols = np.divmod(np.arange(n * m), m)
    full = evaluate_pairs(cohort, rows, cols, cross_functional=mode)
    teachable = full.contributions["skills"] > 0
    ok = full.allowed & teachable
    assert result.candidate_pairs == int(teachable.sum())
    assert sum(result.removed.values()) == int((teachable & ~full.allowed).sum())
    dense = result.scores.toarray()
    for i in range(n):
        mine = np.sort(dense[i][dense[i] > 0])[::-1]
        reference = np.sort(full.score[rows == i][ok[rows == i]])[::-1]
        assert result.allowed[i] == reference.size
        np.testing.assert_allclose(mine, reference[:top_k])
    # every kept pair is allowed and its breakdown sums to its score
    coo = result.scores.tocoo()
    assert full.allowed[coo.row * m + coo.col].all()
    breakdown = result.factor_breakdown(coo.row, coo.col)
    np.testing.assert_allclose(sum(breakdown[name] for name in FACTORS), coo.data)
    np.testing.assert_allclose(breakdown["score"], coo.data)


def test_blocks_and_threads_do_not_change_the_result():
    cohort = random_cohort(5, n=80, m=30)
    one = score_cohort(cohort, top_k=5, block_rows=1000, workers=1)
    many = score_cohort(cohort, top_k=5, block_rows=3, workers=2)
    assert (one.scores != many.scores).nnz == 0
    assert one.scores.has_canonical_format and many.scores.has_canonical_format
    for name in FACTORS:
        np.testing.assert_allclose(one.contributions[name], many.contributions[name])
    assert one.removed == many.removed
    assert one.allowed.tolist() == many.allowed.tolist()


def test_factor_breakdown_of_a_non_candidate_pair_is_an_error():
    result = score_cohort(simple_cohort(1, 2, excluded_pairs=([0], [1])))
    with pytest.raises(ValueError, match="not among the scored candidates"):
        result.factor_breakdown([0], [1])


def test_evaluate_pairs_reports_every_broken_rule():
    cohort = simple_cohort(
        1,
        2,
        mentee_department=np.array([1]),
        mentor_department=np.array([1, 2]),
        mentee_languages=csr({(0, 0): 1}, (1, 2)),
        mentor_languages=csr({(0, 1): 1, (1, 0): 1}, (2, 2)),
        excluded_pairs=([0], [0]),
    )
    evaluation = evaluate_pairs(cohort, [0, 0], [0, 1])
    assert evaluation.violations["language"].tolist() == [True, False]
    assert evaluation.violations["cross_functional"].tolist() == [True, False]
    assert evaluation.violations["excluded"].tolist() == [True, False]
    assert evaluation.allowed.tolist() == [False, True]
    assert set(evaluation.violations) == set(CONSTRAINTS)


@pytest.mark.parametrize(
    "cohort",
    [
        simple_cohort(0, 0),
        simple_cohort(0, 3),  # only mentors
        simple_cohort(3, 0),  # only mentees
        Cohort(sp.csr_matrix((2, 4)), sp.csr_matrix((2, 4)), sp.csr_matrix((3, 4))),  # nobody wants anything
        simple_cohort(2, 2, excluded_pairs=([0, 0, 1, 1], [0, 1, 0, 1])),  # everything forbidden
    ],
)
def test_degenerate_cohorts_give_an_empty_matrix_not_an_exception(cohort):
    result = score_cohort(cohort)
    assert result.scores.shape == (cohort.n_mentees, cohort.n_mentors)
    assert result.scores.nnz == 0
    assert (result.allowed == 0).all()
    assert assign(result.scores, np.full(cohort.n_mentors, 3)).tolist() == [-1] * cohort.n_mentees


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"charisma": 1.0}}, "unknown factor"),
        ({"weights": {"skills": -1.0}}, ">= 0"),
        ({"cross_functional": "sometimes"}, "unknown cross_functional mode"),
        ({"top_k": 0}, "top_k"),
    ],
)
def test_bad_parameters_raise_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_cohort(simple_cohort(1, 1), **kwargs)


def test_bad_arrays_raise_value_errors():
    with pytest.raises(ValueError, match="mentor_department"):
        score_cohort(simple_cohort(1, 2, mentor_department=np.array([1])))
    with pytest.raises(ValueError, match="same number of skill columns"):
        score_cohort(Cohort(sp.csr_matrix((1, 2)), sp.csr_matrix((1, 2)), sp.csr_matrix((1, 3))))
    with pytest.raises(ValueError, match="out of range"):
        score_cohort(simple_cohort(1, 1, excluded_pairs=([0], [5])))


def test_top_k_ties_go_to_the_lowest_mentor_columns():
    result = score_cohort(simple_cohort(1, 6), top_k=2)
    assert pairs(result) == {(0, 0), (0, 1)}
    assert result.allowed.tolist() == [6]
