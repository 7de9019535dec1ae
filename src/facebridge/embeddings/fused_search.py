"""Search during a model upgrade's transition: the old gallery (model A) and the migrated one (model B) searched
with each probe embedded by both models, their scores fused.

Each side's cosine scores are z-normalised with the mean and spread of its scores for a seeded sample of probes
against the whole gallery (a probe matches at most its own person's templates, so these are almost all impostor
scores: a deployment's own calibration, no labels needed), and the two z-scores are averaged. The upgrade study
measures the same fusion with weights learnt on its training folds (``facebridge.experiments.upgrade.transition``);
here, without labels, the weights are equal.
"""

from __future__ import annotations

import numpy as np

from facebridge.embeddings.search import Hits, check_same_space, unit_float32
from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import MismatchError
from facebridge.vectors import cosine_matrix

#: Probes whose scores against the whole gallery calibrate a side.
SAMPLE_PROBES = 1000


def _aligned(reference: EmbeddingSet, other: EmbeddingSet, what: str) -> EmbeddingSet:
    """``other`` in ``reference``'s id order; MismatchError unless both hold the same ids."""
    if set(reference.ids) != set(other.ids) or reference.n != other.n:
        missing = sorted(set(reference.ids) ^ set(other.ids))[:3]
        raise MismatchError(f"the {what} of both models must hold the same ids; differing e.g. {', '.join(missing)}")
    return other.subset(reference.ids)


def side_norm(gallery: np.ndarray, probes: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(mean, spread) of the cosine scores of up to ``SAMPLE_PROBES`` probes (seeded draw) against the gallery."""
    rows = np.random.default_rng(seed).permutation(len(probes))[:SAMPLE_PROBES]
    scores = cosine_matrix(probes[np.sort(rows)], gallery)
    return float(scores.mean()), max(float(scores.std()), 1e-12)


def fused_search(
    gallery: EmbeddingSet,
    probes: EmbeddingSet,
    old_gallery: EmbeddingSet,
    old_probes: EmbeddingSet,
    k: int,
    *,
    chunk: int = 4096,
    seed: int = 0,
) -> Hits:
    """Top ``k`` of the fused score (see the module) for every probe: ``gallery`` / ``probes`` in the new space
    (the migrated gallery, B probes), ``old_gallery`` / ``old_probes`` the same ids in the old one; ``score`` is the
    fused z-score."""
    check_same_space(gallery, probes)
    check_same_space(old_gallery, old_probes)
    old_gallery = _aligned(gallery, old_gallery, "galleries")
    old_probes = _aligned(probes, old_probes, "probe sets")
    sides = [(gallery.vectors, probes.vectors), (old_gallery.vectors, old_probes.vectors)]
    norms = [side_norm(g, p, seed) for g, p in sides]
    units = [(unit_float32(g), unit_float32(p)) for g, p in sides]
    kk = min(k, gallery.n)
    top_rows, top_scores = [], []
    for start in range(0, probes.n, chunk):
        fused = sum((p[start : start + chunk] @ g.T - m) / s for (g, p), (m, s) in zip(units, norms, strict=True)) / 2
        part = np.argpartition(-fused, kk - 1, axis=1)[:, :kk]
        order = np.argsort(-np.take_along_axis(fused, part, axis=1), axis=1, kind="stable")
        rows = np.take_along_axis(part, order, axis=1)
        top_rows.append(rows)
        top_scores.append(np.take_along_axis(fused, rows, axis=1))
    rows, scores = np.concatenate(top_rows), np.concatenate(top_scores)
    return Hits(
        probe_id=np.repeat(probes.ids, kk),
        rank=np.tile(np.arange(1, kk + 1), probes.n),
        gallery_id=gallery.ids[rows.ravel()],
        score=scores.ravel(),
    )
