"""PCA of the source followed by ridge: regularise by keeping only the main source directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.checks import check_alpha, check_rank
from facebridge.maps.base import LinearMap
from facebridge.maps.rank_path import RankPath
from facebridge.maps.stats import SufficientStats


class PCARidgeMap(LinearMap):
    """Project centred X onto its top-``rank`` principal axes ``P`` (dx, rank), ridge-regress Y on the scores,
    and compose: ``coef_ = P (Λ + alpha I)^-1 P^T Sxy`` (Λ the kept eigenvalues of Sxx), with a bias.

    ``RankPath`` gives every rank from one decomposition.

    Parameters
    ----------
    rank : principal components kept, in [1, dx]; None keeps all dx (then equal to ``affine`` with this alpha).
    alpha : ridge penalty >= 0 in the component space.
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "pca_ridge"

    def __init__(self, *, rank: int | None = None, alpha: float = 1e-3, normalize: bool = True) -> None:
        self.rank = rank
        self.alpha = alpha
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        owner = type(self).__name__
        return {"rank": check_rank(self.rank, dx, owner, "dx"), "alpha": check_alpha(self.alpha, owner)}

    def _solve(self, stats: SufficientStats, rank: int, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        return RankPath.fit(stats, alpha).coef("pca_ridge", rank)
