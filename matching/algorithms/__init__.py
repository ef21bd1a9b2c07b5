"""ORM-free matching core: vectorised scoring and exact capacitated assignment (no Django imports here)."""

from matching.algorithms.assignment import OBJECTIVES, assign, greedy, total_score, validate

__all__ = ["OBJECTIVES", "assign", "greedy", "total_score", "validate"]
