"""The in-memory embedding set: ids, vectors and the fingerprint of the model space they live in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.fingerprint import Fingerprint


@dataclass(frozen=True, eq=False)
class EmbeddingSet:
    """``n`` embeddings of one model, keyed by image id.

    Parameters
    ----------
    ids : (n,) str, unique image keys such as ``"Aaron_Eckhart/Aaron_Eckhart_0001.jpg"``.
    vectors : (n, d) float32, finite.
    fingerprint : the model space the vectors live in.
    meta : optional per-row columns, each an array of length ``n`` along axis 0
        (e.g. ``status`` str, ``det_score`` float, ``landmarks`` (n, 10) float).
    """

    ids: np.ndarray
    vectors: np.ndarray
    fingerprint: Fingerprint
    meta: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=object)
        if ids.ndim != 1:
            raise InvalidInputError(f"ids must be 1-D, got shape {ids.shape}")
        if not all(isinstance(i, str) and i for i in ids):
            raise InvalidInputError("every id must be a non-empty string")
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2 or vectors.shape[1] == 0:
            raise InvalidInputError(f"vectors must be an (n, d) matrix with d >= 1, got shape {vectors.shape}")
        if not np.issubdtype(vectors.dtype, np.number) or np.issubdtype(vectors.dtype, np.complexfloating):
            raise InvalidInputError(f"vectors must be real numbers, got dtype {vectors.dtype}")
        vectors = vectors.astype(np.float32, copy=False)
        if len(ids) != len(vectors):
            raise InvalidInputError(f"{len(ids)} ids but {len(vectors)} vectors")
        bad = ~np.isfinite(vectors).all(axis=1)
        if bad.any():
            raise InvalidInputError(f"{int(bad.sum())} vectors contain NaN or inf (first id: {ids[np.argmax(bad)]})")
        uniq, counts = np.unique(ids.astype(str), return_counts=True) if len(ids) else (ids, ids)
        if len(ids) and (counts > 1).any():
            raise InvalidInputError(f"duplicate ids, e.g. {str(uniq[np.argmax(counts > 1)])!r}")
        meta = {str(k): np.asarray(v) for k, v in self.meta.items()}
        for key, col in meta.items():
            if len(col) != len(ids):
                raise InvalidInputError(f"meta column {key!r} has {len(col)} rows, expected {len(ids)}")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "meta", meta)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return self.n

    def index_of(self, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """Row indices of ``ids``; raises NotFoundError naming the first missing ids."""
        lookup = {k: i for i, k in enumerate(self.ids)}
        wanted = list(ids)
        missing = [k for k in wanted if k not in lookup]
        if missing:
            raise NotFoundError(
                f"{len(missing)} ids not in the {self.fingerprint.model} set, e.g. {', '.join(missing[:3])}"
            )
        return np.fromiter((lookup[k] for k in wanted), dtype=np.int64, count=len(wanted))

    def vectors_of(self, ids: Sequence[str] | np.ndarray) -> np.ndarray:
        """(len(ids), d) vectors of ``ids`` in that order; ids may repeat (pair lists reuse images)."""
        return self.vectors[self.index_of(ids)]

    def take(self, rows: np.ndarray) -> EmbeddingSet:
        """The subset at integer row positions (or a boolean mask)."""
        rows = np.asarray(rows)
        return EmbeddingSet(
            self.ids[rows], self.vectors[rows], self.fingerprint, {k: v[rows] for k, v in self.meta.items()}
        )

    def subset(self, ids: Sequence[str] | np.ndarray) -> EmbeddingSet:
        """The subset with exactly ``ids``, in that order."""
        return self.take(self.index_of(ids))
