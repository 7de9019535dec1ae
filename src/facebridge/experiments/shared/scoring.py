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


def view_of_product(
    left: np.ndarray,
    right: np.ndarray,
    mean_y: np.ndarray,
    view: TargetView | None,
    right_viewed: np.ndarray | None = None,
    gram: np.ndarray | None = None,
) -> np.ndarray:
    """``view.transform(left @ right + mean_y)`` (the product itself for None) for a map's predictions in factored
    form, ``left`` (m, k), ``right`` (k, dy): when ``right`` has fewer rows than ``left`` the view's projection is
    folded into it (``right_viewed``: ``right @ projection`` when already at hand) and a normalising view reads each
    prediction's norm from ``gram`` (``right @ right.T``) in O(m k^2), so the (m, dy) product is never projected."""
    if view is None:
        return left @ right + mean_y
    centre, projection = view.parts()
    if projection is None or len(right) >= len(left):
        return view.transform(left @ right + mean_y)
    out = left @ (right @ projection if right_viewed is None else right_viewed) + mean_y @ projection
    if view.normalize:
        gram = right @ right.T if gram is None else gram
        sq = np.einsum("ij,ij->i", left @ gram, left) + 2 * (left @ (right @ mean_y)) + mean_y @ mean_y
        norms = np.sqrt(np.maximum(sq, 0.0))
        out = out / np.where(norms > 0, norms, 1.0)[:, None]  # a zero prediction stays zero, as l2_normalize_rows
    return out if centre is None else out - centre @ projection


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
