"""Model upgrade: 1:N identification with a migrated gallery (self-test vs cross-test) and the operator's FAR.

For a source model A (the old system), a target model B (the new one), a map method and an
:class:`~facebridge.protocols.identification.IdentificationSplit`, each fold ``k`` is searched four ways
(:data:`SCENARIOS`, the convention of compatibility papers such as BCT): native B gallery + native B probes
(``self``), migrated A gallery + native B probes (``migrated_gallery``: the upgrade), native B gallery + mapped A
probes (``mapped_probes``) and native A (``old``). Fold ``k``'s map is fitted only on people outside fold ``k``. The
transition while both models run (:mod:`~facebridge.experiments.upgrade.transition`: score fusion of the old and
migrated galleries, progressive re-enrolment) adds the scenarios ``TRANSITION_SCENARIOS``.

Thresholds: the operator's threshold is the one giving FAR ``f`` on native B scores; the FAR and TAR it gives on the
upgrade's cross scores show the drift. The calibrated threshold is a cross-specific one at the same FAR, read off
cross scores of the *training* folds only, each scored with a map fitted without that fold (so the calibration
scores are out-of-sample for their map, as the test fold's are), and never off fold ``k``. Maps are fitted on rows
with each image's person as its group (``fit_rows``: a family that chooses alpha by cross-validation does so over
people), each set of left-out folds once, for every target of a source at once (:func:`source_fitters`: a family
with ``fit_many`` shares the source's work across targets). Optional extra corresponding pairs (``extra``: the
mirrored images, ``embed --corrupt flip``, under the same ids in their own stores) join a fit for its fitting
images only (:mod:`~facebridge.experiments.upgrade.extra_pairs`): no evaluation image's mirror enters a map scored
on it.
Scores of a fold for 1:1 thresholds: genuine = each mated probe against its enrolled image; impostor = every other
(probe, gallery) comparison, non-mated probes included.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.shared.advice import unresolved_rate_warnings
from facebridge.experiments.shared.checkpoint import cached, pair_key
from facebridge.experiments.upgrade.extra_pairs import common_extra_ids, fitting_rows
from facebridge.experiments.upgrade.transition import TRANSITION_SCENARIOS, transition_scores
from facebridge.experiments.verification.methods import chosen_params
from facebridge.maps import MapEstimator, fit_targets
from facebridge.protocols.identification import IdentificationSplit, identification_split
from facebridge.protocols.identification_metrics import FPIRS, identify, threshold_at
from facebridge.vectors import cosine_matrix

SCENARIOS = ("self", "migrated_gallery", "mapped_probes", "old")
#: The upgrade's map method, chosen on LFW View 1 people only (``scripts/upgrade_methods.py --people view1``, recorded
#: in ``selection_upgrade_view1.json``; never on the study's own folds), and the baseline ``reproduce`` reports
#: beside it.
UPGRADE_METHOD = "kernel"
UPGRADE_BASELINE = "affine_cv"
#: Every scenario a fold reports: the four above, then the transition's.
ALL_SCENARIOS = (*SCENARIOS, *TRANSITION_SCENARIOS)
FARS = (1e-3, 1e-2)
#: ``(stage, done, total)``, as the study's progress.
Progress = Callable[[str, float, float], None]
#: The folds a fit leaves out -> the map fitted on the images of every other fold.
Fitter = Callable[[frozenset[int]], MapEstimator]


@dataclass(frozen=True)
class FoldSpaces:
    """One fold's gallery, mated and non-mated probe vectors in both spaces, and the mates' gallery positions."""

    gallery: dict[str, np.ndarray]
    mated: dict[str, np.ndarray]
    nonmated: dict[str, np.ndarray]
    mate: np.ndarray


def _fold_spaces(
    a: EmbeddingSet, b: EmbeddingSet, split: IdentificationSplit, k: int, fitted: MapEstimator
) -> FoldSpaces:
    def spaces(ids: np.ndarray) -> dict[str, np.ndarray]:
        va = a.vectors_of(ids)
        return {"a": va, "b": b.vectors_of(ids), "mapped": fitted.transform(va).astype(np.float32)}

    return FoldSpaces(spaces(split.gallery(k)), spaces(split.mated(k)), spaces(split.nonmated(k)), split.mate_index(k))


def _scores(fs: FoldSpaces, scenario: str) -> tuple[np.ndarray, np.ndarray]:
    """(mated, non-mated) probe x gallery score matrices of ``scenario``."""
    gallery_space, probe_space = {
        "self": ("b", "b"),
        "migrated_gallery": ("mapped", "b"),
        "mapped_probes": ("b", "mapped"),
        "old": ("a", "a"),
    }[scenario]
    g = fs.gallery[gallery_space]
    return cosine_matrix(fs.mated[probe_space], g), cosine_matrix(fs.nonmated[probe_space], g)


def pair_scores(mated: np.ndarray, nonmated: np.ndarray, mate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(genuine, impostor) 1:1 scores of a fold's score matrices (see the module docstring)."""
    rows = np.arange(len(mate))
    genuine = mated[rows, mate]
    mask = np.ones(mated.shape, dtype=bool)
    mask[rows, mate] = False
    return genuine, np.concatenate([mated[mask], nonmated.ravel()])


