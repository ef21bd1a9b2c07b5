"""ORM-free matching core: vectorised scoring and exact capacitated assignment (no Django imports here).

from matching.algorithms import assign, greedy, score_cohort, Cohort
"""

from matching.algorithms.assignment import OBJECTIVES, assign, greedy, total_score, validate
from matching.algorithms.scoring import (
    CONSTRAINTS,
    DEFAULT_WEIGHTS,
    FACTORS,
    CandidateScores,
    Cohort,
    PairEvaluation,
    ancestor_matrix,
    evaluate_pairs,
    score_cohort,
)

__all__ = [
    "CONSTRAINTS",
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "OBJECTIVES",
    "CandidateScores",
    "Cohort",
    "PairEvaluation",
    "ancestor_matrix",
    "assign",
    "evaluate_pairs",
    "greedy",
    "score_cohort",
    "total_score",
    "validate",
]
