"""Ridge regression: the study's map (alpha=1 on L2-normalised embeddings, no bias)."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.checks import check_alpha, check_flag
from facebridge.maps._solve import intercept_for, ridge_coef
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats


class RidgeMap(LinearMap):
    """``coef_ = (X^T X + alpha I)^-1 X^T Y`` (centred sums with ``fit_intercept``), as scikit-learn's ``Ridge``.

    Parameters
    ----------
    alpha : penalty >= 0 on the squared Frobenius norm of ``coef_``.
    fit_intercept : learn a bias (the penalty does not apply to it).
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "ridge"

    def __init__(self, *, alpha: float = 1.0, fit_intercept: bool = False, normalize: bool = True) -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        owner = type(self).__name__
        return {
            "alpha": check_alpha(self.alpha, owner),
            "fit_intercept": check_flag(self.fit_intercept, "fit_intercept", owner),
        }

    def _solve(self, stats: SufficientStats, alpha: float, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
        coef = ridge_coef(stats, alpha, fit_intercept)
        return coef, intercept_for(stats, coef, fit_intercept)
