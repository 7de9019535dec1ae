"""Row-vector helpers every layer shares: the one home of L2 row normalisation and its two zero-row policies.

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
