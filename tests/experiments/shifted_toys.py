"""Toy faces for the shifted-domain and per-deployment tests: people's identity centres seen by two linear 'models',
clean and through a 'camera' that shrinks, offsets and adds noise in each model's space."""

from __future__ import annotations

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.embeddings.set import Fingerprint


def toy_faces(
    *, n_people: int = 60, per_person: tuple[int, ...] = (1, 2, 3, 4), dim: int = 12, seed: int = 0
) -> tuple[list[str], np.ndarray]:
    """Image ids ``Pnnn/Pnnn_000i.jpg`` (person p has ``per_person[p % len]`` images) and each image's latent face."""
    rng = np.random.default_rng(seed)
    ids, latent = [], []
    for p in range(n_people):
        centre = rng.normal(size=dim)
        for i in range(per_person[p % len(per_person)]):
            ids.append(f"P{p:03d}/P{p:03d}_{i + 1:04d}.jpg")
            latent.append(centre + 0.45 * rng.normal(size=dim))
    return ids, np.asarray(latent)


def toy_models(
    ids: list[str], latent: np.ndarray, *, camera: float = 0.0, seed: int = 1
) -> dict[str, EmbeddingSet]:
    """Models ``toy-a`` (dim 10) and ``toy-b`` (dim 14) of the faces; ``camera`` > 0 shrinks each face towards a
    common offset and adds noise and a per-model bias (a corrupted deployment)."""
    rng = np.random.default_rng(seed)
    dim = latent.shape[1]
    ta, tb = rng.normal(size=(dim, 10)), rng.normal(size=(dim, 14))
    noise = np.random.default_rng(seed + 7)
    z = latent * (1 - 0.5 * camera) + camera * rng.normal(size=dim) + camera * 0.4 * noise.normal(size=latent.shape)
    xa = z @ ta + 0.1 * noise.normal(size=(len(ids), 10)) + camera * 2.0 * rng.normal(size=10)
    xb = np.tanh(0.3 * (z @ tb)) + 0.05 * noise.normal(size=(len(ids), 14)) + camera * 0.5 * rng.normal(size=14)
    arr = np.array(ids, dtype=object)
    return {"toy-a": EmbeddingSet(arr, xa, Fingerprint("toy-a")), "toy-b": EmbeddingSet(arr, xb, Fingerprint("toy-b"))}
