"""The operator's answer: on their own photos, what a migrated gallery would lose against re-enrolling, per method
and adaptation, with a confidence interval, the calibrated threshold for their FAR, and a recommendation.

The photos are split by :func:`~facebridge.protocols.identification.identification_split` (people-disjoint folds:
a person's photos are all in one fold). For fold ``k`` each method's map is fitted on the other folds' people only
(plus a reference collection's images, e.g. LFW, when given), through the upgrade study's
:func:`~facebridge.experiments.upgrade.study.source_fitters`; the adaptations
(:mod:`facebridge.experiments.upgrade.adaptation`) are fitted on unlabelled templates: fold ``k``'s A gallery, the other
folds' B templates and cohorts.

- Rank-1 loss: re-enrolled rank-1 (B gallery, B probes) minus migrated rank-1 (adapted map of the A gallery, B
  probes), over every mated probe of every fold; its interval is a percentile bootstrap over people (seeded).
- Threshold: the score at which the cross impostor scores (migrated gallery vs B probes, every fold, each scored by a
  map fitted without it) give the target FAR; its check is the FAR each fold sees with the threshold read off the
  other folds only.
- Recommendation (:func:`recommend`): migrate with the candidate of least expected loss when that loss is within the
  tolerance, else re-enrol. The winner is picked on the same folds it is scored on, so its loss is slightly optimistic.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.upgrade.adaptation import AdaptedMigration, Deployment, Reference
from facebridge.experiments.upgrade.study import pair_scores, source_fitters
from facebridge.maps import make_map, map_class
from facebridge.protocols.identification import IdentificationSplit, identification_split
from facebridge.protocols.identification_metrics import mate_ranks, threshold_at
from facebridge.protocols.pairs import person_of
from facebridge.vectors import cosine_matrix

#: Below this many enrolled people (all folds) the interval is too wide to mean much: the report says so.
MIN_PEOPLE = 30
#: An interval wider than this many times the tolerance is flagged as not informative.
WIDE = 4.0


def _concat_sets(own: EmbeddingSet, reference: EmbeddingSet | None, prefix: str = "reference:") -> EmbeddingSet:
    """``own`` with ``reference``'s rows appended under prefixed ids (so that no reference id or person collides)."""
    if reference is None:
        return own
    ids = np.concatenate([own.ids, np.array([prefix + str(i) for i in reference.ids], dtype=object)])
    return EmbeddingSet(ids, np.vstack([own.vectors, reference.vectors]), own.fingerprint)


class _Fitters:
    """Fold ``k``'s map per method: fitted on the people outside fold ``k`` (and the reference's images)."""

    def __init__(self, a: EmbeddingSet, b: EmbeddingSet, split: IdentificationSplit, reference: tuple | None) -> None:
        self.a, self.b, self.split, self.reference = a, b, split, reference
        self._by_method: dict[str, Any] = {}
        self._reference: dict[tuple[str, int], Reference] = {}

    def __call__(self, method: str, k: int) -> tuple[Any, Reference]:
        if method not in self._by_method:
            if self.reference is None:
                fit_split, a, b = self.split, self.a, self.b
            else:  # reference images join every training pool: a fold of their own no test fold ever leaves out
                ra, rb = self.reference
                common = sorted(set(ra.ids) & set(rb.ids))
                ra, rb = ra.subset(common), rb.subset(common)
                a, b = _concat_sets(self.a, ra), _concat_sets(self.b, rb)
                extra = np.array(["reference:" + i for i in common], dtype=object)
                fit_split = IdentificationSplit(
                    np.concatenate([self.split.ids, extra]),
                    np.concatenate([self.split.fold, np.full(len(extra), self.split.n_folds)]),
                    np.concatenate([self.split.role, np.full(len(extra), "distractor", dtype=object)]),
                    self.split.seed,
                    self.split.open_fraction,
                )
            fitter = source_fitters(a, {"b": b}, fit_split, functools.partial(make_map, method))["b"]
            self._by_method[method] = (fitter, fit_split, a, b)
        fitter, fit_split, a, b = self._by_method[method]
        if (method, k) not in self._reference:
            train = fit_split.ids[fit_split.fold != k]
            self._reference[method, k] = Reference.of_rows(a.vectors_of(train), b.vectors_of(train))
        return fitter(frozenset({k})), self._reference[method, k]


