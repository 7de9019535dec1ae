"""The shifted-domain protocol (:mod:`facebridge.protocols.shifted`): maps fitted on the clean fitting half, scored
1:1 and 1:N on the evaluation half, clean and through each camera corruption, with and without adaptation.

For each ordered pair (A, B), one map is fitted on the fitting half's clean images (each image's person as its
group). Each variant of the evaluation half (``clean`` and every corrupted store) is scored on the same image ids:

- 1:1: :func:`~facebridge.protocols.shifted.evaluation_pairs`; native accuracy (B vs B) and cross accuracy (mapped
  A of ``id_a`` vs B of ``id_b``), k-fold over the pairs' people-disjoint folds; the penalty is native minus cross.
- 1:N: an :func:`~facebridge.protocols.identification.identification_split` of the evaluation half; rank-1 of the
  re-enrolled gallery (B gallery, B probes) and of the migrated one (mapped A gallery, B probes); the loss is
  re-enrolled minus migrated.

Adaptation (:data:`~facebridge.experiments.upgrade.adaptation.ADAPTATIONS`) is fitted per test fold on unlabelled
templates: 1:1, the fold's own (A side: its ``id_a`` images; B side: its ``id_b`` images); 1:N, the A side is the
fold's gallery (the operator's old gallery) and the B side the other folds' images (other people seen by the new
model: a fold's probes are a few people photographed many times, whose moments say who was searched, not how the
camera sees). S-norm cohorts are the other folds' templates (other people). No id or label reaches a fit. Points are
percentage points.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.upgrade.adaptation import ADAPTATIONS, AdaptedMigration, Deployment, Reference
from facebridge.maps import MapEstimator, fit_rows
from facebridge.protocols import verify
from facebridge.protocols.identification import IdentificationSplit, identification_split
from facebridge.protocols.identification_metrics import identify
from facebridge.protocols.pairs import PairList, person_of
from facebridge.protocols.shifted import DomainSplit, evaluation_pairs
from facebridge.vectors import cosine_matrix, unit_rows

#: Model name -> its EmbeddingSet, for one variant of the images.
Sets = Mapping[str, EmbeddingSet]


def _pair_penalty(
    a: EmbeddingSet,
    b: EmbeddingSet,
    pairs: PairList,
    fitted: object,
    reference: Reference,
    adaptations: Sequence[str],
) -> dict:
    native = np.einsum("ij,ij->i", unit_rows(b.vectors_of(pairs.id_a)), unit_rows(b.vectors_of(pairs.id_b)))
    native_acc = verify(native, pairs.same, pairs.fold).mean
    cross: dict[str, float] = {}
    deployments = {}  # per fold, shared by every adaptation (each side's moments are computed once)
    for k in pairs.fold_ids:
        mask, rest = pairs.fold == k, pairs.fold != k
        deployments[k] = Deployment(
            a.vectors_of(np.unique(pairs.id_a[mask].astype(str))),
            b.vectors_of(np.unique(pairs.id_b[mask].astype(str))),
            a.vectors_of(np.unique(pairs.id_a[rest].astype(str))),
            b.vectors_of(np.unique(pairs.id_b[rest].astype(str))),
        )
    for adaptation in adaptations:
        scores = np.empty(pairs.n)
        for k in pairs.fold_ids:
            mask = pairs.fold == k
            adapted = AdaptedMigration(fitted, adaptation, reference).fit(deployments[k])
            migrated = adapted.migrate(a.vectors_of(pairs.id_a[mask]))
            scores[mask] = adapted.pair_scores(b.vectors_of(pairs.id_b[mask]), migrated)
        cross[adaptation] = verify(scores, pairs.same, pairs.fold).mean
    return {
        "native_accuracy": native_acc,
        "cross_accuracy": cross,
        "penalty": {k: 100 * (native_acc - v) for k, v in cross.items()},
    }


def _rank1(scores: np.ndarray, mate: np.ndarray, nonmated: np.ndarray) -> float:
    return identify(scores, mate, nonmated).cmc[1]


def _identification_loss(
    a: EmbeddingSet,
    b: EmbeddingSet,
    split: IdentificationSplit,
    fitted: object,
    reference: Reference,
    adaptations: Sequence[str],
) -> dict:
    self_r1: list[float] = []
    migrated_r1: dict[str, list[float]] = {ad: [] for ad in adaptations}
    for k in range(split.n_folds):
        gallery, mated, nonmated, mate = split.gallery(k), split.mated(k), split.nonmated(k), split.mate_index(k)
        gb, pb, nb = b.vectors_of(gallery), b.vectors_of(mated), b.vectors_of(nonmated)
        self_r1.append(_rank1(cosine_matrix(pb, gb), mate, cosine_matrix(nb, gb)))
        others = split.fold != k
        other_gallery = split.ids[others & np.isin(split.role, ("gallery", "distractor"))]
        other_probes = split.ids[others & np.isin(split.role, ("mated", "nonmated"))]
        deployment = Deployment(  # B's statistics from other people's photos: this fold's probes are a few people
            a.vectors_of(gallery),
            b.vectors_of(split.ids[others]),
            a.vectors_of(other_gallery),
            b.vectors_of(other_probes),
        )
        for adaptation in adaptations:
            adapted = AdaptedMigration(fitted, adaptation, reference).fit(deployment)
            migrated = adapted.migrate(a.vectors_of(gallery))
            migrated_r1[adaptation].append(_rank1(adapted.scores(pb, migrated), mate, adapted.scores(nb, migrated)))
    re_enrolled = float(np.mean(self_r1))
    mean_migrated = {ad: float(np.mean(v)) for ad, v in migrated_r1.items()}
    return {
        "rank1_re_enrolled": re_enrolled,
        "rank1_migrated": mean_migrated,
        "loss": {ad: 100 * (re_enrolled - v) for ad, v in mean_migrated.items()},
    }


def shifted_study(
    clean: Sets,
    variants: Mapping[str, Sets],
    split: DomainSplit,
    pairs: Sequence[tuple[str, str]],
    make: Callable[[], MapEstimator],
    *,
    method: str,
    adaptations: Sequence[str] = ADAPTATIONS,
    n_folds: int = 5,
    seed: int = 0,
) -> dict:
    """The protocol for each ordered model pair of ``pairs``: maps fitted on ``split.fit_ids`` of ``clean``, scored
    on the evaluation ids every variant holds (``clean`` itself as variant ``clean``, then ``variants``: name ->
    sets of corrupted copies). Returns plain data; ``ratio`` divides each variant's penalty and loss by the clean
    variant's value without adaptation (the goal: at most 1.5); ``none`` is always scored, as that base."""
    adaptations = list(dict.fromkeys(["none", *adaptations]))
    bad = [ad for ad in adaptations if ad not in ADAPTATIONS]
    if bad:
        raise InvalidInputError(f"unknown adaptation {bad[0]!r}; known: {', '.join(ADAPTATIONS)}")
    all_variants: dict[str, Sets] = {"clean": clean, **variants}
    models = sorted({m for p in pairs for m in p})
    common = set(split.eval_ids)
    for name, sets in all_variants.items():
        for m in models:
            if m not in sets:
                raise InvalidInputError(f"variant {name!r} has no embeddings of model {m!r}")
            common &= set(sets[m].ids)
    eval_ids = sorted(common)
    if not eval_ids:
        raise InvalidInputError("no evaluation-half image is embedded in every variant")
    fit_ids = sorted(set(split.fit_ids).intersection(*(set(clean[m].ids) for m in models)))
    leaked = {person_of(i) for i in fit_ids} & {person_of(i) for i in eval_ids}
    if leaked:
        raise InvalidInputError(f"fitting and evaluation halves share people (e.g. {sorted(leaked)[0]!r})")
    pair_list = evaluation_pairs(eval_ids, seed=seed)
    id_split = identification_split(np.array(eval_ids, dtype=object), n_folds=n_folds, seed=seed)
    runs = []
    for a, b in pairs:
        train_a, train_b = clean[a].vectors_of(fit_ids), clean[b].vectors_of(fit_ids)
        fitted = fit_rows(make(), train_a, train_b, [person_of(i) for i in fit_ids])
        reference = Reference.of_rows(train_a, train_b)  # summarised once for every fold's and variant's moves
        scored = {
            name: {
                "verification": _pair_penalty(sets[a], sets[b], pair_list, fitted, reference, adaptations),
                "identification": _identification_loss(sets[a], sets[b], id_split, fitted, reference, adaptations),
            }
            for name, sets in all_variants.items()
        }
        base_penalty = scored["clean"]["verification"]["penalty"]["none"]
        base_loss = scored["clean"]["identification"]["loss"]["none"]
        ratio = {
            name: {
                ad: {
                    "penalty": _ratio(s["verification"]["penalty"][ad], base_penalty),
                    "loss": _ratio(s["identification"]["loss"][ad], base_loss),
                }
                for ad in adaptations
            }
            for name, s in scored.items()
        }
        runs.append({"source": a, "target": b, "method": method, "variants": scored, "ratio": ratio})
    return {
        "split": split.to_dict() | {"n_eval_images_scored": len(eval_ids), "n_fit_images_used": len(fit_ids)},
        "pairs_1to1": {"n": pair_list.n, "n_genuine": int(pair_list.same.sum()), "n_folds": pair_list.n_folds},
        "identification": [id_split.counts(k) for k in range(id_split.n_folds)],
        "adaptations": list(adaptations),
        "runs": runs,
    }


def _ratio(value: float, base: float) -> float | None:
    """``value / base``; None when the clean value is not positive (no penalty to compare with)."""
    return value / base if base > 0 else None
