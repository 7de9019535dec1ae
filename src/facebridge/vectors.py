"""Row-vector helpers every layer shares: the one home of L2 row normalisation, its two zero-row policies, and
of cosine matrices.

``l2_normalize_rows`` keeps a zero row zero (a map's input normalisation, FAISS layouts: nothing to divide);
``unit_rows`` refuses one (a cosine of a zero vector is undefined, and a silent zero score would hide bad data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facebridge.errors import InvalidInputError


def l2_normalize_rows(a: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
    """Rows of ``a`` (n, d) scaled to unit L2 norm, in ``dtype`` (default: ``a``'s); all-zero rows stay zero."""
    a = np.asarray(a, dtype=dtype)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1).astype(a.dtype, copy=False)


def cosine_matrix(a: np.ndarray, b: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """(n_a, n_b) cosine similarities of the rows of ``a`` against the rows of ``b``, computed in ``dtype`` (float32
    by default, as FAISS scores; a zero row scores 0 against everything)."""
    return np.ascontiguousarray(l2_normalize_rows(a, dtype)) @ np.ascontiguousarray(l2_normalize_rows(b, dtype)).T


def unit_rows(a: np.ndarray, what: str = "", ids: Sequence[object] | np.ndarray | None = None) -> np.ndarray:
    """Rows of ``a`` (n, d) at unit L2 norm, as float64, for a cosine; a zero row is an InvalidInputError naming
    it: by its id when ``ids`` (one per row) are given, else by its row number (``what`` says whose rows)."""
    a = np.asarray(a, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1)
    if (norms == 0).any():
        row = int(np.argmin(norms))
        where = f" of {what}" if what else ""
        name = f"{ids[row]!r}" if ids is not None else f"row {row}"
        raise InvalidInputError(f"cosine is undefined for a zero vector ({name}{where})")
    return l2_normalize_rows(a)