def _fold(
    a: EmbeddingSet, b: EmbeddingSet, split: IdentificationSplit, k: int, migration: AdaptedMigration | None
) -> dict[str, np.ndarray]:
    """Fold ``k``: per mated probe, rank-1 hit (1/0) and person; and the 1:1 impostor scores of the search."""
    gallery, mated, nonmated, mate = split.gallery(k), split.mated(k), split.nonmated(k), split.mate_index(k)
    pb, nb = b.vectors_of(mated), b.vectors_of(nonmated)
    if migration is None:  # re-enrolled: native B gallery
        g = b.vectors_of(gallery)
        mated_s, nonmated_s = cosine_matrix(pb, g), cosine_matrix(nb, g)
    else:
        others = split.fold != k
        deployment = Deployment(  # B's statistics from other people's photos (shifted.py says why)
            a.vectors_of(gallery),
            b.vectors_of(split.ids[others]),
            a.vectors_of(split.ids[others & np.isin(split.role, ("gallery", "distractor"))]),
            b.vectors_of(split.ids[others & np.isin(split.role, ("mated", "nonmated"))]),
        )
        migration.fit(deployment)
        g = migration.migrate(a.vectors_of(gallery))
        mated_s, nonmated_s = migration.scores(pb, g), migration.scores(nb, g)
    hits = (mate_ranks(mated_s, mate) == 1).astype(np.float64)
    return {
        "hits": hits,
        "people": np.array([person_of(i) for i in mated], dtype=object),
        "impostor": pair_scores(mated_s, nonmated_s, mate)[1],
    }


