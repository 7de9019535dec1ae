"""Fixtures for the study tests: small synthetic multi-model studies with known structure."""

from __future__ import annotations

import numpy as np

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.protocols import PairList


def toy_study(
    *,
    n_people: int = 48,
    per_person: int = 6,
    in_pairs: int = 4,
    n_folds: int = 4,
    dims: tuple[int, ...] = (12, 16, 8),
    noise: float = 0.4,
    rotation: bool = False,
    seed: int = 0,
) -> tuple[dict[str, EmbeddingSet], PairList]:
    """Models ``m0, m1, ...`` seeing the same identities through different random linear views (plus an offset and a
    little model-specific noise); person p is in fold ``p % n_folds`` and only its first ``in_pairs`` images are used
    by pairs (the rest are training-only); the last ``n_people // 8`` people are in no pair at all.

    ``rotation=True``: ``m1`` is exactly ``m0`` (unit rows) times a random orthogonal matrix, so a map recovers it.
    """
    rng = np.random.default_rng(seed)
    latent = 6
    ids = [f"P{p:03d}/P{p:03d}_{i + 1:04d}.jpg" for p in range(n_people) for i in range(per_person)]
    z = np.repeat(rng.normal(size=(n_people, latent)), per_person, axis=0) + noise * rng.normal(size=(len(ids), latent))
    vectors = []
    for j, d in enumerate(dims):
        view = rng.normal(size=(latent, d))
        vectors.append(z @ view + rng.normal(size=d) * (1.5 if j == 0 else 0.2) + 0.05 * rng.normal(size=(len(ids), d)))
    if rotation:
        unit = vectors[0] / np.linalg.norm(vectors[0], axis=1, keepdims=True)
        q, _ = np.linalg.qr(rng.normal(size=(dims[0], dims[0])))
        vectors[0], vectors[1] = unit, unit @ q
    sets = {f"m{j}": EmbeddingSet(np.array(ids, object), v, Fingerprint(f"m{j}")) for j, v in enumerate(vectors)}
    n_used = n_people - n_people // 8
    id_a, id_b, same, fold = [], [], [], []
    for p in range(n_used):
        k = p % n_folds
        q = p + n_folds if p + n_folds < n_used else p % n_folds  # another person of the same fold
        for i in range(in_pairs - 1):
            id_a += [ids[p * per_person + i]] * 2
            id_b += [ids[p * per_person + i + 1], ids[q * per_person + i]]
            same += [True, False]
            fold += [k, k]
    pairs = PairList(np.array(id_a, object), np.array(id_b, object), np.array(same), np.array(fold), "toy")
    return sets, pairs
