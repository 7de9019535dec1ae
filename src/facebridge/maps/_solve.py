"""Closed-form maths shared by the maps: PSD solves through eigendecompositions, on sufficient statistics only."""

from __future__ import annotations

import numpy as np

from facebridge.maps.stats import SufficientStats

# Eigenvalues of a Gram matrix below this fraction of the largest (1e-6 in singular values of the data) are treated
# as zero: summing n outer products leaves errors near eps * n * max, so smaller ones carry no information.
PINV_RTOL = 1e-12


def _kept(w: np.ndarray) -> np.ndarray:
    """``w`` with the entries at or below ``PINV_RTOL * max(w)`` set to inf, so that dividing by it gives 0 there."""
    tol = PINV_RTOL * max(float(w.max(initial=0.0)), 0.0)
    return np.where(w > tol, w, np.inf)


def eigen_solve(w: np.ndarray, v: np.ndarray, b: np.ndarray, alpha: float = 0.0) -> np.ndarray:
    """``(a + alpha I)^+ b`` for ``a = V diag(w) V^T`` (``w`` clipped at 0) and ``b`` (d, k).

    The pseudo-inverse makes ``alpha = 0`` on a singular ``a`` give the minimum-norm least-squares solution (as
    ``numpy.linalg.lstsq`` would on the raw rows) instead of failing.
    """
    return v @ ((v.T @ b) / _kept(np.clip(w, 0.0, None) + alpha)[:, None])


def intercept_for(stats: SufficientStats, coef: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """(dy,) bias that makes the map pass through the means, or zeros without an intercept."""
    return stats.mean_y - stats.mean_x @ coef if fit_intercept else np.zeros(stats.dy)


def ridge_coef(stats: SufficientStats, alpha: float, fit_intercept: bool) -> np.ndarray:
    """(dx, dy) ridge coefficients ``(Sxx + alpha I)^+ Sxy``, on centred scatter when fitting an intercept.

    The eigendecomposition of ``Sxx`` comes from ``stats.source_eigh`` (computed once per statistics, or shared by
    the caller that built them)."""
    w, v = stats.source_eigh(centered=fit_intercept)
    return eigen_solve(w, v, stats.cross_scatter(centered=fit_intercept), alpha)
