"""The penalty matrix: for every ordered pair of models and every method, the cross-mode accuracy of fold-wise maps,
the both-mode accuracy, and the target's native accuracy in the same scoring view.

Work is ordered source, fold, target, method so that what a source and a fold share (the eigen-decompositions of
the source's scatter over each training pool, the kernel map's moments) is computed once; sources run on threads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facebridge.experiments.shared.data import StudyData
from facebridge.experiments.shared.parallel import Ticker, map_threads
from facebridge.experiments.shared.scoring import FoldScores, cosines, scores_against, unit_view
from facebridge.experiments.verification.methods import StudyMethod, chosen_params
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.task import FoldTask
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
    moments: GroupMoments, methods: Sequence[StudyMethod], workers: int = 1
) -> dict[tuple[str, str, int], TargetView | None]:
    """(method key, target, fold) -> the method's scoring view, learnt from that target's pool for that fold only;
    each target's on one of ``workers`` threads."""
    data = moments.data

    def of_target(target: str) -> dict[tuple[str, str, int], TargetView | None]:
        return {
            (m.info.key, target, k): m.view(FoldTask(moments, target, target, k))
            for k in data.fold_ids
            for m in methods
        }

    return {key: v for part in map_threads(of_target, data.models, workers) for key, v in part.items()}


def native_in_views(
    data: StudyData,
    methods: Sequence[StudyMethod],
    views: Mapping[tuple[str, str, int], TargetView | None],
    galleries: Mapping[tuple[str, str, int], np.ndarray],
    workers: int = 1,
) -> dict[tuple[str, str], VerificationResult]:
    """(method key, model) -> the model's own accuracy, scored in each method's view of each fold (``galleries``:
    ``fold_galleries`` of ``views``); each model's on one of ``workers`` threads."""

    def of_model(model: str) -> dict[tuple[str, str], VerificationResult]:
        out = {}
        for method in methods:
            scores = FoldScores(data.pairs)
            for k in data.fold_ids:
                key = (method.info.key, model, k)
                probes = data.vectors[model][data.row_a[data.pairs.fold == k]]
                scores.put(k, scores_against(probes, galleries[key], views[key]))
            out[(method.info.key, model)] = scores.result()
        return out

    return {key: v for part in map_threads(of_model, data.models, workers) for key, v in part.items()}


def score_fold(
    task: FoldTask, method: StudyMethod, view: TargetView | None, gallery: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit ``method`` on ``task``'s pool and score fold ``task.fold``'s pairs in ``view``.

    ``gallery``: ``unit_view`` of the target's ``id_b`` vectors of the fold, when already computed.
    Returns the cross-mode scores (mapped ``id_a`` vs native ``id_b``), the both-mode scores (both mapped), in the
    fold's pair order, and the parameters the fit chose.
    """
    data = task.data
    if gallery is None:
        gallery = unit_view(data.vectors[task.target][data.row_b[data.pairs.fold == task.fold]], view)
    fitted = method.fit(task)
    images = data.fold_images(task.fold)
    mapped = unit_view(method.transform(task, fitted, images.rows), view)  # each distinct image once, one pass
    mapped_a = mapped[images.a]
    return scores_against(mapped_a, gallery), cosines(mapped[images.b], mapped_a), chosen_params(fitted)


def fold_galleries(
    data: StudyData, views: Mapping[tuple[str, str, int], TargetView | None], workers: int = 1
) -> dict[tuple[str, str, int], np.ndarray]:
    """(method key, target, fold) -> ``unit_view`` of the target's ``id_b`` vectors of the fold in that view;
    methods that share a view (the same object, or plain cosine) share one array, computed on one of ``workers``
    threads."""
    units = {(target, k, id(view)): (target, k, view) for (_, target, k), view in views.items()}

    def gallery(unit: tuple[str, int, TargetView | None]) -> np.ndarray:
        target, k, view = unit
        return unit_view(data.vectors[target][data.row_b[data.pairs.fold == k]], view)

    shared = dict(zip(units, map_threads(gallery, units.values(), workers), strict=True))
    return {(method, target, k): shared[(target, k, id(view))] for (method, target, k), view in views.items()}


def run_penalty(
    moments: GroupMoments,
    methods: Sequence[StudyMethod],
    progress: Progress | None = None,
    workers: int = 1,
    views: Mapping[tuple[str, str, int], TargetView | None] | None = None,
) -> list[MapResult]:
    """Fit every method for every ordered model pair and fold, and score cross and both modes; each source's work
    on one of ``workers`` threads. ``views``: ``target_views(moments, methods)`` when the caller already has them.

    Returns one MapResult per (source, target, method), in source, target, method order.
    """
    data = moments.data
    views = target_views(moments, methods, workers) if views is None else views
    galleries = fold_galleries(data, views, workers)
    natives = native_in_views(data, methods, views, galleries, workers)
    tick = Ticker(progress, "penalty", len(data.models) * len(data.fold_ids))

    def _pairs(source: str) -> list[tuple[str, StudyMethod]]:
        return [(t, m) for t in data.models if t != source for m in methods]

    def one_source(source: str) -> dict[tuple[str, str, str], tuple[FoldScores, FoldScores, list[dict[str, Any]]]]:
        out: dict[tuple[str, str, str], tuple[FoldScores, FoldScores, list[dict[str, Any]]]] = {
            (source, t, m.info.key): (FoldScores(data.pairs), FoldScores(data.pairs), []) for t, m in _pairs(source)
        }
        for k in data.fold_ids:
            for target, method in _pairs(source):
                view = views[(method.info.key, target, k)]
                c, b, p = score_fold(
                    FoldTask(moments, source, target, k), method, view, galleries[(method.info.key, target, k)]
                )
                cross, both, params = out[(source, target, method.info.key)]
                cross.put(k, c)
                both.put(k, b)
                params.append(p)
            tick()
        return out

    merged = {key: v for part in map_threads(one_source, data.models, workers) for key, v in part.items()}
    return [
        MapResult(s, t, m, cross.result(), both.result(), natives[(m, t)], params)
        for (s, t, m), (cross, both, params) in merged.items()
    ]