def source_fitters(
    a: EmbeddingSet,
    targets: Mapping[str, EmbeddingSet],
    split: IdentificationSplit,
    make: Callable[[], MapEstimator],
    extra: tuple[EmbeddingSet, Mapping[str, EmbeddingSet]] | None = None,
) -> dict[str, Fitter]:
    """Per target name, the maps ``a`` -> target fitted on the images of every fold but the left-out ones (each
    image's person as its group); each set of left-out folds is fitted once, for all targets together
    (``fit_targets``), and memoised: fold ``k``'s calibration and fold ``j``'s share the map that leaves out both.
    ``extra``: ``a``'s extra set and each target's by name, whose rows of the fitting images join each fit
    (:func:`~facebridge.experiments.upgrade.extra_pairs.fitting_rows`)."""
    names = list(targets)
    more = None if extra is None else [extra[0], *(extra[1][t] for t in names)]

    @functools.cache
    def fit_all(exclude: frozenset[int]) -> dict[str, MapEstimator]:
        ids = split.ids[~np.isin(split.fold, sorted(exclude))]
        X, ys, groups = fitting_rows(ids, a, [targets[t] for t in names], more)
        fitted = fit_targets(make, X, ys, groups=groups)
        return dict(zip(names, fitted, strict=True))

    def fitter(name: str, exclude: frozenset[int]) -> MapEstimator:
        return fit_all(exclude)[name]

    return {t: functools.partial(fitter, t) for t in names}


def calibration_scores(
    a: EmbeddingSet, b: EmbeddingSet, split: IdentificationSplit, k: int, fitter: Fitter
) -> dict[str, np.ndarray]:
    """Impostor scores of every fold but ``k``, native (B, B), old (A, A) and cross (migrated A gallery, B probes),
    and the genuine scores of the last two (``old_genuine``, ``cross_genuine``), each fold ``j`` scored with
    ``fitter({j, k})``: a map fitted on the other folds. Never reads fold ``k``'s vectors."""
    out: dict[str, list[np.ndarray]] = {key: [] for key in ("native", "old", "cross", "old_genuine", "cross_genuine")}
    for j in range(split.n_folds):
        if j == k:
            continue
        fs = _fold_spaces(a, b, split, j, fitter(frozenset({j, k})))
        out["native"].append(pair_scores(*_scores(fs, "self"), fs.mate)[1])
        for key, scenario in (("old", "old"), ("cross", "migrated_gallery")):
            genuine, impostor = pair_scores(*_scores(fs, scenario), fs.mate)
            out[key].append(impostor)
            out[f"{key}_genuine"].append(genuine)
    return {key: np.concatenate(parts) for key, parts in out.items()}


