"""1:N search of probe embeddings in a gallery on FAISS: cosine similarity as inner product of unit vectors.

``exact`` (``IndexFlatIP``) is the default and returns the same neighbours as brute force; ``hnsw``
(``IndexHNSWFlat``) is approximate, so its recall against exact search should be measured (:func:`recall_at_k`).
Gallery and probes must live in the same space: their fingerprints must agree (a migrated gallery carries its
map's target fingerprint).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import InvalidInputError, MismatchError, MissingDependencyError
from facebridge.storage import atomic_write_table
from facebridge.vectors import l2_normalize_rows

INDEXES = ("exact", "hnsw")


def _faiss():
    try:
        import faiss
    except ImportError:
        raise MissingDependencyError("search needs FAISS: pip install faiss-cpu") from None
    return faiss


def unit_float32(x: np.ndarray) -> np.ndarray:
    """Rows as contiguous float32 of unit L2 norm (zero rows stay zero), the layout FAISS expects."""
    return np.ascontiguousarray(l2_normalize_rows(x, np.float32))


def build_index(gallery: np.ndarray, index: str = "exact", *, hnsw_m: int = 32, ef_search: int = 128) -> Any:
    """A FAISS inner-product index over the unit-normalised (n, d) ``gallery``."""
    if index not in INDEXES:
        raise InvalidInputError(f"index must be one of {', '.join(INDEXES)}, got {index!r}")
    faiss = _faiss()
    g = unit_float32(gallery)
    if index == "exact":
        idx = faiss.IndexFlatIP(g.shape[1])
    else:
        idx = faiss.IndexHNSWFlat(g.shape[1], hnsw_m, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efSearch = ef_search
    idx.add(g)
    return idx


def search_arrays(
    gallery: np.ndarray, probes: np.ndarray, k: int, index: str = "exact", **options: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, rows)``, each (n_probes, min(k, n_gallery)): the best gallery rows per probe, best first."""
    if not isinstance(k, int) or k < 1:
        raise InvalidInputError(f"k must be an integer >= 1, got {k!r}")
    gallery, probes = np.asarray(gallery), np.asarray(probes)
    if gallery.ndim != 2 or probes.ndim != 2 or gallery.shape[1] != probes.shape[1] or not len(gallery):
        raise InvalidInputError(f"gallery (n, d) and probes (m, d) must agree in d: {gallery.shape}, {probes.shape}")
    scores, rows = build_index(gallery, index, **options).search(unit_float32(probes), min(k, len(gallery)))
    return scores, rows.astype(np.int64)


def recall_at_k(approx_rows: np.ndarray, exact_rows: np.ndarray) -> float:
    """Share of the exact top-k neighbours that the approximate search also returned (per probe, then averaged)."""
    hits = [len(np.intersect1d(a, e)) / len(e) for a, e in zip(approx_rows, exact_rows, strict=True)]
    return float(np.mean(hits)) if hits else 1.0


@dataclass(frozen=True, eq=False)
class Hits:
    """Search results, one row per (probe, rank): ``probe_id``, ``rank`` (1-based), ``gallery_id``, ``score``."""

    probe_id: np.ndarray
    rank: np.ndarray
    gallery_id: np.ndarray
    score: np.ndarray

    def to_table(self) -> pa.Table:
        return pa.table(
            {
                "probe_id": pa.array(self.probe_id.astype(str), pa.string()),
                "rank": pa.array(self.rank, pa.int32()),
                "gallery_id": pa.array(self.gallery_id.astype(str), pa.string()),
                "score": pa.array(self.score, pa.float32()),
            }
        )


def check_same_space(gallery: EmbeddingSet, probes: EmbeddingSet) -> None:
    """MismatchError unless gallery and probes share a fingerprint and a dimension."""
    g, p = gallery.fingerprint, probes.fingerprint
    if not g.same_space(p) or gallery.dim != probes.dim:
        raise MismatchError(
            f"gallery is {g.model} ({gallery.dim}-d, weights {g.weights_sha256[:12] or 'unknown'}) but probes are "
            f"{p.model} ({probes.dim}-d, weights {p.weights_sha256[:12] or 'unknown'}); migrate one set first"
        )


def check_searchable(es: EmbeddingSet, what: str) -> None:
    """InvalidInputError when ``es`` (the ``what``: gallery or probes) is empty or holds an all-zero vector: cosine
    similarity gives a zero vector no direction, so it would score 0 against everything and rank at random."""
    if not es.n:
        raise InvalidInputError(f"the {what} set is empty: nothing to search")
    zero = np.flatnonzero(~(np.abs(es.vectors) > 0).any(axis=1))
    if len(zero):
        raise InvalidInputError(
            f"{len(zero)} {what} vector(s) are all zero (first: {es.ids[zero[0]]!r}); a zero vector has no direction "
            "to compare by cosine: drop or re-embed them"
        )


def search_sets(gallery: EmbeddingSet, probes: EmbeddingSet, k: int, index: str = "exact", **options: int) -> Hits:
    """Search every probe of ``probes`` in ``gallery``; the two sets must be in the same space, non-empty and free of
    all-zero vectors."""
    check_same_space(gallery, probes)
    check_searchable(gallery, "gallery")
    check_searchable(probes, "probe")
    scores, rows = search_arrays(gallery.vectors, probes.vectors, k, index, **options)
    n, kk = rows.shape
    return Hits(
        probe_id=np.repeat(probes.ids, kk),
        rank=np.tile(np.arange(1, kk + 1), n),
        gallery_id=gallery.ids[rows.ravel()],
        score=scores.ravel(),
    )


def write_hits(hits: Hits, path: str | os.PathLike[str]) -> Path:
    """Write ``hits`` as Parquet (columns probe_id, rank, gallery_id, score), atomically."""
    atomic_write_table(hits.to_table(), path)
    return Path(path)
