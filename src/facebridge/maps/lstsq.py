"""Ordinary least squares without a bias: the plain linear map."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.maps._solve import ridge_coef
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats


class LstsqMap(LinearMap):
    """``coef_ = argmin ||Y - X W||``, the minimum-norm solution when ``X^T X`` is singular.

    Parameters
    ----------
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "lstsq"
    _has_intercept = False

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        return {}

    def _solve(self, stats: SufficientStats) -> tuple[np.ndarray, np.ndarray]:
        return ridge_coef(stats, 0.0, fit_intercept=False), np.zeros(stats.dy)
