"""Exactness of the capacitated assignment against brute force, greedy baseline, validation and edge cases.

Pure numpy / scipy: no database, no Django models."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.algorithms import assign, greedy, total_score

PROPERTY = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def instances(draw):
    """Up to 6 mentees x 4 mentors, random sparsity, capacities 0-3, integer-ish or float scores (ties included)."""
    n = draw(st.integers(0, 6))
    m = draw(st.integers(0, 4))
    density = draw(st.sampled_from([0.2, 0.5, 0.8, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    allowed = rng.random((n, m)) < density
    ties = draw(st.booleans())  # small integer scores: many ties
    values = rng.integers(1, 6, (n, m)).astype(float) if ties else rng.random((n, m)) * 10 + 0.01
    dense = np.where(allowed, values, 0.0)
    capacity = rng.integers(0, 4, m)
    return sp.csr_matrix(dense), capacity, dense


def brute_force(dense: np.ndarray, capacity: np.ndarray):
    """Best (total score) and best (matched count, total score) over every feasible assignment."""
    n, m = dense.shape
    if n == 0:
        return 0.0, 0, 0.0
    options = [[-1] + [j for j in range(m) if dense[i, j] > 0 and capacity[j] > 0] for i in range(n)]
    choices = np.array(list(itertools.product(*options)), dtype=np.int64).reshape(-1, n)
    feasible = np.ones(len(choices), bool)
    for j in range(m):
        feasible &= (choices == j).sum(axis=1) <= capacity[j]
    choices = choices[feasible]
    padded = np.hstack([dense, np.zeros((n, 1))])  # column -1 -> score 0
    totals = padded[np.arange(n)[None, :], choices].sum(axis=1) if n else np.zeros(len(choices))
    matched = (choices >= 0).sum(axis=1)
    best_score = totals.max()
    most = matched.max()
    best_coverage_score = totals[matched == most].max()
    return best_score, most, best_coverage_score


def check_feasible(result, dense, capacity):
    n, m = dense.shape
    assert result.shape == (n,)
    assert result.dtype.kind == "i"
    used = result[result >= 0]
    assert np.all(used < m)
    rows = np.flatnonzero(result >= 0)
    assert np.all(dense[rows, result[rows]] > 0), "a forbidden pair was assigned"
    assert np.all(np.bincount(used, minlength=m) <= capacity), "a mentor's capacity was exceeded"


def score_of(result, dense):
    rows = np.flatnonzero(result >= 0)
    return float(dense[rows, result[rows]].sum())


TOL = 1e-6


@PROPERTY
@given(instances())
def test_score_objective_matches_brute_force(instance):
    matrix, capacity, dense = instance
    result = assign(matrix, capacity, "score")
    check_feasible(result, dense, capacity)
    best_score, _, _ = brute_force(dense, capacity)
    assert score_of(result, dense) == pytest.approx(best_score, abs=TOL)


@PROPERTY
@given(instances())
def test_coverage_objective_matches_brute_force(instance):
    matrix, capacity, dense = instance
    result = assign(matrix, capacity, "coverage")
    check_feasible(result, dense, capacity)
    _, most, best_coverage_score = brute_force(dense, capacity)
    assert int((result >= 0).sum()) == most
    assert score_of(result, dense) == pytest.approx(best_coverage_score, abs=TOL)


@PROPERTY
@given(instances())
def test_greedy_is_feasible_and_never_beats_optimal(instance):
    matrix, capacity, dense = instance
    base = greedy(matrix, capacity)
    check_feasible(base, dense, capacity)
    assert score_of(base, dense) <= score_of(assign(matrix, capacity, "score"), dense) + TOL
    assert (base >= 0).sum() <= (assign(matrix, capacity, "coverage") >= 0).sum()


def test_seeded_random_loop_larger_instances_against_brute_force():
    """Beyond hypothesis: 200 seeded instances of 7 mentees x 3 mentors, float scores."""
    rng = np.random.default_rng(20240517)
    for _ in range(200):
        dense = np.where(rng.random((7, 3)) < 0.6, rng.random((7, 3)) + 0.05, 0.0)
        capacity = rng.integers(0, 4, 3)
        best_score, most, best_coverage_score = brute_force(dense, capacity)
        by_score = assign(sp.csr_matrix(dense), capacity, "score")
        by_coverage = assign(sp.csr_matrix(dense), capacity, "coverage")
        check_feasible(by_score, dense, capacity)
        check_feasible(by_coverage, dense, capacity)
        assert score_of(by_score, dense) == pytest.approx(best_score, abs=TOL)
        assert (by_coverage >= 0).sum() == most
        assert score_of(by_coverage, dense) == pytest.approx(best_coverage_score, abs=TOL)


def test_score_and_coverage_objectives_differ_where_they_should():
    # Mentee 0 scores 10 with mentor 0 and 1 with mentor 1; mentee 1 only has mentor 0 (score 1). One seat each.
    dense = np.array([[10.0, 1.0], [1.0, 0.0]])
    matrix, capacity = sp.csr_matrix(dense), np.array([1, 1])
    # score: 0->0 (10) beats 0->1 + 1->0 (2), leaving mentee 1 unmatched
    assert assign(matrix, capacity, "score").tolist() == [0, -1]
    # coverage: both matched
    assert assign(matrix, capacity, "coverage").tolist() == [1, 0]


def test_greedy_is_suboptimal_on_a_known_instance():
    dense = np.array([[3.0, 2.0], [2.9, 0.0]])
    matrix, capacity = sp.csr_matrix(dense), np.array([1, 1])
    assert greedy(matrix, capacity).tolist() == [0, -1]
    assert assign(matrix, capacity).tolist() == [1, 0]
    assert total_score(matrix, assign(matrix, capacity)) == pytest.approx(4.9)


def test_capacity_is_shared_by_several_mentees():
    dense = np.ones((5, 2))
    result = assign(sp.csr_matrix(dense), np.array([3, 1]))
    assert sorted(result.tolist()) == [-1, 0, 0, 0, 1]


@pytest.mark.parametrize("objective", ["score", "coverage"])
@pytest.mark.parametrize(
    ("matrix", "capacity"),
    [
        (sp.csr_matrix((0, 0)), np.zeros(0, int)),
        (sp.csr_matrix((0, 3)), np.array([1, 2, 3])),  # only mentors
        (sp.csr_matrix((4, 0)), np.zeros(0, int)),  # only mentees
        (sp.csr_matrix((3, 2)), np.array([3, 3])),  # all pairs forbidden
        (sp.csr_matrix(np.ones((3, 2))), np.array([0, 0])),  # capacities 0
    ],
)
def test_degenerate_inputs_return_all_unmatched(matrix, capacity, objective):
    for func in (lambda: assign(matrix, capacity, objective), lambda: greedy(matrix, capacity)):
        result = func()
        assert result.shape == (matrix.shape[0],)
        assert np.all(result == -1)


def test_mentor_with_zero_capacity_is_never_used():
    dense = np.array([[5.0, 1.0], [5.0, 1.0]])
    result = assign(sp.csr_matrix(dense), np.array([0, 2]))
    assert result.tolist() == [1, 1]


def test_accepts_other_sparse_formats_and_integer_like_float_capacity():
    dense = np.array([[1.0, 2.0], [3.0, 0.0]])
    expected = assign(sp.csr_matrix(dense), np.array([1, 1]))
    assert assign(sp.coo_matrix(dense), np.array([1.0, 1.0])).tolist() == expected.tolist()
    assert assign(sp.csr_array(dense), [1, 1]).tolist() == expected.tolist()


@pytest.mark.parametrize(
    ("matrix", "capacity", "objective", "message"),
    [
        (np.ones((2, 2)), [1, 1], "score", "scipy.sparse"),
        (sp.csr_matrix(np.ones((2, 2))), [1, 1, 1], "score", "shape mismatch"),
        (sp.csr_matrix(np.ones((2, 2))), [[1, 1]], "score", "1-D"),
        (sp.csr_matrix(np.ones((2, 2))), [1, -1], "score", ">= 0"),
        (sp.csr_matrix(np.ones((2, 2))), [1.5, 1], "score", "integers"),
        (sp.csr_matrix(np.array([[1.0, -2.0], [0.0, 1.0]])), [1, 1], "score", "> 0"),
        (sp.csr_matrix(np.array([[1.0, np.nan], [0.0, 1.0]])), [1, 1], "score", "finite"),
        (sp.csr_matrix(np.ones((2, 2))), [1, 1], "fairness", "unknown objective"),
    ],
)
def test_bad_input_raises_clear_value_errors(matrix, capacity, objective, message):
    with pytest.raises(ValueError, match=message):
        assign(matrix, capacity, objective)


def test_stored_explicit_zero_is_rejected():
    matrix = sp.csr_matrix((np.array([0.0, 1.0]), np.array([0, 1]), np.array([0, 2])), shape=(1, 2))
    with pytest.raises(ValueError, match="> 0"):
        assign(matrix, [1, 1])


def test_total_score_rejects_forbidden_pairs():
    matrix = sp.csr_matrix(np.array([[1.0, 0.0]]))
    assert total_score(matrix, np.array([0])) == 1.0
    assert total_score(matrix, np.array([-1])) == 0.0
    with pytest.raises(ValueError, match="forbidden"):
        total_score(matrix, np.array([1]))


def test_widely_different_score_magnitudes_stay_exact():
    # Integerisation is relative to the largest score (resolution max / 2**31): differences of 1e-3 next to a
    # score of 1e6 still decide. Best: 1->0 and 2->1 (2e-3 + 2.5e-3) rather than 1->1 and 2->0 (1e-3 + 1e-3).
    dense = np.array([[1e6, 0.0], [2e-3, 1e-3], [1e-3, 2.5e-3]])
    for objective in ("score", "coverage"):
        assert assign(sp.csr_matrix(dense), np.array([2, 1]), objective).tolist() == [0, 0, 1]


def test_medium_random_instance_score_not_below_greedy_and_coverage_not_below_score():
    rng = np.random.default_rng(7)
    n, m = 400, 120
    matrix = sp.random(n, m, density=0.05, random_state=rng, data_rvs=lambda k: rng.random(k) + 0.01, format="csr")
    capacity = rng.integers(0, 4, m)
    best = assign(matrix, capacity, "score")
    most = assign(matrix, capacity, "coverage")
    base = greedy(matrix, capacity)
    assert total_score(matrix, best) >= total_score(matrix, base) - TOL
    assert total_score(matrix, best) >= total_score(matrix, most) - TOL
    assert (most >= 0).sum() >= max((best >= 0).sum(), (base >= 0).sum())
