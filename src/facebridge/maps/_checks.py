"""Checks of the maps' arrays: input matrices and fitted arrays in, one-line errors out (scalar parameters are
checked by :mod:`facebridge.checks`)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from facebridge.errors import DataFormatError, InvalidInputError, InvalidTypeError


def as_matrix(a: object, name: str, *, finite: bool = True) -> np.ndarray:
    """``a`` as a 2-D float matrix: float32 stays float32 (half the memory and BLAS time), the rest becomes float64.

    ``finite=False`` skips the NaN/inf scan, for callers that scan chunk by chunk later.
    """
    if sparse.issparse(a):
        raise InvalidInputError(f"{name} is a sparse matrix; maps need a dense array")
    arr = np.asarray(a)
    if arr.dtype.kind == "c":
        raise InvalidInputError(f"{name}: Complex data not supported")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except TypeError as exc:  # an entry that is no number at all (a dict)
            raise InvalidTypeError(f"{name} must be numeric ({exc})") from None
        except ValueError as exc:  # a string that is not a number
            raise InvalidInputError(f"{name} must be numeric ({exc})") from None
    if arr.dtype.kind not in "fiub":
        raise InvalidInputError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{name} must be a 2-D array (n, d), got shape {arr.shape}. "
            "Reshape your data, e.g. with .reshape(1, -1) for one sample or .reshape(-1, 1) for one column"
        )
    if arr.shape[1] == 0:
        raise InvalidInputError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    arr = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=False)
    if finite and not np.isfinite(arr).all():
        raise InvalidInputError(f"{name} contains NaN or inf")
    return arr


def as_target(y: object, owner: str, *, finite: bool = True) -> np.ndarray:
    """The target ``y`` of a fit as a 2-D matrix (``as_matrix``): one embedding per row, and a 1-D ``y`` (n,) as one
    target column (n, 1), as scikit-learn passes a single target; None is refused naming ``owner``."""
    if y is None:
        raise InvalidInputError(f"{owner} requires y to be passed, but the target y is None; pass y (n, dy)")
    if not sparse.issparse(y):
        y = np.asarray(y)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
    return as_matrix(y, "y", finite=finite)


#: Largest magnitude a fitted array may hold: maps between unit-norm embeddings have weights of order 1, so
#: anything near this is a corrupted or hostile file, not a fit.
MAX_FITTED_ABS = 1e6


def check_bounded(arr: np.ndarray, name: str, owner: str) -> np.ndarray:
    """``arr`` itself, once it is known to be finite and within ``MAX_FITTED_ABS``; else DataFormatError naming it
    (map files apply it to every tensor of every family)."""
    if not np.isfinite(arr).all():
        raise DataFormatError(f"{owner}: fitted array {name!r} contains NaN or inf")
    if arr.size and float(np.abs(arr).max()) > MAX_FITTED_ABS:
        raise DataFormatError(
            f"{owner}: fitted array {name!r} holds {float(np.abs(arr).max()):.3g}, beyond {MAX_FITTED_ABS:g}: "
            "a corrupted map"
        )
    return arr
