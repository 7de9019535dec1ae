"""Every rank of reduced-rank regression and PCA-ridge from one decomposition of the full-rank ridge fit.

Both families' rank-r coefficients are ``L[:, :r] @ R[:r]`` for fixed factors ``L`` (dx, k) and ``R`` (k, dy):
rrr (``coef = B U_r U_r^T``, ``U`` the eigenvectors of the fitted values' scatter ``B^T Sxx B``): ``L = B U``,
``R = U^T``; pca_ridge (``coef = P_r (Λ_r + alpha)^-1 P_r^T Sxy``): ``L = P`` (principal axes, largest first),
``R = (Λ + alpha)^-1 P^T Sxy``. So a sweep over ranks costs one eigendecomposition of ``Sxx`` and one of a
min(dx, dy)-square matrix, and mapped rows ``(x - mean_x) @ L`` are formed once and truncated per rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps._solve import _kept
from facebridge.maps.stats import SufficientStats, symmetric_eigh

RANK_FAMILIES = ("rrr", "pca_ridge")


def fitted_value_axes(root: np.ndarray) -> np.ndarray:
    """Eigenvectors (dy, r) of ``root^T root`` (``root`` (dx, dy)), largest first, from the smaller of ``root
    root^T`` and ``root^T root`` (r = min(dx, dy), fewer when ``root`` is rank-deficient and dx < dy)."""
    if root.shape[0] >= root.shape[1]:
        _, axes = symmetric_eigh(root.T @ root)
        return axes[:, ::-1]
    s2, a = symmetric_eigh(root @ root.T)
    s2, a = s2[::-1], a[:, ::-1]
    keep = s2 > 1e-12 * max(float(s2[0]), 1e-300)
    return (root.T @ a[:, keep]) / np.sqrt(s2[keep])


@dataclass(frozen=True, eq=False)
class RankPath:
    """The factors of every rank of both families for one ``(stats, alpha, fit_intercept)``.

    ``full`` (dx, dy) is the full-rank ridge map; ``factors[family] = (L, R)``; ``mean_x``, ``mean_y`` the means the
    maps pass through (zeros without an intercept).
    """

    full: np.ndarray
    factors: dict[str, tuple[np.ndarray, np.ndarray]]
    mean_x: np.ndarray
    mean_y: np.ndarray

    @classmethod
    def fit(cls, stats: SufficientStats, alpha: float, *, fit_intercept: bool = True) -> RankPath:
        """The path on ``stats`` (its ``source_eigh`` is reused when the caller shared one)."""
        w, v = stats.source_eigh(centered=fit_intercept)  # ascending
        p = (v.T @ stats.cross_scatter(centered=fit_intercept)) / _kept(w + alpha)[:, None]  # coef in the eigenbasis
        full = v @ p
        u = fitted_value_axes(np.sqrt(w)[:, None] * p)
        factors = {"rrr": (full @ u, u.T), "pca_ridge": (v[:, ::-1], p[::-1])}
        zeros = np.zeros(stats.dx), np.zeros(stats.dy)
        means = (stats.mean_x, stats.mean_y) if fit_intercept else zeros
        return cls(full, factors, *means)

    def limit(self, family: str) -> int:
        """The largest rank below which ``family`` reduces anything (min(dx, dy) for rrr, dx for pca_ridge)."""
        return min(self.full.shape) if family == "rrr" else self.full.shape[0]

    def project(self, X: np.ndarray, family: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``X`` (m, dx) mapped by ``family`` at every rank, as factors ``(A, R)``: ``A = (X - mean_x) @ L``
        (m, k), ``R`` (k, dy), so the rank-r prediction is ``A[:, :r] @ R[:r] + mean_y`` for r < ``limit(family)``.
        ``family`` None: the full-rank map, ``(X - mean_x, full)``."""
        if family is None:
            return X - self.mean_x, self.full
        if family not in RANK_FAMILIES:
            raise InvalidInputError(f"unknown rank family {family!r}; use one of {', '.join(RANK_FAMILIES)}")
        left, right = self.factors[family]
        return (X - self.mean_x) @ left, right

    def coef(self, family: str, rank: int) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (dx, dy) and ``intercept`` (dy,) of ``family`` at ``rank``."""
        if family not in RANK_FAMILIES:
            raise InvalidInputError(f"unknown rank family {family!r}; use one of {', '.join(RANK_FAMILIES)}")
        left, right = self.factors[family]
        coef = left[:, :rank] @ right[:rank]
        return coef, self.mean_y - self.mean_x @ coef
