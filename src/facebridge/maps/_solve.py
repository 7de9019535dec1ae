"""Closed-form maths shared by the maps: PSD solves and eigenvectors, on sufficient statistics only."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from facebridge.maps.stats import SufficientStats

# Eigenvalues of a Gram matrix below this fraction of the largest (1e-6 in singular values of the data) are treated
# as zero: summing n outer products leaves errors near eps * n * max, so smaller ones carry no information.
PINV_RTOL = 1e-12


def pinv_diagonal(w: np.ndarray) -> np.ndarray:
    """``1 / w`` for the entries of a PSD spectrum ``w`` above ``PINV_RTOL * max(w)``, 0 elsewhere."""
    tol = PINV_RTOL * max(float(w.max(initial=0.0)), 0.0)
    safe = np.where(w > tol, w, 1.0)
    return np.where(w > tol, 1.0 / safe, 0.0)


def solve_psd(a: np.ndarray, b: np.ndarray, alpha: float = 0.0) -> np.ndarray:
    """``(a + alpha I)^+ b`` for symmetric PSD ``a`` (d, d) and ``b`` (d, k).

    Through the eigendecomposition, so ``alpha = 0`` on a singular ``a`` gives the minimum-norm least-squares
    solution (as ``numpy.linalg.lstsq`` would on the raw rows) instead of failing.
    """
    w, v = linalg.eigh(a)
    inv = pinv_diagonal(np.clip(w, 0.0, None) + alpha)
    return v @ (inv[:, None] * (v.T @ b))


def top_eigh(a: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``r`` largest eigenvalues (r,) of symmetric ``a`` (d, d) and their orthonormal eigenvectors (d, r),
    largest first."""
    d = a.shape[0]
    w, v = linalg.eigh(a, subset_by_index=(d - r, d - 1))
    return w[::-1], v[:, ::-1]


def intercept_for(stats: SufficientStats, coef: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """(dy,) bias that makes the map pass through the means, or zeros without an intercept."""
    return stats.mean_y - stats.mean_x @ coef if fit_intercept else np.zeros(stats.dy)


def ridge_coef(stats: SufficientStats, alpha: float, fit_intercept: bool) -> np.ndarray:
    """(dx, dy) ridge coefficients ``(Sxx + alpha I)^+ Sxy``, on centred scatter when fitting an intercept."""
    xx, xy, _ = stats.scatter(centered=fit_intercept)
    return solve_psd(xx, xy, alpha)
