"""Accuracy against the number of paired training images, over several random draws.

Draw ``d`` orders all images by one seeded permutation; fold k's subset of size n is the first n images of that
order whose person is not in fold k. Subsets are therefore nested in n (the curve moves only by adding images) and
never hold a test person. On each subset two maps are fitted: the study's ridge (alpha = 1, no bias) and the affine
ridge with alpha chosen by generalised cross-validation on the subset itself (n images are too few to split by
people). Each is scored in cross mode in its method's view (a target-only statistic of the fold's full pool: it
needs no paired images). The curve ends at "all": the penalty matrix's own full-data map of the method.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from facebridge.experiments.shared.parallel import Ticker, map_threads
from facebridge.experiments.shared.scoring import FoldScores, scores_against, view_of_product
from facebridge.experiments.verification.moments import GroupMoments, GrowingMoments
from facebridge.experiments.verification.penalty import Progress, fold_galleries
from facebridge.maps import RidgeToTargets, TargetView

SIZES: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000, 2000)
ALL = "all"

#: Fitting rules: method key -> (fit a bias on centred rows, ridge alpha; None chooses it by GCV on the subset).
Rules = Mapping[str, tuple[bool, float | None]]
STUDY_RULE: dict[str, tuple[bool, float | None]] = {"ridge_study": (False, 1.0)}
AFFINE_GCV = (True, None)


@dataclass(frozen=True)
class SizePoint:
    """Accuracies (percent, one per draw) of ``method`` for (source, target) trained on ``n`` images."""

    source: str
    target: str
    method: str
    n: int | str
    accuracies: tuple[float, ...]


def draw_subsets(
    allowed: Mapping[int, np.ndarray], sizes: Sequence[int], n_draws: int, seed: int
) -> dict[tuple[int, int, int], np.ndarray]:
    """(draw, fold, n) -> row indices: the first ``n`` allowed rows of draw ``draw``'s permutation of all rows.

    ``allowed``: fold -> (n_images,) bool mask of the rows fold k may train on. Sizes above the pool are skipped.
    """
    n_images = len(next(iter(allowed.values())))
    out: dict[tuple[int, int, int], np.ndarray] = {}
    for d in range(n_draws):
        order = np.random.default_rng(np.random.SeedSequence([seed, d])).permutation(n_images)
        for k, mask in allowed.items():
            eligible = order[mask[order]]
            for n in sizes:
                if n <= len(eligible):
                    out[(d, k, n)] = eligible[:n]
    return out


def run_sample_size(
    moments: GroupMoments,
    views: Mapping[tuple[str, str, int], TargetView | None],
    rules: Rules = STUDY_RULE,
    sizes: Sequence[int] = SIZES,
    n_draws: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    workers: int = 1,
) -> list[SizePoint]:
    """Sample-size curves of every ordered model pair for each fitting rule, without the ``ALL`` point (the caller
    has it: the full-data map of the penalty matrix).

    ``views``: (method key, target, fold) -> scoring view, for the keys of ``rules``. Each ``n`` of ``sizes`` is tried
    ``n_draws`` times, with subsets from ``draw_subsets(seed)``; each (draw, fold) runs on one of ``workers``
    threads.
    """
    data = moments.data
    folds = data.fold_ids
    subsets = draw_subsets({k: data.allowed(frozenset({k})) for k in folds}, sizes, n_draws, seed)
    gallery = fold_galleries(data, {(m, t, k): views[(m, t, k)] for m in rules for t in data.models for k in folds})
    # Each distinct probe image mapped once.
    probes = {(s, k): data.vectors[s][data.fold_images(k, second=False).rows] for s in data.models for k in folds}
    fold_views = {(m, k): {t: views[(m, t, k)] for t in data.models} for m in rules for k in folds}
    tick = Ticker(progress, "sample_size", len(data.models) * len(subsets))

    def one_fold(unit: tuple[int, int]) -> list[tuple[tuple[str, str, str, int, int], np.ndarray]]:
        """Scores of draw ``d``'s subsets of fold ``k``, grown in n: ((source, target, method, n, d), scores)."""
        d, k = unit
        probe_of_pair = data.fold_images(k, second=False).a  # each pair's row in probes
        out = []
        grown = GrowingMoments(data)
        for n in sorted(n for n in sizes if (d, k, n) in subsets):
            rows = subsets[(d, k, n)]
            grown.add(rows[grown.n :])  # nested in n: only the new images
            for source in data.models:
                xa = probes[(source, k)]
                for method, (centred, alpha) in rules.items():
                    for target, viewed in _mapped(grown, source, rows, xa, centred, alpha, fold_views[(method, k)]):
                        fold_scores = scores_against(viewed[probe_of_pair], gallery[(method, target, k)])
                        out.append(((source, target, method, n, d), fold_scores))
                tick()
        return out

    units = [(d, k) for d in range(n_draws) for k in folds]
    scores: dict[tuple[str, str, str, int, int], FoldScores] = {}
    for (_, k), part in zip(units, map_threads(one_fold, units, workers), strict=True):
        for key, fold_scores in part:
            scores.setdefault(key, FoldScores(data.pairs)).put(k, fold_scores)
    grouped: dict[tuple[str, str, str, int], list[float]] = {}
    for (s, t, m, n, _), fs in scores.items():
        grouped.setdefault((s, t, m, n), []).append(100 * fs.result().mean)
    models, methods = list(data.models), list(rules)

    def order(key: tuple[str, str, str, int]) -> tuple[int, int, int, int]:  # source, n, method, target
        s, t, m, n = key
        return models.index(s), n, methods.index(m), models.index(t)

    return [SizePoint(s, t, m, n, tuple(grouped[(s, t, m, n)])) for s, t, m, n in sorted(grouped, key=order)]


def _mapped(
    grown: GrowingMoments,
    source: str,
    rows: np.ndarray,
    xa: np.ndarray,
    centred: bool,
    alpha: float | None,
    views: Mapping[str, TargetView | None],
) -> Iterator[tuple[str, np.ndarray]]:
    """(target, ``views[target]`` of the mapped ``xa``) for every other model: ridge (bias on centred rows when
    ``centred``; ``alpha``, or by GCV when None) fitted on the images ``rows``, which ``grown`` holds.

    Fitted by ``maps.RidgeToTargets``: fewer images than dimensions from the rows (dual), more from ``grown``'s
    statistics (no pass over the rows per target). The mapped rows are ``left @ right + mean_y`` with ``left``
    shared by all targets; ``view_of_product`` applies the view (folded into ``right`` when that has fewer rows
    than ``xa``).
    """
    data = grown.data
    primal = len(rows) > data.dim(source)
    # The primal fits read the source's statistics; only the dual ones read its rows.
    source_side = grown.stats(source, source) if primal else data.vectors[source][rows]
    maps = RidgeToTargets(source_side, xa, alpha, centered=centred)
    for target in data.models:
        if target == source:
            continue
        right, mean_y = maps.target(grown.stats(source, target) if primal else data.vectors[target][rows])
        yield target, view_of_product(maps.left, right, mean_y, views[target])