def _rates(genuine: np.ndarray, impostor: np.ndarray, t: float) -> dict[str, float | int]:
    fa, ta = int((impostor >= t).sum()), int((genuine >= t).sum())
    return {"false_accepts": fa, "n_impostor": len(impostor), "true_accepts": ta, "n_genuine": len(genuine)}


def _pooled(rows: list[dict]) -> dict[str, Any]:
    """The folds' counts summed, the pooled FAR and TAR, and each fold's own threshold (thresholds do not pool)."""
    total = {key: sum(r[key] for r in rows) for key in ("false_accepts", "n_impostor", "true_accepts", "n_genuine")}
    return total | {
        "far": total["false_accepts"] / total["n_impostor"],
        "tar": total["true_accepts"] / total["n_genuine"],
        "fold_thresholds": [r["threshold"] for r in rows],
    }


def upgrade_experiment(
    a: EmbeddingSet,
    b: EmbeddingSet,
    split: IdentificationSplit,
    fitter: Fitter,
    *,
    method: str = "",
    fars: tuple[float, ...] = FARS,
    fpirs: tuple[float, ...] = FPIRS,
) -> dict:
    """Identification per scenario and fold, and the FAR drift before/after calibration, as plain data.

    ``a`` and ``b`` must hold every id of ``split``; ``fitter``: the maps ``a`` -> ``b`` by left-out folds
    (:func:`source_fitters`). Rates in ``thresholds`` pool the counts over folds; each fold records its map's
    chosen parameters (``alpha`` where it chooses one).
    """
    folds: list[dict] = []
    drift: dict[str, dict[str, list[dict]]] = {
        f"{f:g}": {"native": [], "uncalibrated": [], "calibrated": []} for f in fars
    }
    for k in range(split.n_folds):
        fitted = fitter(frozenset({k}))
        fs = _fold_spaces(a, b, split, k, fitted)
        scores = {s: _scores(fs, s) for s in SCENARIOS}
        calib = calibration_scores(a, b, split, k, fitter)
        scores |= transition_scores(fs.gallery, (fs.mated, fs.nonmated), scores, calib, seed=split.seed, fold=k)
        folds.append({s: identify(m, fs.mate, nm, fpirs=fpirs).to_dict() for s, (m, nm) in scores.items()})
        folds[-1] |= {"counts": split.counts(k), "map_params": chosen_params(fitted)}
        native = pair_scores(*scores["self"], fs.mate)
        cross = pair_scores(*scores["migrated_gallery"], fs.mate)
        for f in fars:
            t_native, t_cross = threshold_at(calib["native"], f), threshold_at(calib["cross"], f)
            row = drift[f"{f:g}"]
            row["native"].append(_rates(*native, t_native) | {"threshold": t_native})
            row["uncalibrated"].append(_rates(*cross, t_native) | {"threshold": t_native})
            row["calibrated"].append(_rates(*cross, t_cross) | {"threshold": t_cross})
    return {
        "source": a.fingerprint.model,
        "target": b.fingerprint.model,
        "method": method,
        "n_folds": split.n_folds,
        "seed": split.seed,
        "folds": folds,
        "summary": summarise(folds),
        "thresholds": {f: {mode: _pooled(rows) for mode, rows in modes.items()} for f, modes in drift.items()},
    }


def far_warnings(results: dict) -> list[str]:
    """:func:`~facebridge.experiments.shared.advice.unresolved_rate_warnings` for the FAR and TAR an upgrade study
    reports: each FAR target against the impostor comparisons its test folds pool (the fewest of any model pair)."""
    fewest: dict[str, tuple[int, int]] = {}
    for run in results["pairs"]:
        for far, modes in run["thresholds"].items():
            counts = (modes["native"]["n_impostor"], modes["native"]["n_genuine"])
            fewest[far] = min(fewest.get(far, counts), counts)
    return [
        line
        for far, (n_impostor, n_genuine) in fewest.items()
        for line in unresolved_rate_warnings(
            [float(far)], n_impostor, f"{n_genuine}/{n_impostor} genuine/impostor comparisons over the test folds"
        )
    ]


