"""The canonical-space study: what one space shared by every model costs against a direct map per pair.

Every fold's space (and every direct map it is compared with) is fitted on the images of people outside that fold,
from one set of joint statistics: all images' less the fold's people's (``JointStats.without``). Scores follow the
study: cross mode is ``id_a`` mapped from A against B's own ``id_b`` (the route A -> canonical -> B); both mode puts
A's ``id_a`` and B's ``id_b`` into the canonical space; the penalty is B's native plain-cosine accuracy minus it, in
points. The candidate (method, dim) is chosen on LFW View 1 (two people-disjoint folds), never on View 2.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

from facebridge.experiments.shared.data import StudyData
from facebridge.experiments.shared.scoring import FoldScores, cosines
from facebridge.maps import LinearMap, ProcrustesMap, RidgeMap, SufficientStats
from facebridge.maps.canonical import CanonicalSpace, JointStats
from facebridge.vectors import unit_rows

#: ``say(line)``: one progress line.
Say = Callable[[str], None]
#: Which direct pairwise map each method is held against (the study's ridge map; Procrustes for the rotations).
FAMILY = {"hub": "ridge", "gpa": "procrustes", "maxvar": "ridge"}


@dataclass(frozen=True)
class Candidate:
    """One canonical space to try: method, width (None: the hub's own) and hub model."""

    method: str
    dim: int | None = None
    hub: str | None = None

    @property
    def key(self) -> str:
        return "-".join(str(p) for p in (self.method, self.hub, self.dim) if p is not None)

    def make(self, alpha: float, pca: int | None = None) -> CanonicalSpace:
        """The space, ``pca`` applying to maxvar only."""
        return CanonicalSpace(
            method=self.method, dim=self.dim, hub=self.hub, alpha=alpha, pca=pca if self.method == "maxvar" else None
        )


@dataclass(frozen=True)
class CanonSettings:
    """The study's grid: ``dims`` for gpa and maxvar, every model (or ``hubs``) as a hub, one ridge ``alpha``,
    maxvar on each model's top-``pca`` principal axes; View 2 scores the best of each method on View 1 (every
    (method, dim) on View 1 reported); identification splits people into ``id_splits`` halves (each searched with a
    space fitted without them), seeded by ``seed``; leave-one-out leaves out each model (or each of ``loo_models``)."""

    methods: tuple[str, ...] = ("hub", "gpa", "maxvar")
    dims: tuple[int, ...] = (128, 256, 512)
    alpha: float = 1.0
    pca: int | None = 256
    id_splits: int = 2
    seed: int = 0
    hubs: tuple[str, ...] | None = None
    loo_models: tuple[str, ...] | None = None

    def candidates(self, models: Sequence[str]) -> list[Candidate]:
        """Every (method, dim), and every model (or each of ``hubs``) as a hub."""
        hubs = models if self.hubs is None else self.hubs
        out = [Candidate("hub", None, m) for m in hubs] if "hub" in self.methods else []
        return out + [Candidate(m, d) for m in self.methods if m != "hub" for d in self.dims]


def rows32(data: StudyData, rows: np.ndarray | slice = slice(None)) -> dict[str, np.ndarray]:
    """The models' rows in float32: products accumulate in float64 either way (``maps.stats``), 3x faster."""
    return {m: v[rows].astype(np.float32) for m, v in data.vectors.items()}


def all_stats(data: StudyData) -> JointStats:
    """Joint statistics of every image (the study's rows are unit vectors already)."""
    return JointStats.from_arrays(rows32(data), normalize=True)


def fold_stats(data: StudyData, total: JointStats) -> dict[int, JointStats]:
    """Fold -> joint statistics of every image whose person is not in the fold: ``total`` less the fold's people's."""
    out = {}
    for k in data.fold_ids:
        inside = data.in_fold(k)
        out[k] = total.without(JointStats.from_arrays(rows32(data, inside), normalize=True))
    return out


def _pairs(models: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for a in models for b in models if a != b]


def native(data: StudyData) -> dict[str, float]:
    """Model -> plain-cosine accuracy (percent)."""
    out = {}
    for m in data.models:
        scores = FoldScores(data.pairs)
        for k in data.fold_ids:
            rows = data.pairs.fold == k
            scores.put(k, cosines(data.vectors[m][data.row_a[rows]], data.vectors[m][data.row_b[rows]]))
        out[m] = 100 * scores.result().mean
    return out


def through(space: CanonicalSpace, source: str, target: str) -> Callable[[np.ndarray], np.ndarray]:
    """Rows of ``source`` -> canonical -> ``target``: ``space.route(source, target)`` applied as its two maps (the
    same numbers, without multiplying the (d_source, d) and (d, d_target) matrices for every pair)."""
    return lambda x: space.decode(space.encode(x, source), target)


def _score_routes(
    data: StudyData, fits: dict[int, Any], route: Callable[[Any, str, str], Callable[[np.ndarray], np.ndarray]],
    pairs: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], float]:
    """(A, B) -> cross-mode accuracy (percent) of ``route(fit, A, B)`` (a function of A's rows) on every fold."""
    out = {}
    for a, b in pairs:
        scores = FoldScores(data.pairs)
        for k in data.fold_ids:
            rows = data.pairs.fold == k
            mapped = unit_rows(route(fits[k], a, b)(data.vectors[a][data.row_a[rows]]))
            scores.put(k, cosines(mapped, data.vectors[b][data.row_b[rows]]))
        out[(a, b)] = 100 * scores.result().mean
    return out


