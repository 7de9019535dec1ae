"""Checks of scalar parameters (flags, integers, seeds, ridge penalties, ranks), shared by every layer: a bad value
is a one-line InvalidInputError naming the owner and the parameter."""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

import numpy as np

from facebridge.errors import InvalidInputError


def check_flag(value: object, name: str, owner: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"{owner}: parameter {name} must be True or False, got {value!r}")
    return bool(value)


#: Largest seed: what NumPy's legacy generators and scikit-learn's ``random_state`` accept (0 <= seed < 2**32).
MAX_SEED = 2**32 - 1


def check_int(value: object, name: str, owner: str, low: int, high: int | None = None) -> int:
    """An integer parameter in ``[low, high]`` (no upper bound when ``high`` is None); else one-line
    InvalidInputError. Upper bounds keep a typo (``hidden=100000000``) from allocating gigabytes."""
    bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise InvalidInputError(f"{owner}: parameter {name} must be an integer {bounds}, got {value!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
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


def check_real(value: object, name: str, owner: str, low: float = 0.0, *, strict: bool = False) -> float:
    """A finite real number ``>= low`` (``> low`` when ``strict``)."""
    if not is_finite_real(value) or value < low or (strict and value == low):
        raise InvalidInputError(
            f"{owner}: parameter {name} must be a finite number {'>' if strict else '>='} {low:g}, got {value!r}"
        )
    return float(value)


def check_alpha(value: object, owner: str) -> float:
    """The ridge penalty: a finite real number >= 0 (``FixedRidge``, which solves ``X^T X + alpha I`` without an
    eigendecomposition, needs ``> 0``: ``check_real(alpha, "alpha", owner, strict=True)``)."""
    return check_real(value, "alpha", owner)


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