def summarise(folds: list[dict]) -> dict[str, dict[str, float]]:
    """Per scenario, the mean over folds of rank-1/5/10 and of the open- and closed-set DIR at each FPIR."""
    out: dict[str, dict[str, float]] = {}
    for s in (s for s in ALL_SCENARIOS if s in folds[0]):  # results written before the transition lack its keys
        rows = [f[s] for f in folds]
        values = {f"rank{r}": [row["cmc"][r] for row in rows] for r in rows[0]["cmc"]}
        for kind in ("dir_open", "dir_closed"):
            for fpir in rows[0][kind]:
                values[f"{kind}@{fpir}"] = [row[kind][fpir]["rate"] for row in rows]
        out[s] = {key: float(np.mean(v)) for key, v in values.items()}
    return out


def upgrade_study(
    sets: dict[str, EmbeddingSet],
    pairs: list[tuple[str, str]],
    fit: Callable[[], MapEstimator],
    *,
    method: str,
    n_folds: int = 5,
    seed: int = 0,
    open_fraction: float = 0.25,
    progress: Progress | None = None,
    checkpoint: Path | None = None,
    extra: Mapping[str, EmbeddingSet] | None = None,
) -> dict:
    """:func:`upgrade_experiment` for each (source, target) model pair of ``sets``, on one split of the ids every
    set shares; returns ``{"split": {...}, "pairs": [...]}``. ``progress("upgrade", done, total)`` after each pair;
    ``checkpoint``: a folder where finished pairs are kept
    (:func:`~facebridge.experiments.shared.checkpoint.cached`), so that an interrupted run resumes. ``extra``: per
    model of ``pairs``, a set of extra corresponding rows under the split's ids (the mirrored images): each map adds
    those of its fitting images
    (:func:`~facebridge.experiments.upgrade.extra_pairs.fitting_rows`); the evaluation is unchanged."""
    common = sorted(set.intersection(*(set(es.ids) for es in sets.values())))
    split = identification_split(
        np.array(common, dtype=object), n_folds=n_folds, seed=seed, open_fraction=open_fraction
    )
    ids_digest = hashlib.sha256("\n".join(common).encode()).hexdigest()
    settings: tuple = (method, repr(fit()), n_folds, seed, open_fraction, ids_digest)
    extra_ids = None if extra is None else common_extra_ids(common, extra, sorted({m for p in pairs for m in p}))
    if extra_ids is not None:  # results fitted with extra rows are kept apart from those fitted without
        settings += ("extra", hashlib.sha256("\n".join(extra_ids).encode()).hexdigest())
    runs, fitters, source = [], {}, None
    for i, (a, b) in enumerate(pairs):
        if a != source:  # the maps of one source to all its targets are fitted together, then dropped
            source = a
            targets = [t for s, t in pairs if s == a]
            more = None if extra is None else (extra[a], {t: extra[t] for t in targets})
            fitters = source_fitters(sets[a], {t: sets[t] for t in targets}, split, fit, more)

        def run(a: str = a, b: str = b, fitter: Fitter = fitters[b]) -> dict:
            return upgrade_experiment(sets[a], sets[b], split, fitter, method=method)

        runs.append(cached(checkpoint, f"upgrade-{a}-{b}-{pair_key('upgrade', sets[a], sets[b], settings)}", run))
        if progress is not None:
            progress("upgrade", i + 1, len(pairs))
    counts = [split.counts(k) for k in range(split.n_folds)]
    return {
        "split": {
            "n_images": len(common),
            "n_folds": n_folds,
            "seed": seed,
            "open_fraction": open_fraction,
            "per_fold": counts,
        }
        | ({} if extra_ids is None else {"n_extra": len(extra_ids)}),
        "pairs": runs,
    }
