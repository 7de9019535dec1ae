"""Honest selection of the study's constants on LFW View 1, never on View 2.

LFW's View 1 is its development view: ``pairsDevTrain.txt`` (2,200 pairs) and ``pairsDevTest.txt`` (1,000 pairs),
people-disjoint. Here they are two folds (DevTrain = fold 0, DevTest = fold 1) of one protocol, so each fold's maps
and scoring views are fitted only on images of people outside the pairs they are scored on (``FoldTask``), and the
accuracy threshold of each fold is chosen on the other. Every candidate is judged with the headline's criterion: the
penalty of the cross accuracy against the target's native plain-cosine accuracy, its median and its worst over all
maps. Near ties go to the simpler, more robust candidate (maps are judged on data we do not have: LFW-trained maps
lost two to three times their LFW penalty on two other sets, the whitened view's gain held on one only).

Order: ``WHITEN_SHRINK`` (affine_whitened), the kernel's gamma then its landmark count (kernel_whitened, in the
chosen whitening), ``CURVE_METHOD`` among the affine ridge methods, then the headline method among all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

import facebridge
from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.shared.data import study_data
from facebridge.experiments.shared.parallel import check_workers
from facebridge.experiments.verification.methods import CURVE_METHODS, StudyMethod, get_method, target_view
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.penalty import run_penalty
from facebridge.experiments.verification.tables import native_rows
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import TargetView
from facebridge.protocols import PairList, parse_lfw_pairs, person_of

#: The View 1 files, in fold order.
VIEW1_FILES = ("pairsDevTrain.txt", "pairsDevTest.txt")
CHOSEN_ON = "LFW View 1: pairsDevTrain.txt and pairsDevTest.txt as two people-disjoint folds (never View 2)"
CRITERION = (
    "the lowest median penalty against the target's native plain-cosine accuracy over all maps; candidates within "
    "{median:.2f} points of that median whose worst map is within {worst:.2f} points of the best's worst are near "
    "ties, and the simplest of them is chosen ({order})"
)
#: Near-tie band in points (View 1 has 3,200 pairs: one pair is 0.03 points, a fold's accuracy a binomial ~0.2).
TIE_MEDIAN = 0.1
TIE_WORST = 0.3


@dataclass(frozen=True)
class Grids:
    """Candidates, each listed simplest first (the order near ties are broken in)."""

    shrinks: tuple[float, ...] = (1.0, 0.3, 0.1, 0.03, 0.01)  # more shrinkage: closer to plain centring
    gammas: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)  # smaller: smoother, closer to the linear map
    landmarks: tuple[int, ...] = (512, 1024, 2048)  # fewer: cheaper, fewer parameters
    #: Headline candidates, simplest and most robust first: plain cosine, then centring, whitening, nonlinear.
    headline: tuple[str, ...] = (
        "ridge_study", "procrustes", "affine_cv", "affine_centred", "affine_whitened", "kernel_whitened"
    )  # fmt: skip
    start_landmarks: int = 1024


FULL_GRIDS = Grids()


def view1_pairs(dev_train: PairList, dev_test: PairList) -> PairList:
    """One two-fold protocol: ``dev_train`` as fold 0, ``dev_test`` as fold 1. InvalidInputError when they share
    people (a fold's maps would then train on the people they are scored on)."""
    shared = {person_of(i) for i in dev_train.ids()} & {person_of(i) for i in dev_test.ids()}
    if shared:
        raise InvalidInputError(f"View 1 train and test pairs share {len(shared)} people (e.g. {min(shared)!r})")
    parts = (dev_train, dev_test)
    return PairList(
        np.concatenate([p.id_a for p in parts]),
        np.concatenate([p.id_b for p in parts]),
        np.concatenate([p.same for p in parts]),
        np.concatenate([np.full(p.n, k) for k, p in enumerate(parts)]),
        "lfw-view1",
    )


def read_view1(lfw_dir: Path) -> PairList:
    """LFW View 1 from ``lfw_dir`` (the folder holding the pair files); View 2's ``pairs.txt`` is never opened."""
    return view1_pairs(*(parse_lfw_pairs(lfw_dir / name) for name in VIEW1_FILES))


class Variant(StudyMethod):
    """A study method with one constant changed, under its own key: ``options`` replace a kernel method's options,
    ``shrink`` its whitening's."""

    def __init__(self, base: StudyMethod, *, shrink: float | None = None, **options: Any) -> None:
        super().__init__(base.seed, quick=base.quick)
        self.base, self.shrink = base, shrink
        if options:
            base.options = {**base.options, **options}  # type: ignore[attr-defined]
        changed = {**options, **({} if shrink is None else {"shrink": shrink})}
        key = base.info.key + "".join(f"[{k}={v:g}]" for k, v in changed.items())
        self.info = replace(base.info, key=key, params={**base.info.params, **changed})

    def fit(self, task: FoldTask) -> Any:
        return self.base.fit(task)

    def view(self, task: FoldTask) -> TargetView | None:
        return self.base.view(task) if self.shrink is None else target_view(task, "whitened", self.shrink)


@dataclass(frozen=True)
class Score:
    """One candidate on View 1: penalty vs plain native (median, worst), absolute cross accuracy (median, worst)."""

    median: float
    worst: float
    worst_map: str
    cross_median: float
    cross_worst: float
    n_maps: int


def choose(scores: Sequence[Score]) -> int:
    """Index of the chosen candidate: the simplest (first) near tie of the lowest median (see ``CRITERION``)."""
    best = min(range(len(scores)), key=lambda i: (scores[i].median, scores[i].worst, i))
    for i, s in enumerate(scores):
        if s.median <= scores[best].median + TIE_MEDIAN and s.worst <= scores[best].worst + TIE_WORST:
            return i
    return best  # unreachable: the best is its own near tie


def _entry(values: Sequence[Any], scores: Sequence[Score], order: str, used_by: list[str]) -> dict[str, Any]:
    chosen = choose(scores)
    best = min(range(len(scores)), key=lambda i: (scores[i].median, scores[i].worst, i))
    return {
        "value": values[chosen],
        "chosen_on": CHOSEN_ON,
        "criterion": CRITERION.format(median=TIE_MEDIAN, worst=TIE_WORST, order=order),
        "candidates": list(values),
        "score": "median penalty vs plain native, points",
        "scores": [round(s.median, 4) for s in scores],
        "worst": [round(s.worst, 4) for s in scores],
        "worst_map": [s.worst_map for s in scores],
        "cross_median": [round(s.cross_median, 4) for s in scores],
        "cross_worst": [round(s.cross_worst, 4) for s in scores],
        "lowest_median": values[best],
        "tie_broken": chosen != best,
        "used_by": used_by,
    }


class Selector:
    """Scores candidate methods on one View 1 study (memoised by key); ``progress(stage)`` after each run."""

    def __init__(self, sets: Mapping[str, EmbeddingSet], pairs: PairList, seed: int = 0, workers: int = 1) -> None:
        self.data = study_data(sets, pairs)
        self.moments = GroupMoments(self.data, threads=workers)
        self.workers = workers
        self.plain = {r["model"]: r["mean"] for r in native_rows(self.data)}
        self.seed = seed
        self.scores: dict[str, Score] = {}

    def score(self, methods: Sequence[StudyMethod]) -> list[Score]:
        todo = [m for m in methods if m.info.key not in self.scores]
        if todo:
            for key, rows in _by_method(run_penalty(self.moments, todo, workers=self.workers)).items():
                pen = np.array([self.plain[r.target] - 100 * r.cross.mean for r in rows])
                cross = np.array([100 * r.cross.mean for r in rows])
                worst = rows[int(np.argmax(pen))]
                self.scores[key] = Score(
                    float(np.median(pen)), float(pen.max()), f"{worst.source} → {worst.target}",
                    float(np.median(cross)), float(cross.min()), len(rows),
                )  # fmt: skip
        return [self.scores[m.info.key] for m in methods]

    def method(self, key: str, **changes: Any) -> StudyMethod:
        base = get_method(key, self.seed)
        return Variant(base, **changes) if changes else base


def _by_method(results: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in results:
        out.setdefault(r.method, []).append(r)
    return out


def select_constants(
    sets: Mapping[str, EmbeddingSet],
    pairs: PairList,
    *,
    grids: Grids = FULL_GRIDS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Choose ``WHITEN_SHRINK``, the kernel's ``gamma`` and ``landmarks``, ``CURVE_METHOD`` and the headline method
    on ``pairs`` (View 1, see ``view1_pairs``) with ``sets`` (model -> embeddings of its images and the pool).

    Returns the selection record: name -> entry (value, chosen_on, criterion, candidates and their scores), the
    form of the study results' ``meta.selection``.
    """
    sel = Selector(sets, pairs, seed, check_workers(workers))
    say = progress or (lambda stage: None)
    out: dict[str, Any] = {"WHITEN_SHRINK": _shrink_entry(sel, grids)}
    shrink = out["WHITEN_SHRINK"]["value"]
    say("shrink")

    def kernel(gamma: float, landmarks: int) -> StudyMethod:
        return sel.method("kernel_whitened", shrink=shrink, gamma=gamma, landmarks=landmarks)

    gammas = [kernel(g, grids.start_landmarks) for g in grids.gammas]
    out["KERNEL_GAMMA"] = _entry(
        list(grids.gammas), _one_by_one(sel, gammas, say, "gamma"), "smaller gamma (smoother) first",
        ["kernel_whitened"],
    )  # fmt: skip
    out["KERNEL_GAMMA"]["at"] = {"landmarks": grids.start_landmarks, "shrink": shrink}
    gamma = out["KERNEL_GAMMA"]["value"]
    landmarks = [kernel(gamma, n) for n in grids.landmarks]
    out["KERNEL_LANDMARKS"] = _entry(
        list(grids.landmarks), _one_by_one(sel, landmarks, say, "landmarks"), "fewer landmarks first",
        ["kernel_whitened"],
    )  # fmt: skip
    out["KERNEL_LANDMARKS"]["at"] = {"gamma": gamma, "shrink": shrink}
    chosen_kernel = kernel(gamma, out["KERNEL_LANDMARKS"]["value"])

    def best_of(key: str) -> StudyMethod:
        if key == "affine_whitened":
            return sel.method(key, shrink=shrink)
        return chosen_kernel if key == "kernel_whitened" else sel.method(key)

    curve = [k for k in grids.headline if k in CURVE_METHODS]
    out["CURVE_METHOD"] = _entry(curve, sel.score([best_of(k) for k in curve]), " < ".join(curve), [])
    out["headline_method"] = _entry(
        list(grids.headline), sel.score([best_of(k) for k in grids.headline]), " < ".join(grids.headline), []
    )
    say("methods")
    return out


def _shrink_entry(sel: Selector, grids: Grids) -> dict[str, Any]:
    """The ``WHITEN_SHRINK`` entry: every shrink of the grid scored with affine_whitened."""
    methods = [sel.method("affine_whitened", shrink=s) for s in grids.shrinks]
    return _entry(
        list(grids.shrinks), sel.score(methods), "more shrinkage first", ["affine_whitened", "kernel_whitened"]
    )


def _one_by_one(sel: Selector, methods: list[StudyMethod], say: Callable[[str], None], stage: str) -> list[Score]:
    """Score kernel candidates one run each: a run then computes each (source, fold) basis once for all targets."""
    scores = []
    for m in methods:
        scores += sel.score([m])
        say(f"{stage} {m.info.key}")
    return scores


#: The record the command writes (package data): the study attaches its entries to ``meta.selection``.
RECORD_PATH = Path(__file__).with_name("selection_lfw_view1.json")


def view1_record(
    sets: Mapping[str, EmbeddingSet], lfw_dir: Path, *, command: str, grids: Grids = FULL_GRIDS, seed: int = 0,
    progress: Callable[[str], None] | None = None, workers: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Select on LFW View 1 from ``lfw_dir`` and describe the run: the JSON record ``RECORD_PATH`` holds."""
    start = time.perf_counter()
    pairs = read_view1(lfw_dir)
    entries = select_constants(sets, pairs, grids=grids, seed=seed, progress=progress, workers=workers)
    view1 = set(pairs.ids())
    view2 = set(parse_lfw_pairs(lfw_dir / "pairs.txt").ids()) if (lfw_dir / "pairs.txt").exists() else set()
    n_models = len(sets)
    return {
        "command": command,
        "facebridge_version": facebridge.__version__,
        "seed": seed,
        "duration_s": round(time.perf_counter() - start, 1),
        "protocol": {
            "pairs": pairs.n,
            "folds": pairs.n_folds,
            "files": {name: int((pairs.fold == k).sum()) for k, name in enumerate(VIEW1_FILES)},
            "n_images": len(set.intersection(*(set(es.ids) for es in sets.values()))),
            "models": list(sets),
            "n_maps": n_models * (n_models - 1),
            # Only the ids of pairs.txt are read, to count the overlap; its labels and folds never are.
            "view2_overlap": f"{len(view1 & view2)} of the {len(view1)} View 1 pair images also appear in some "
            "View 2 pair (LFW's two views share images); their View 2 labels and folds are never read.",
        },
        "entries": entries,
    }


def recorded_selection(path: Path = RECORD_PATH) -> dict[str, Any]:
    """The entries of the selection record (``{}`` when none was written), for ``meta.selection``."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["entries"]


def rerun_shrink(
    record: dict[str, Any], sets: Mapping[str, EmbeddingSet], pairs: PairList, *, command: str, reason: str,
    grids: Grids = FULL_GRIDS, workers: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """``record`` with its ``WHITEN_SHRINK`` entry re-chosen on ``pairs`` (View 1, ``read_view1``; same seed, same
    criterion) and the re-run
    described under ``reruns``; the other entries are kept as they were. When the value changes, the kernel entries
    (chosen at the old shrink) are stale: InvalidInputError says to re-run the whole selection instead."""
    start = time.perf_counter()
    old = record["entries"]["WHITEN_SHRINK"]
    entry = _shrink_entry(Selector(sets, pairs, record["seed"], check_workers(workers)), grids)
    if entry["value"] != old["value"]:
        raise InvalidInputError(
            f"WHITEN_SHRINK changes from {old['value']} to {entry['value']}: the kernel's constants were chosen at the "
            "old value, so re-run the whole selection (without --only-shrink)"
        )
    rerun = {
        "entry": "WHITEN_SHRINK",
        "command": command,
        "facebridge_version": facebridge.__version__,
        "duration_s": round(time.perf_counter() - start, 1),
        "reason": reason,
        "previous_scores": old["scores"],
        "value_held": True,
    }
    entries = {**record["entries"], "WHITEN_SHRINK": entry}
    return {**record, "entries": entries, "reruns": [*record.get("reruns", []), rerun]}
