"""Pair scores: one similarity per pair (higher means more likely the same person)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError, MismatchError, NotFoundError
from facebridge.protocols.pairs import PairList
from facebridge.vectors import unit_rows


def _cosine(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", unit_rows(A, "A"), unit_rows(B, "B"))


def _neg_euclidean(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return -np.linalg.norm(A - B, axis=1)


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "cosine": _cosine,
    "euclidean": _neg_euclidean,
}


def pair_scores(A: np.ndarray, B: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Similarity of row ``i`` of ``A`` with row ``i`` of ``B``.

    Parameters
    ----------
    A, B : (n, d) vectors; computed in float64.
    metric : ``"cosine"`` (cosine of the L2-normalised rows) or ``"euclidean"`` (the negative Euclidean distance,
        so that higher is more similar for every metric).

    Returns
    -------
    (n,) float64 scores.
    """
    if metric not in METRICS:
        raise NotFoundError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape:
        raise InvalidInputError(f"A and B must be (n, d) matrices of the same shape, got {A.shape} and {B.shape}")
    return METRICS[metric](A, B)


def score_pairs(pairs: PairList, a: EmbeddingSet, b: EmbeddingSet | None = None, metric: str = "cosine") -> np.ndarray:
    """(n,) scores of ``pairs``: ``id_a`` looked up in ``a``, ``id_b`` in ``b`` (``a`` when None).

    Raises NotFoundError naming the missing ids and the side, MismatchError when ``a`` and ``b`` differ in dim.
    """
    b = a if b is None else b
    if a.dim != b.dim:
        raise MismatchError(f"cannot compare {a.fingerprint.model} ({a.dim}-d) with {b.fingerprint.model} ({b.dim}-d)")
    rows = []
    for side, ids, es in (("id_a", pairs.id_a, a), ("id_b", pairs.id_b, b)):
        try:
            rows.append(es.index_of(ids))
        except NotFoundError as exc:
            raise NotFoundError(f"pair list {pairs.name!r}, {side}: {exc}") from None
    return pair_scores(a.vectors[rows[0]], b.vectors[rows[1]], metric)
