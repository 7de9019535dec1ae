"""Ridge on rows for many targets and penalties from one eigendecomposition of the rows, with generalised
cross-validation (GCV): the penalty choice of fits on raw rows (small samples, kernel features)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps.ridge_cv import ALPHAS, best_alpha
from facebridge.maps.stats import SufficientStats, symmetric_eigh


def _kept(s2: np.ndarray, vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eigenpairs above the numerical rank cut (relative 1e-10 of the largest)."""
    keep = s2 > 1e-10 * max(float(s2.max(initial=0.0)), 1e-300)
    return s2[keep], vecs[:, keep]


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Ridge on rows ``X`` (n, d) for any targets and penalties, from one eigen-decomposition of the smaller of
    ``Xc Xc^T`` and ``Xc^T Xc``: a fit on 10 images costs a 10 x 10 eigenproblem, one on 8,000 a d x d one.

    With the thin SVD ``Xc = U S V^T`` (``r`` kept components, ``s2 = S^2``), ridge with penalty ``alpha`` maps rows
    ``X'`` to ``project(X') @ G + mean_y``, ``project(X') = (X' - mean_x) V S`` and ``G = U^T Yc / (s2 + alpha)``.
    ``centered=False`` keeps the rows as they are (no bias): the study's ridge.

    ``of_stats`` builds the primal spectrum from summed statistics instead of rows (``xc`` is then None): targets are
    then solved from their cross-scatter (``solve_scatter``), so nested or shared samples never revisit their rows.
    """

    s2: np.ndarray
    b: np.ndarray
    mean_x: np.ndarray
    xc: np.ndarray | None
    left: np.ndarray
    dual: bool
    centered: bool
    n_rows: int

    @classmethod
    def of(cls, X: np.ndarray, *, centered: bool = True) -> Spectrum:
        mean_x = X.mean(axis=0) if centered else np.zeros(X.shape[1])
        xc = X - mean_x
        n, d = xc.shape
        dual = n <= d
        s2, vecs = _kept(*symmetric_eigh(xc @ xc.T if dual else xc.T @ xc))
        b = xc.T @ vecs if dual else vecs * np.sqrt(s2)  # V S either way
        return cls(s2, b, mean_x, xc, vecs, dual, centered, n)

    @classmethod
    def of_stats(cls, stats: SufficientStats, *, centered: bool = True) -> Spectrum:
        """The primal spectrum of the source rows summed in ``stats`` (as ``of`` on those rows, up to rounding):
        one d x d eigenproblem however many rows; solve targets with ``solve_scatter``."""
        mean_x = stats.mean_x if centered else np.zeros(stats.dx)
        s2, vecs = _kept(*symmetric_eigh(stats.scatter(centered=centered).xx))
        return cls(s2, vecs * np.sqrt(s2), mean_x, None, vecs, False, centered, stats.n)

    @property
    def n(self) -> int:
        return self.n_rows

    def _cross(self, sxy: np.ndarray) -> np.ndarray:
        """(r, dy) ``U^T Yc`` of the primal case from the cross-scatter ``Xc^T Yc``: ``U = Xc V / S``, never formed."""
        return (self.left.T @ sxy) / np.sqrt(self.s2)[:, None]

    def _uty(self, yc: np.ndarray) -> np.ndarray:
        """(r, dy) ``U^T Yc``."""
        if self.dual:
            return self.left.T @ yc
        if self.xc is None:
            raise InvalidInputError("a spectrum built from statistics has no rows: solve targets with solve_scatter")
        return self._cross(self.xc.T @ yc)

    def _gcv(self, uty: np.ndarray, total: float, alphas: Sequence[float]) -> np.ndarray:
        """GCV per alpha, with the residual and ``n - df`` summed from their small parts: the part of ``Yc``
        outside the rows' span, plus ``sum((1 - f)^2 c)``, and ``n - 1 - r + sum(1 - f)`` with ``1 - f =
        alpha / (s2 + alpha)`` (``total - sum((2f - f^2) c)`` cancels to rounding noise at tiny penalties when
        there are fewer rows than features, and that noise, divided by a tiny ``(n - df)^2``, could win the grid)."""
        c = (uty**2).sum(axis=1)
        outside = max(total - float(c.sum()), 0.0)
        out = np.full(len(alphas), np.inf)
        for i, alpha in enumerate(alphas):
            shrink = alpha / (self.s2 + alpha)
            dof_left = (self.n - 1 - len(self.s2)) + shrink.sum()
            if dof_left > 0:
                out[i] = (outside + (shrink * shrink * c).sum()) / dof_left**2
        return out

    def gcv(self, Y: np.ndarray, alphas: Sequence[float] = ALPHAS) -> np.ndarray:
        """(len(alphas),) GCV scores ``RSS / (n - df)^2`` of the affine ridge on centred rows (``df`` counts the
        intercept); ``inf`` where ``df >= n``."""
        yc = Y - Y.mean(axis=0)
        return self._gcv(self._uty(yc), float((yc**2).sum()), alphas)

    def solve(
        self, Y: np.ndarray, alpha: float | None = None, *, alphas: Sequence[float] = ALPHAS
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Weights ``G`` (r, dy), ``mean_y`` (dy,) and the penalty for targets ``Y`` (n, dy): ``alpha``, or when
        None the one of ``alphas`` with the lowest GCV score (ties to the larger). ``mean_y`` is zero when the
        spectrum was built with ``centered=False``."""
        mean_y = Y.mean(axis=0) if self.centered else np.zeros(Y.shape[1])
        yc = Y - mean_y
        return self._weights(self._uty(yc), float((yc**2).sum()), mean_y, alpha, alphas)

    def solve_scatter(
        self, stats: SufficientStats, alpha: float | None = None, *, alphas: Sequence[float] = ALPHAS
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """As ``solve``, for the targets summed in ``stats`` (the same rows as the spectrum's, from ``of_stats``)."""
        if self.dual or stats.n != self.n_rows:
            raise InvalidInputError(f"solve_scatter needs a primal spectrum of the same {stats.n} rows")
        xy = stats.cross_scatter(centered=self.centered)
        mean_y = stats.mean_y if self.centered else np.zeros(stats.dy)
        total = float(stats.ssq_y.sum() - stats.n * (mean_y**2).sum())
        return self._weights(self._cross(xy), total, mean_y, alpha, alphas)

    def _weights(
        self, uty: np.ndarray, total: float, mean_y: np.ndarray, alpha: float | None, alphas: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray, float]:
        if alpha is None:
            alpha = best_alpha(alphas, self._gcv(uty, total, alphas))
        return uty / (self.s2 + alpha)[:, None], mean_y, float(alpha)

    def project(self, X: np.ndarray) -> np.ndarray:
        """(m, r) ``(X - mean_x) V S`` for rows ``X`` (m, d)."""
        return (X - self.mean_x) @ self.b

    def fit(self, Y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (d, dy) and ``intercept`` (dy,) of ridge with penalty ``alpha`` on targets ``Y`` (n, dy)."""
        g, mean_y, _ = self.solve(Y, alpha)
        coef = self.b @ g
        return coef, mean_y - self.mean_x @ coef
