"""Scoring in the study: cosine in a target-space view, filled fold by fold, then k-fold verification.

A view (``maps.TargetView``; None for plain cosine, the study's) is how a method compares two target-space vectors,
learnt on the fold's training pool. Native accuracy is
always measured in the same view as the mapped accuracy it is compared with.
"""

from __future__ import annotations

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps import TargetView
from facebridge.protocols import PairList, VerificationResult, verify
from facebridge.vectors import unit_rows


def unit_view(v: np.ndarray, view: TargetView | None = None) -> np.ndarray:
    """Rows of ``view.transform(v)`` (n, dy) (``v`` itself for None: plain cosine) at unit norm: one side of a
    cosine, computed once when it is reused."""
    v = np.asarray(v, dtype=np.float64)
    return unit_rows(v if view is None else view.transform(v))


def view_scores(a: np.ndarray, b: np.ndarray, view: TargetView | None = None) -> np.ndarray:
    """(n,) cosine of rows ``a`` and ``b`` (n, dy) in ``view``."""
    return scores_against(a, unit_view(b, view), view)


def scores_against(a: np.ndarray, unit_b: np.ndarray, view: TargetView | None = None) -> np.ndarray:
    """(n,) cosine in ``view`` of rows ``a`` with rows already passed through ``unit_view(b, view)``."""
    return cosines(unit_view(a, view), unit_b)


def cosines(unit_a: np.ndarray, unit_b: np.ndarray) -> np.ndarray:
    """(n,) dot products of rows of unit norm (n, d): the cosines of two sides already through ``unit_view``."""
    return np.einsum("ij,ij->i", unit_a, unit_b)


class FoldScores:
    """Scores of every pair of ``pairs``, set one fold at a time; ``result()`` once all folds are in."""

    def __init__(self, pairs: PairList) -> None:
        self.pairs = pairs
        self.scores = np.full(pairs.n, np.nan)

    def put(self, fold: int, scores: np.ndarray) -> None:
        self.scores[self.pairs.fold == fold] = scores

    def result(self) -> VerificationResult:
        if np.isnan(self.scores).any():
            raise InvalidInputError(f"{int(np.isnan(self.scores).sum())} pairs were never scored")
        return verify(self.scores, self.pairs.same, self.pairs.fold)
