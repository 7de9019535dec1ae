"""Accuracy against map rank: reduced-rank regression and PCA-ridge, every rank from one eigen-decomposition.

For each (source, target, fold) the full-rank map is the affine ridge map with the alpha the penalty-matrix
experiment chose (``alphas``), so rank "full" is that map. Reduced-rank regression keeps the top eigenvectors ``V_r``
of the fitted values' scatter ``B^T Sxx B`` (``coef = B V_r V_r^T``, as ``maps.ReducedRankMap``); PCA-ridge keeps the
top principal axes of the source (as ``maps.PCARidgeMap``). Pairs are scored in cross mode in ``view``'s view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from facebridge.experiments.shared.parallel import Ticker, map_threads
from facebridge.experiments.shared.scoring import FoldScores, scores_against, view_of_product
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.penalty import Progress, fold_galleries
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import RANK_FAMILIES, RankPath, TargetView

RANKS: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
RANK_METHODS = RANK_FAMILIES
#: The key under which ``fold_galleries`` holds the rank sweep's galleries (one view per target and fold).
RANK_GALLERY = "rank"


@dataclass(frozen=True)
class RankPoint:
    """Cross-mode accuracy (percent, mean over folds) of one (source, target, method) at ``rank`` (None: full)."""

    source: str
    target: str
    method: str
    rank: int | None
    mean: float


def _rank_predictions(
    task: FoldTask, alpha: float, xa: np.ndarray, ranks: Sequence[int], view: TargetView | None
) -> dict[tuple[str, int | None], np.ndarray]:
    """(method, rank) -> ``view`` of the mapped rows ``xa`` (m, dx), for the ranks below each method's limit and the
    full map (rank None), all from one ``RankPath`` of the fold's pool.

    The view's projection is folded into each method's right factor once (``view_of_product``), so every rank costs
    O(m r dy).
    """
    path = RankPath.fit(task.train_stats(), alpha)
    projection = None if view is None else view.parts()[1]
    out: dict[tuple[str, int | None], np.ndarray] = {}
    out[("rrr", None)] = out[("pca_ridge", None)] = view_of_product(*path.project(xa), path.mean_y, view)
    for family in RANK_METHODS:
        along, right = path.project(xa, family)
        right_viewed = None if projection is None else right @ projection
        gram = right @ right.T
        for r in ranks:
            if r < path.limit(family):
                folded = None if right_viewed is None else right_viewed[:r]
                out[(family, r)] = view_of_product(along[:, :r], right[:r], path.mean_y, view, folded, gram[:r, :r])
    return out


def run_rank(
    moments: GroupMoments,
    alphas: Mapping[tuple[str, str], Sequence[float]],
    views: Mapping[tuple[str, int], TargetView | None],
    ranks: Sequence[int] = RANKS,
    progress: Progress | None = None,
    workers: int = 1,
) -> list[RankPoint]:
    """Rank curves of every ordered model pair, each source's on one of ``workers`` threads.

    Parameters
    ----------
    alphas : (source, target) -> the ridge alpha of each fold's full-rank map, in ``data.fold_ids`` order.
    views : (target, fold) -> the scoring view.
    ranks : ranks to try; a rank at or above a method's limit (min(dx, dy) for rrr, dx for pca_ridge) is skipped.
    """
    data = moments.data
    folds = data.fold_ids
    galleries = fold_galleries(data, {(RANK_GALLERY, t, k): view for (t, k), view in views.items()})
    tick = Ticker(progress, "rank", len(data.models) * len(folds))

    def one_source(source: str) -> dict[tuple[str, str, str, int | None], FoldScores]:
        scores: dict[tuple[str, str, str, int | None], FoldScores] = {}
        for i, k in enumerate(folds):
            firsts = data.fold_images(k, second=False)  # each distinct probe image mapped once
            xa = data.vectors[source][firsts.rows]
            for target in data.models:
                if target == source:
                    continue
                task = FoldTask(moments, source, target, k)
                gallery = galleries[(RANK_GALLERY, target, k)]
                for (method, r), viewed in _rank_predictions(
                    task, alphas[(source, target)][i], xa, ranks, views[(target, k)]
                ).items():
                    scores.setdefault((source, target, method, r), FoldScores(data.pairs)).put(
                        k, scores_against(viewed[firsts.a], gallery)
                    )
            tick()
        return scores

    return [
        RankPoint(s, t, m, r, 100 * fs.result().mean)
        for part in map_threads(one_source, data.models, workers)
        for (s, t, m, r), fs in part.items()
    ]
