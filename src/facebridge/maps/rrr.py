"""Reduced-rank regression: the best rank-r linear map, for mapping through a bottleneck."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.checks import check_alpha, check_flag, check_rank
from facebridge.maps.base import LinearMap
from facebridge.maps.rank_path import RankPath
from facebridge.maps.stats import SufficientStats


class ReducedRankMap(LinearMap):
    """Ridge coefficients ``B`` projected onto the top-``rank`` eigenvectors ``V`` of the fitted-value scatter
    ``B^T Sxx B``: ``coef_ = B V V^T`` (rank <= ``rank``), which minimises the squared error among rank-r maps
    (for ``alpha = 0``). ``RankPath`` gives every rank from one decomposition.

    Parameters
    ----------
    rank : output rank in [1, min(dx, dy)]; None keeps min(dx, dy), i.e. no reduction (then equal to ridge).
    alpha : ridge penalty >= 0 of the full-rank fit.
    fit_intercept : learn a bias (centred statistics).
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "rrr"

    def __init__(
        self, *, rank: int | None = None, alpha: float = 1e-3, fit_intercept: bool = True, normalize: bool = True
    ) -> None:
        self.rank = rank
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        owner = type(self).__name__
        return {
            "rank": check_rank(self.rank, min(dx, dy), owner, "min(dx, dy)"),
            "alpha": check_alpha(self.alpha, owner),
            "fit_intercept": check_flag(self.fit_intercept, "fit_intercept", owner),
        }

    def _solve(
        self, stats: SufficientStats, rank: int, alpha: float, fit_intercept: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        return RankPath.fit(stats, alpha, fit_intercept=fit_intercept).coef("rrr", rank)
