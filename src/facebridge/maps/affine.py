"""Affine map with a fixed penalty (``affine_fixed``): ridge with a bias, lightly regularised. ``affine`` is the
same map with its penalty chosen by cross-validation over people (``AffineRidgeCV``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.checks import check_alpha
from facebridge.maps._solve import intercept_for, ridge_coef
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats


class AffineMap(LinearMap):
    """``y ≈ x @ coef_ + intercept_`` by least squares on centred statistics, with a small ridge penalty.

    Parameters
    ----------
    alpha : penalty >= 0. The default 1e-3 is tiny next to the centred scatter of thousands of unit-norm rows
        (diagonal ~ n/d), so it only keeps the solve well-posed when some directions carry no variance.
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "affine_fixed"

    def __init__(self, *, alpha: float = 1e-3, normalize: bool = True) -> None:
        self.alpha = alpha
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        return {"alpha": check_alpha(self.alpha, type(self).__name__)}

    def _solve(self, stats: SufficientStats, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        coef = ridge_coef(stats, alpha, fit_intercept=True)
        return coef, intercept_for(stats, coef, fit_intercept=True)