def bootstrap_loss(
    people: np.ndarray, hits_native: np.ndarray, hits_migrated: np.ndarray, *, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Rank-1 loss in points (native minus migrated hit rate over the probes) and its 95% percentile interval,
    resampling people with replacement (each drawn person brings all their probes)."""
    names, index = np.unique(people.astype(str), return_inverse=True)
    if not len(names):
        raise InvalidInputError("no mated probe: the photos need people with two or more images")
    diff = hits_native - hits_migrated
    per_person_diff = np.bincount(index, weights=diff, minlength=len(names))
    per_person_n = np.bincount(index, minlength=len(names)).astype(np.float64)
    draws = np.random.default_rng(seed).integers(len(names), size=(n_boot, len(names)))
    losses = 100 * per_person_diff[draws].sum(axis=1) / per_person_n[draws].sum(axis=1)
    lo, hi = np.percentile(losses, [2.5, 97.5])
    return float(100 * diff.mean()), float(lo), float(hi)


def recommend(candidates: Sequence[dict[str, Any]], tolerance: float) -> dict[str, Any]:
    """Migrate with the candidate of least expected loss if it is within ``tolerance`` points, else re-enrol; says
    when the interval's upper end passes the tolerance (the data cannot rule a larger loss out)."""
    if not candidates:
        raise InvalidInputError("no candidate method to recommend from")
    best = min(candidates, key=lambda c: (c["loss"], c["ci"][1]))
    name = f"{best['method']}" + ("" if best["adaptation"] == "none" else f" + {best['adaptation']}")
    if best["loss"] > tolerance:
        return {
            "action": "re-enrol",
            "method": None,
            "adaptation": None,
            "reason": f"the best migration ({name}) loses {best['loss']:.2f} rank-1 points "
            f"(95% interval {best['ci'][0]:.2f} to {best['ci'][1]:.2f}), more than the tolerance of {tolerance:g}",
        }
    reason = f"{name} loses {best['loss']:.2f} rank-1 points (95% interval {best['ci'][0]:.2f} to {best['ci'][1]:.2f})"
    reason += f", within the tolerance of {tolerance:g}"
    if best["ci"][1] > tolerance:
        reason += f"; but the interval reaches {best['ci'][1]:.2f}: more photos would make this surer"
    return {"action": "migrate", "method": best["method"], "adaptation": best["adaptation"], "reason": reason}


def _threshold(impostors: list[np.ndarray], far: float) -> dict[str, float]:
    """The threshold at ``far`` over every fold's impostors, and the out-of-fold check: each fold's FAR at the
    threshold read off the other folds, pooled."""
    false, total = 0, 0
    for k, imp in enumerate(impostors):
        t = threshold_at(np.concatenate([x for j, x in enumerate(impostors) if j != k]), far)
        false, total = false + int((imp >= t).sum()), total + len(imp)
    return {"threshold": threshold_at(np.concatenate(impostors), far), "far_out_of_fold": false / total}


def deployment_study(
    a: EmbeddingSet,
    b: EmbeddingSet,
    *,
    methods: Sequence[str] = ("affine", "kernel"),
    adaptations: Sequence[str] = ("none", "coral-after"),
    reference: tuple[EmbeddingSet, EmbeddingSet] | None = None,
    far: float = 1e-3,
    tolerance: float = 1.0,
    n_folds: int = 5,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict[str, Any]:
    """The operator's answer for old model ``a`` -> new model ``b`` on their photos (module docstring).

    ``reference``: (A, B) sets of another collection (e.g. LFW) added to every fold's training pool.
    """
    for m in methods:
        map_class(m)
    common = sorted(set(a.ids) & set(b.ids))
    split = identification_split(np.array(common, dtype=object), n_folds=n_folds, seed=seed)
    fitters = _Fitters(a, b, split, reference)
    folds = range(split.n_folds)
    native = [_fold(a, b, split, k, None) for k in folds]
    people = np.concatenate([f["people"] for f in native])
    hits_native = np.concatenate([f["hits"] for f in native])
    old = [_fold(a, a, split, k, None) for k in folds]  # keeping the old system: A gallery, A probes
    candidates: list[dict[str, Any]] = []
    for method in methods:
        for adaptation in adaptations:
            runs = []
            for k in folds:
                fitted, training = fitters(method, k)
                runs.append(_fold(a, b, split, k, AdaptedMigration(fitted, adaptation, training)))
            hits = np.concatenate([r["hits"] for r in runs])
            loss, lo, hi = bootstrap_loss(people, hits_native, hits, n_boot=n_boot, seed=seed)
            candidates.append(
                {
                    "method": method,
                    "adaptation": adaptation,
                    "rank1_migrated": float(hits.mean()),
                    "loss": loss,
                    "ci": [lo, hi],
                }
                | _threshold([r["impostor"] for r in runs], far)
            )
    enrolled = sum(split.counts(k)["enrolled_people"] for k in folds)
    warnings = []
    if enrolled < MIN_PEOPLE:
        warnings.append(
            f"only {enrolled} people with two or more photos are enrolled across the folds (fewer than {MIN_PEOPLE}): "
            "the interval is too wide to mean much; add photos of more people"
        )
    best = min(candidates, key=lambda c: (c["loss"], c["ci"][1]))
    if best["ci"][1] - best["ci"][0] > WIDE * tolerance:
        warnings.append(
            f"the best method's interval is {best['ci'][1] - best['ci'][0]:.1f} points wide, more than {WIDE:g}x the "
            "tolerance: too few photos for a firm answer"
        )
    return {
        "source": a.fingerprint.model,
        "target": b.fingerprint.model,
        "n_images": len(common),
        "n_people": len({person_of(i) for i in common}),
        "enrolled_people": enrolled,
        "n_mated_probes": len(people),
        "n_folds": split.n_folds,
        "seed": seed,
        "far": far,
        "tolerance": tolerance,
        "reference": None if reference is None else {"n_images": len(set(reference[0].ids) & set(reference[1].ids))},
        "rank1_re_enrolled": float(hits_native.mean()),
        "rank1_old": float(np.concatenate([f["hits"] for f in old]).mean()),
        "candidates": candidates,
        "recommendation": recommend(candidates, tolerance),
        "warnings": warnings,
    }
