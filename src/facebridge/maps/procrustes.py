"""Orthogonal Procrustes with a global scale: the map that keeps the geometry of the source space."""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps._solve import intercept_for
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats


class ProcrustesMap(LinearMap):
    """``coef_ = s U V^T`` from the thin SVD ``U S V^T`` of the centred cross-scatter ``Sxy``, plus a bias.

    ``U V^T`` (dx, dy) is orthogonal when dx == dy and semi-orthogonal otherwise (orthonormal rows when dx < dy,
    columns when dx > dy): it maximises ``trace(W^T Sxy)``, which is the least-squares fit whenever dx <= dy or the
    centred source is isotropic. ``s = trace(S) / trace(R^T Sxx R)`` is then the least-squares scale.

    Parameters
    ----------
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "procrustes"

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        return {}

    def _solve(self, stats: SufficientStats) -> tuple[np.ndarray, np.ndarray]:
        xx, xy, _ = stats.scatter(centered=True)
        u, s, vt = np.linalg.svd(xy, full_matrices=False)  # numpy releases the GIL (scipy holds it)
        rotation = u @ vt
        spread = float((rotation * (xx @ rotation)).sum())
        if spread <= stats.dx * np.finfo(np.float64).eps * float(np.trace(stats.xtx)):  # only round-off left
            raise InvalidInputError(
                f"{type(self).__name__} cannot fit: X has no variance after centring "
                f"(n_samples={stats.n}, n_features={stats.dx})"
            )
        coef = (s.sum() / spread) * rotation
        return coef, intercept_for(stats, coef, fit_intercept=True)
