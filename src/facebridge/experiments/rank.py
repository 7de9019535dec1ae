"""Accuracy against map rank: reduced-rank regression and PCA-ridge, every rank from one eigen-decomposition.

For each (source, target, fold) the full-rank map is the affine ridge map with the penalty the penalty experiment
chose (``alphas``), so rank "full" is that map. Reduced-rank regression keeps the top eigenvectors ``V_r`` of the
fitted values' scatter ``B^T Sxx B`` (``coef = B V_r V_r^T``, as ``maps.ReducedRankMap``); PCA-ridge keeps the top
principal axes of the source (as ``maps.PCARidgeMap``). Pairs are scored in cross mode in ``view``'s view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from facebridge.experiments.moments import GroupMoments
from facebridge.experiments.penalty import Progress
from facebridge.experiments.scoring import FoldScores, TargetView, scores_against, unit_view
from facebridge.experiments.task import FoldTask

RANKS: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
RANK_METHODS = ("rrr", "pca_ridge")


@dataclass(frozen=True)
class RankPoint:
    """Cross-mode accuracy (percent, mean over folds) of one (source, target, method) at ``rank`` (None: full)."""

    source: str
    target: str
    method: str
    rank: int | None
    mean: float


def _fitted_value_axes(root: np.ndarray) -> np.ndarray:
    """Eigenvectors (dy, r) of ``B^T Sxx B = root^T root`` (``root`` (dx, dy) = ``diag(sqrt(w)) V^T B``), largest
    first, from the smaller of ``root root^T`` and ``root^T root`` (r = min(dx, dy))."""
    if root.shape[0] >= root.shape[1]:
        _, axes = linalg.eigh(root.T @ root)
        return axes[:, ::-1]
    s2, a = linalg.eigh(root @ root.T)
    s2, a = s2[::-1], a[:, ::-1]
    keep = s2 > 1e-12 * max(float(s2[0]), 1e-300)
    return (root.T @ a[:, keep]) / np.sqrt(s2[keep])


def _rank_predictions(
    task: FoldTask, alpha: float, xa: np.ndarray, ranks: Sequence[int], view: TargetView
) -> dict[tuple[str, int | None], np.ndarray]:
    """(method, rank) -> ``view`` of the mapped rows ``xa`` (m, dx), for the ranks below each method's limit and the
    full map (rank None).

    The view's projection is folded into each map's coefficients once, so every rank costs O(m r dy).
    """
    stats = task.train_stats()
    w, v = task.source_eigh()  # ascending
    p = (v.T @ stats.scatter(centered=True).xy) / (w + alpha)[:, None]  # (dx, dy) coefficients in the eigenbasis
    full = v @ p
    fitted = (xa - stats.mean_x) @ full
    projection = np.eye(full.shape[1]) if view.projection is None else view.projection
    shift = (stats.mean_y - (0.0 if view.centre is None else view.centre)) @ projection
    out: dict[tuple[str, int | None], np.ndarray] = {}
    out[("rrr", None)] = out[("pca_ridge", None)] = fitted @ projection + shift
    u = _fitted_value_axes(np.sqrt(w)[:, None] * p)
    along, u_viewed = fitted @ u, u.T @ projection
    scores = (xa - stats.mean_x) @ v[:, ::-1]  # principal scores, largest variance first
    p_viewed = p[::-1] @ projection
    for r in ranks:
        if r < min(full.shape):
            out[("rrr", r)] = along[:, :r] @ u_viewed[:r] + shift
        if r < full.shape[0]:
            out[("pca_ridge", r)] = scores[:, :r] @ p_viewed[:r] + shift
    return out


def run_rank(
    moments: GroupMoments,
    alphas: Mapping[tuple[str, str], Sequence[float]],
    views: Mapping[tuple[str, int], TargetView],
    ranks: Sequence[int] = RANKS,
    progress: Progress | None = None,
) -> list[RankPoint]:
    """Rank curves of every ordered model pair.

    Parameters
    ----------
    alphas : (source, target) -> the penalty of each fold's full-rank map, in ``data.fold_ids`` order.
    views : (target, fold) -> the scoring view.
    ranks : ranks to try; a rank at or above a method's limit (min(dx, dy) for rrr, dx for pca_ridge) is skipped.
    """
    data = moments.data
    folds = data.fold_ids
    galleries = {
        (t, k): unit_view(data.vectors[t][data.row_b[data.pairs.fold == k]], views[(t, k)])
        for t in data.models
        for k in folds
    }
    scores: dict[tuple[str, str, str, int | None], FoldScores] = {}
    done, total = 0, len(data.models) * len(folds)
    for source in data.models:
        for i, k in enumerate(folds):
            rows = data.pairs.fold == k
            xa = data.vectors[source][data.row_a[rows]]
            for target in data.models:
                if target == source:
                    continue
                task = FoldTask(moments, source, target, k)
                view = views[(target, k)]
                gallery = galleries[(target, k)]
                for (method, r), viewed in _rank_predictions(
                    task, alphas[(source, target)][i], xa, ranks, view
                ).items():
                    key = (source, target, method, r)
                    scores.setdefault(key, FoldScores(data.pairs)).put(k, scores_against(viewed, gallery))
            done += 1
            if progress:
                progress("rank", done, total)
    return [RankPoint(s, t, m, r, 100 * fs.result().mean) for (s, t, m, r), fs in scores.items()]
