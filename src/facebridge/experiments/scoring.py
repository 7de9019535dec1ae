"""Scoring in the study: cosine in a target-space view, filled fold by fold, then k-fold verification.

A view is how a method compares two target-space vectors: plain cosine (the study's), or the cosine after removing
the target's training mean (and optionally a projection) learnt on the fold's training pool. Native accuracy is
always measured in the same view as the mapped accuracy it is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.protocols import PairList, VerificationResult, verify


@dataclass(frozen=True, eq=False)
class TargetView:
    """Vectors ``v`` (n, dy) are compared as ``cos((v - centre) @ projection)``; None means identity."""

    centre: np.ndarray | None = None
    projection: np.ndarray | None = None

    def __call__(self, v: np.ndarray) -> np.ndarray:
        if self.centre is not None:
            v = v - self.centre
        if self.projection is not None:
            v = v @ self.projection
        return v


PLAIN = TargetView()


def unit_view(v: np.ndarray, view: TargetView = PLAIN) -> np.ndarray:
    """Rows of ``view(v)`` (n, dy) scaled to unit norm: one side of a cosine, computed once when it is reused."""
    w = view(np.asarray(v, dtype=np.float64))
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    if (norms == 0).any():
        raise InvalidInputError(f"cosine is undefined for a zero vector (row {int(np.argmin(norms[:, 0]))})")
    return w / norms


def view_scores(a: np.ndarray, b: np.ndarray, view: TargetView = PLAIN) -> np.ndarray:
    """(n,) cosine of rows ``a`` and ``b`` (n, dy) in ``view``."""
    return scores_against(a, unit_view(b, view), view)


def scores_against(a: np.ndarray, unit_b: np.ndarray, view: TargetView = PLAIN) -> np.ndarray:
    """(n,) cosine in ``view`` of rows ``a`` with rows already passed through ``unit_view(b, view)``."""
    return np.einsum("ij,ij->i", unit_view(a, view), unit_b)


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
