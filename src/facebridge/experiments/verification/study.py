"""The study end to end: native accuracy, the penalty matrix of every method, cross vs both modes, sample-size and
rank curves with their summaries, as one JSON-ready result (the contract the reports read).

Every fold's map, penalty and scoring view is learnt from people outside that fold (``FoldTask``); everything is
deterministic given ``seed``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import facebridge
from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.shared.data import study_data
from facebridge.experiments.shared.parallel import check_workers
from facebridge.experiments.shared.threads import blas_threads as limit_blas
from facebridge.experiments.verification.curves import TOLERANCE_POINTS
from facebridge.experiments.verification.methods import (
    CURVE_METHOD,
    CURVE_METHODS,
    DEFAULT_METHODS,
    QUICK_METHODS,
    StudyMethod,
    get_method,
)
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.penalty import Progress, run_penalty, target_views
from facebridge.experiments.verification.rank import RANKS, run_rank
from facebridge.experiments.verification.sample_size import (
    AFFINE_GCV,
    ALL,
    SIZES,
    STUDY_RULE,
    SizePoint,
    run_sample_size,
)
from facebridge.experiments.verification.selection import recorded_selection
from facebridge.experiments.verification.tables import modes_rows, native_rows, penalty_rows, rank_rows, size_rows
from facebridge.protocols import PairList, video_embeddings
from facebridge.protocols.ytf import VIDEO_AGGREGATION

log = logging.getLogger(__name__)

STUDY_REFERENCE = {
    "max_penalty_points": 1.0,
    "n_maps": 12,
    "pairs_needed": 500,
    "rank": 64,
    "text": "Common CNN-based Face Embedding Spaces are (Almost) Equivalent (2020)",
}
TARGETS = {"median_penalty_points": 0.3, "worst_penalty_points": 1.0, "n_within_0_5": 200, "rank_within_0_5": 32}


@dataclass(frozen=True)
class StudySettings:
    """How much of each sweep to run: training-set sizes and draws, and map ranks."""

    sizes: tuple[int, ...]
    n_draws: int
    ranks: tuple[int, ...]


FULL = StudySettings(SIZES, 5, RANKS)
QUICK = StudySettings((50, 200, 1000), 2, (16, 32, 64))


@dataclass(frozen=True)
class StudyResults:
    """One protocol's results as plain data (see ``to_dict``), plus the YTF results when that protocol ran too."""

    meta: dict[str, Any]
    native: list[dict[str, Any]]
    penalty: list[dict[str, Any]]
    modes: list[dict[str, Any]]
    sample_size: list[dict[str, Any]]
    sample_size_summary: list[dict[str, Any]]
    rank: list[dict[str, Any]]
    rank_summary: list[dict[str, Any]]
    ytf: StudyResults | None = field(default=None)
    privacy: dict[str, Any] | None = field(default=None)
    upgrade: dict[str, Any] | None = field(default=None)

    def with_ytf(self, ytf: StudyResults) -> StudyResults:
        """These results with ``ytf`` attached as the YouTube Faces section."""
        return replace(self, ytf=ytf)

    def with_privacy(self, audit: dict[str, Any]) -> StudyResults:
        """These results with a privacy audit (``experiments.audit_run.run_audit``'s dict) attached."""
        return replace(self, privacy=audit)

    def with_upgrade(self, upgrade: dict[str, Any]) -> StudyResults:
        """These results with a model-upgrade study (``experiments.upgrade.upgrade_study``'s dict) attached."""
        return replace(self, upgrade=upgrade)

    def _body(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "native": self.native,
            "penalty": self.penalty,
            "modes": self.modes,
            "sample_size": self.sample_size,
            "sample_size_summary": self.sample_size_summary,
            "rank": self.rank,
            "rank_summary": self.rank_summary,
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready results contract: accuracies in percent, penalties in points."""
        return {
            **self._body(),
            "study_reference": dict(STUDY_REFERENCE),
            "targets": dict(TARGETS),
            "ytf": None if self.ytf is None else self.ytf._body(),
            "privacy": self.privacy,
            "upgrade": self.upgrade,
        }


def _timed(timings: dict[str, float], stage: str, start: float) -> float:
    now = time.perf_counter()
    timings[stage] = round(now - start, 2)
    log.info("study stage %s: %.1f s", stage, now - start)
    return now


def run_study(
    sets: Mapping[str, EmbeddingSet],
    pairs: PairList,
    *,
    quick: bool = False,
    seed: int = 0,
    methods: Sequence[str] | None = None,
    curve_method: str = CURVE_METHOD,
    progress: Progress | None = None,
    blas_threads: int | None = 1,
    workers: int | None = None,
) -> StudyResults:
    """Run every experiment of the study on ``sets`` (model name -> embeddings of the pairs' images and the pool).

    Parameters
    ----------
    pairs : the protocol (LFW View 2, YTF splits at video level, or any fold-structured pair list).
    quick : fewer sample sizes, draws and ranks (``QUICK`` instead of ``FULL``) and, by default, ``QUICK_METHODS``;
        the penalty matrix is complete for the methods run.
    seed : seeds the sample-size draws and any randomly initialised method.
    methods : method keys for the penalty matrix (default ``DEFAULT_METHODS``, or ``QUICK_METHODS`` when quick);
        ``ridge_study`` and ``curve_method`` are added if absent (the sample-size curves end at their maps).
    curve_method : the method whose fitting rule, alpha and scoring view the rank sweep uses, and whose view the
        sample-size sweep scores its affine maps in (it must choose an ``alpha`` per fold).
    progress : ``progress(stage, done, total)``.
    blas_threads : BLAS threads while running (default 1, see ``facebridge.experiments.shared.threads``); None:
    unchanged.
    workers : threads running the study's independent units (sources; draws and folds), each with ``blas_threads``
        BLAS threads (default: the CPUs this process may use). The results do not depend on it.
    """
    workers = check_workers(workers)
    with limit_blas(blas_threads):
        return _run_study(sets, pairs, quick, seed, methods, curve_method, progress, workers)


def _run_study(
    sets: Mapping[str, EmbeddingSet],
    pairs: PairList,
    quick: bool,
    seed: int,
    methods: Sequence[str] | None,
    curve_method: str,
    progress: Progress | None,
    workers: int,
) -> StudyResults:
    start = t = time.perf_counter()
    settings = QUICK if quick else FULL
    if curve_method not in CURVE_METHODS:
        raise InvalidInputError(
            f"curve_method must be an affine ridge method with a per-fold alpha ({', '.join(CURVE_METHODS)}), "
            f"got {curve_method!r}"
        )
    keys = list(dict.fromkeys(methods or (QUICK_METHODS if quick else DEFAULT_METHODS)))
    keys += [k for k in (*STUDY_RULE, curve_method) if k not in keys]  # the curves end at their penalty-matrix maps
    chosen: list[StudyMethod] = [get_method(k, seed, quick=quick) for k in keys]
    timings: dict[str, float] = {}
    data = study_data(sets, pairs)
    moments = GroupMoments(data, threads=workers)
    t = _timed(timings, "moments", t)
    native = native_rows(data)
    plain = {r["model"]: r["mean"] for r in native}
    views = target_views(moments, chosen, workers)  # the rank and sample-size sweeps score in these views too
    results = run_penalty(moments, chosen, progress, workers, views)
    moments.forget(large=True)  # the kernel map's moments: no later stage reads them
    t = _timed(timings, "penalty", t)
    by_key = {(r.source, r.target, r.method): r for r in results}
    alphas = {(s, tg): [p["alpha"] for p in by_key[(s, tg, curve_method)].params] for s, tg, _ in by_key}
    rank_points = run_rank(
        moments,
        alphas,
        {(tg, k): view for (m, tg, k), view in views.items() if m == curve_method},
        settings.ranks,
        progress,
        workers,
    )
    t = _timed(timings, "rank", t)
    rules = {**STUDY_RULE, curve_method: AFFINE_GCV}
    size_points = run_sample_size(moments, views, rules, settings.sizes, settings.n_draws, seed, progress, workers)
    size_points += [
        SizePoint(r.source, r.target, r.method, ALL, (100 * r.cross.mean,)) for r in results if r.method in rules
    ]
    t = _timed(timings, "sample_size", t)
    sizes, size_summary = size_rows(size_points)
    ranks, rank_summary = rank_rows(rank_points)
    selection = recorded_selection()
    meta = {
        "protocol": pairs.name,
        "pairs": pairs.n,
        "folds": pairs.n_folds,
        "models": list(data.models),
        "quick": quick,
        "seed": seed,
        "metric": "cosine",
        "pool": "people",
        "n_pool_images": data.n,
        "duration_s": round(time.perf_counter() - start, 2),
        "timings_s": timings,
        "threads": workers,
        "facebridge_version": facebridge.__version__,
        "methods": {m.info.key: m.info.to_dict() for m in chosen},
        "settings": {"sizes": list(settings.sizes), "draws": settings.n_draws, "ranks": list(settings.ranks)},
        "notes": _notes(curve_method, selection),
    }
    if selection:
        meta["selection"] = selection
    return StudyResults(
        meta,
        native,
        penalty_rows(results, plain),
        modes_rows(results),
        sizes,
        size_summary,
        ranks,
        rank_summary,
    )


def _notes(curve_method: str, selection: dict[str, Any]) -> list[str]:
    chosen = (
        f"the fixed constants ({', '.join(selection)}) were chosen on LFW View 1 only (docs/selection.md), never on "
        "View 2, and so was faceplugin-512's BGR colour order (docs/colour_order.md); alpha is chosen per map and "
        "fold inside the training folds"
        if selection
        else "caveat: no View 1 selection record yet: the beyond-study constants (whitening shrink, kernel gamma and "
        "landmarks, the curve method) and faceplugin-512's BGR colour order were chosen earlier by looking at LFW "
        "View 2 test folds; run scripts/select_constants.py to re-choose them on View 1"
    )
    return [
        "every fold's map, its alpha and its scoring view use only images of people outside that fold",
        chosen,
        "penalty = native accuracy of the target in the method's scoring view - cross-mode accuracy; "
        "penalty_vs_plain compares with the target's plain-cosine native accuracy instead",
        f"rank curves: alpha and scoring view of {curve_method}; rank 'full' is that affine map",
        f"sample-size curves: ridge_study exactly as in the penalty matrix; {curve_method}'s affine map with alpha "
        "chosen by GCV on the n images themselves (too few to split by people), scored in its view; a subset never "
        "holds a test-fold person; n = 'all' is the penalty matrix's full-data map of each method",
        f"smallest n / rank within {TOLERANCE_POINTS} points: that budget and every larger one is within "
        f"{TOLERANCE_POINTS} points of the full-data (full-rank) median accuracy",
    ]


def run_ytf_study(
    frame_sets: Mapping[str, EmbeddingSet], pairs: PairList, *, aggregation: str = VIDEO_AGGREGATION, **kwargs: Any
) -> StudyResults:
    """The study on YouTube Faces: frames aggregated to one vector per video (``video_embeddings``), then
    ``run_study`` on the video-level sets with the YTF pairs (``parse_ytf_splits``); ``kwargs`` as run_study's."""
    videos = {m: video_embeddings(es, aggregation) for m, es in frame_sets.items()}
    results = run_study(videos, pairs, **kwargs)
    results.meta["aggregation"] = aggregation
    results.meta["notes"].append(f"one vector per video: the {aggregation} of its frames' vectors")
    return results
