"""The penalty matrix: for every ordered pair of models and every method, the cross-mode accuracy of fold-wise maps,
the both-mode accuracy, and the target's native accuracy in the same scoring view.

Work is ordered source, fold, target, method so that what a source and a fold share (the eigen-decompositions of
the source's scatter over each training pool, the mapped test images) is computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facebridge.experiments.methods import StudyMethod, chosen_params
from facebridge.experiments.moments import GroupMoments
from facebridge.experiments.scoring import FoldScores, scores_against, unit_view, view_scores
from facebridge.experiments.task import FoldTask
from facebridge.maps import TargetView
from facebridge.protocols import VerificationResult

#: ``progress(stage, done, total)``, called after each unit of work of a stage.
Progress = Callable[[str, int, int], None]


@dataclass
class MapResult:
    """One (source, target, method): cross and both-mode results, native in the method's view, per-fold params."""

    source: str
    target: str
    method: str
    cross: VerificationResult
    both: VerificationResult
    native: VerificationResult
    params: list[dict[str, Any]] = field(default_factory=list)


def target_views(
    moments: GroupMoments, methods: Sequence[StudyMethod]
) -> dict[tuple[str, str, int], TargetView | None]:
    """(method key, target, fold) -> the method's scoring view, learnt from that target's pool for that fold only."""
    data = moments.data
    return {
        (m.info.key, t, k): m.view(FoldTask(moments, t, t, k))
        for m in methods
        for t in data.models
        for k in data.fold_ids
    }


def native_in_views(
    moments: GroupMoments, methods: Sequence[StudyMethod], views: dict[tuple[str, str, int], TargetView | None]
) -> dict[tuple[str, str], VerificationResult]:
    """(method key, model) -> the model's own accuracy, scored in each method's view of each fold."""
    data = moments.data
    out = {}
    for model in data.models:
        for method in methods:
            scores = FoldScores(data.pairs)
            for k in data.fold_ids:
                view = views[(method.info.key, model, k)]
                rows = data.pairs.fold == k
                y = data.vectors[model]
                scores.put(k, view_scores(y[data.row_a[rows]], y[data.row_b[rows]], view))
            out[(method.info.key, model)] = scores.result()
    return out


def score_fold(
    task: FoldTask, method: StudyMethod, view: TargetView | None, gallery: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit ``method`` on ``task``'s pool and score fold ``task.fold``'s pairs in ``view``.

    ``gallery``: ``unit_view`` of the target's ``id_b`` vectors of the fold, when already computed.
    Returns the cross-mode scores (mapped ``id_a`` vs native ``id_b``), the both-mode scores (both mapped), in the
    fold's pair order, and the parameters the fit chose.
    """
    data = task.data
    rows = data.pairs.fold == task.fold
    if gallery is None:
        gallery = unit_view(data.vectors[task.target][data.row_b[rows]], view)
    fitted = method.fit(task)
    x = data.vectors[task.source]
    both = fitted.transform(np.vstack([x[data.row_a[rows]], x[data.row_b[rows]]]))  # one call: one pass per map
    mapped_a, mapped_b = unit_view(both[: len(gallery)], view), both[len(gallery) :]
    return scores_against(mapped_a, gallery), scores_against(mapped_b, mapped_a, view), chosen_params(fitted)


def run_penalty(
    moments: GroupMoments, methods: Sequence[StudyMethod], progress: Progress | None = None
) -> list[MapResult]:
    """Fit every method for every ordered model pair and fold, and score cross and both modes.

    Returns one MapResult per (source, target, method), in source, target, method order.
    """
    data = moments.data
    views = target_views(moments, methods)
    natives = native_in_views(moments, methods, views)
    galleries = {
        key: unit_view(data.vectors[key[1]][data.row_b[data.pairs.fold == key[2]]], view) for key, view in views.items()
    }
    keys = [(s, t, m) for s in data.models for t in data.models if t != s for m in methods]
    cross = {(s, t, m.info.key): FoldScores(data.pairs) for s, t, m in keys}
    both = {(s, t, m.info.key): FoldScores(data.pairs) for s, t, m in keys}
    params: dict[tuple[str, str, str], list[dict[str, Any]]] = {(s, t, m.info.key): [] for s, t, m in keys}
    total, done = len(data.models) * len(data.fold_ids), 0
    for source in data.models:
        for k in data.fold_ids:
            for target in data.models:
                if target == source:
                    continue
                task = FoldTask(moments, source, target, k)
                for method in methods:
                    key = (source, target, method.info.key)
                    view = views[(method.info.key, target, k)]
                    c, b, p = score_fold(task, method, view, galleries[(method.info.key, target, k)])
                    cross[key].put(k, c)
                    both[key].put(k, b)
                    params[key].append(p)
            done += 1
            if progress:
                progress("penalty", done, total)
    return [
        MapResult(
            s,
            t,
            m.info.key,
            cross[(s, t, m.info.key)].result(),
            both[(s, t, m.info.key)].result(),
            natives[(m.info.key, t)],
            params[(s, t, m.info.key)],
        )
        for s, t, m in keys
    ]