def _score_both(
    data: StudyData, spaces: dict[int, CanonicalSpace], pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], float]:
    """(A, B) -> accuracy (percent) with A's ``id_a`` and B's ``id_b`` both in the canonical space."""
    out = {}
    for a, b in pairs:
        scores = FoldScores(data.pairs)
        for k in data.fold_ids:
            rows, s = data.pairs.fold == k, spaces[k]
            ea = unit_rows(s.encode(data.vectors[a][data.row_a[rows]], a))
            scores.put(k, cosines(ea, unit_rows(s.encode(data.vectors[b][data.row_b[rows]], b))))
        out[(a, b)] = 100 * scores.result().mean
    return out


def _source_eigh(stats: SufficientStats, centered: bool) -> tuple[np.ndarray, np.ndarray]:
    return stats.source_eigh(centered=centered)


def _direct_fits(stats: JointStats, family: str) -> dict[tuple[str, str], LinearMap]:
    """(A, B) -> the direct map of ``family`` on ``stats``; a source's scatter is decomposed once for its targets."""
    out: dict[tuple[str, str], LinearMap] = {}
    for a in stats.models:
        first: SufficientStats | None = None
        for b in stats.models:
            if a == b:
                continue
            pair = stats.pair(a, b)
            if family == "procrustes":
                out[(a, b)] = ProcrustesMap().fit_stats(pair)
                continue
            if first is None:
                first = pair
            else:
                pair.with_source_eigh(partial(_source_eigh, first))
            out[(a, b)] = RidgeMap().fit_stats(pair)
    return out


def direct_accuracy(
    data: StudyData, stats: dict[int, JointStats], families: Sequence[str]
) -> dict[str, dict[tuple[str, str], float]]:
    """Family -> (A, B) -> cross accuracy of the direct map fitted on the same fold statistics."""
    out = {}
    for family in families:
        fits = {k: _direct_fits(stats[k], family) for k in data.fold_ids}
        out[family] = _score_routes(data, fits, lambda f, a, b: f[(a, b)].transform, _pairs(data.models))
    return out


def penalties(native_acc: dict[str, float], acc: dict[tuple[str, str], float]) -> dict[str, float]:
    """``"A->B"`` -> B's native accuracy minus ``acc`` (points)."""
    return {f"{a}->{b}": native_acc[b] - v for (a, b), v in acc.items()}


def summary(route: dict[str, float], direct: dict[str, float] | None) -> dict[str, float]:
    """Medians of a candidate's route penalties, of the direct maps', and of their per-pair difference."""
    if direct is None:
        return {"median_route": statistics.median(route.values())}
    return {
        "median_route": statistics.median(route.values()),
        "median_direct": statistics.median(direct.values()),
        "median_gap": statistics.median(route[p] - direct[p] for p in route),
        "worst_gap": max(route[p] - direct[p] for p in route),
    }


def evaluate(
    data: StudyData, stats: dict[int, JointStats], candidates: Sequence[Candidate], settings: CanonSettings,
    say: Say, compare: bool = True,
) -> dict[str, Any]:
    """Route and both-mode penalties of every candidate, against the direct maps of its family (``compare``)."""
    nat = native(data)
    families = sorted({FAMILY[c.method] for c in candidates}) if compare else []
    direct = {f: penalties(nat, acc) for f, acc in direct_accuracy(data, stats, families).items()}
    out: dict[str, Any] = {"native": nat, "direct": direct, "candidates": {}}
    for cand in candidates:
        spaces = {k: cand.make(settings.alpha, settings.pca).fit_stats(stats[k]) for k in data.fold_ids}
        route = penalties(nat, _score_routes(data, spaces, through, _pairs(data.models)))
        both = penalties(nat, _score_both(data, spaces, _pairs(data.models)))
        family = FAMILY[cand.method]
        row = {**asdict(cand), "family": family, "route": route, "both": both,
               **summary(route, direct.get(family)), "median_both": statistics.median(both.values())}
        out["candidates"][cand.key] = row
        against = f" (direct {family} {row['median_direct']:.2f})" if family in direct else ""
        say(f"{cand.key}: route median {row['median_route']:.2f}{against}, both {row['median_both']:.2f}")
    return out


def choose(view1: dict[str, Any], method: str | None = None) -> str:
    """The View 1 candidate (of ``method``, or of any) with the lowest median route penalty (ties: the first)."""
    rows = {k: r for k, r in view1["candidates"].items() if method in (None, r["method"])}
    return min(rows, key=lambda key: rows[key]["median_route"])
