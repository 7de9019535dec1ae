"""Checks shared by the maps: arrays and parameters in, one-line InvalidInputError out."""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

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


def check_flag(value: object, name: str, owner: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"{owner}: parameter {name} must be True or False, got {value!r}")
    return bool(value)


#: Largest seed: what NumPy's legacy generators and scikit-learn's ``random_state`` accept (0 <= seed < 2**32).
MAX_SEED = 2**32 - 1


def check_int(value: object, name: str, owner: str, low: int, high: int | None = None) -> int:
    """An integer parameter in ``[low, high]`` (no upper bound when ``high`` is None); else one-line
    InvalidInputError. Upper bounds keep a typo (``hidden=100000000``) from allocating gigabytes."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{owner}: parameter {name} must be an integer, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InvalidInputError(f"{owner}: parameter {name} must be an integer {bounds}, got {value}")
    return number


def check_seed(value: object, name: str, owner: str) -> int:
    """A seed: an integer in ``[0, MAX_SEED]``."""
    return check_int(value, name, owner, 0, MAX_SEED)


def is_finite_real(value: object) -> TypeGuard[numbers.Real]:
    """Whether ``value`` is a real number (not a bool) that is finite as a float: ``np.isfinite`` cannot take a
    Python int beyond 64 bits, and one beyond float range (``10**400``) is not a usable number either."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def check_alpha(value: object, owner: str) -> float:
    """The ridge penalty: a finite real number >= 0."""
    if not is_finite_real(value) or value < 0:
        raise InvalidInputError(f"{owner}: parameter alpha must be a finite number >= 0, got {value!r}")
    return float(value)


def check_rank(value: object, limit: int, owner: str, what: str) -> int:
    """A rank in ``[1, limit]``; ``None`` means ``limit`` (no reduction). ``what`` says where the limit comes from."""
    if value is None:
        return limit
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{owner}: parameter rank must be an integer or None, got {value!r}")
    rank = int(value)
    if not 1 <= rank <= limit:
        raise InvalidInputError(f"{owner}: parameter rank must be in [1, {limit}] ({what}), got {value}")
    return rank


def check_alphas(value: object, owner: str) -> tuple[float, ...]:
    """A non-empty grid of ridge penalties, each a finite number > 0."""
    try:
        alphas = tuple(float(a) for a in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"{owner}: parameter alphas must be a sequence of numbers > 0, got {value!r}") from None
    if not alphas or not all(np.isfinite(a) and a > 0 for a in alphas):
        raise InvalidInputError(f"{owner}: parameter alphas must be finite numbers > 0, got {value!r}")
    return alphas


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
