"""Ridge on rows for many targets and penalties from one eigendecomposition of the rows, with generalised
cross-validation (GCV): the penalty choice of fits on raw rows (small samples, kernel features)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from facebridge.maps.ridge_cv import ALPHAS, best_alpha


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Ridge on rows ``X`` (n, d) for any targets and penalties, from one eigen-decomposition of the smaller of
    ``Xc Xc^T`` and ``Xc^T Xc``: a fit on 10 images costs a 10 x 10 eigenproblem, one on 8,000 a d x d one.

    With the thin SVD ``Xc = U S V^T`` (``r`` kept components, ``s2 = S^2``), ridge with penalty ``alpha`` maps rows
    ``X'`` to ``project(X') @ G + mean_y``, ``project(X') = (X' - mean_x) V S`` and ``G = U^T Yc / (s2 + alpha)``.
    ``centered=False`` keeps the rows as they are (no bias): the study's ridge.
    """

    s2: np.ndarray
    b: np.ndarray
    mean_x: np.ndarray
    xc: np.ndarray
    left: np.ndarray
    dual: bool
    centered: bool

    @classmethod
    def of(cls, X: np.ndarray, *, centered: bool = True) -> Spectrum:
        mean_x = X.mean(axis=0) if centered else np.zeros(X.shape[1])
        xc = X - mean_x
        n, d = xc.shape
        dual = n <= d
        s2, vecs = linalg.eigh(xc @ xc.T if dual else xc.T @ xc)
        keep = s2 > 1e-10 * max(float(s2.max(initial=0.0)), 1e-300)
        s2, vecs = s2[keep], vecs[:, keep]
        b = xc.T @ vecs if dual else vecs * np.sqrt(s2)  # V S either way
        return cls(s2, b, mean_x, xc, vecs, dual, centered)

    @property
    def n(self) -> int:
        return len(self.xc)

    def _uty(self, yc: np.ndarray) -> np.ndarray:
        """(r, dy) ``U^T Yc``; in the primal case ``U = Xc V / S``, applied without forming U."""
        if self.dual:
            return self.left.T @ yc
        return (self.left.T @ (self.xc.T @ yc)) / np.sqrt(self.s2)[:, None]

    def _gcv(self, uty: np.ndarray, total: float, alphas: Sequence[float]) -> np.ndarray:
        c = (uty**2).sum(axis=1)
        out = np.full(len(alphas), np.inf)
        for i, alpha in enumerate(alphas):
            f = self.s2 / (self.s2 + alpha)
            df = 1.0 + f.sum()
            if df < self.n:
                out[i] = (total - ((2 * f - f * f) * c).sum()) / (self.n - df) ** 2
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
        uty = self._uty(yc)
        if alpha is None:
            scores = self._gcv(uty, float((yc**2).sum()), alphas)
            alpha = best_alpha(alphas, scores)
        return uty / (self.s2 + alpha)[:, None], mean_y, float(alpha)

    def project(self, X: np.ndarray) -> np.ndarray:
        """(m, r) ``(X - mean_x) V S`` for rows ``X`` (m, d)."""
        return (X - self.mean_x) @ self.b

    def fit(self, Y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (d, dy) and ``intercept`` (dy,) of ridge with penalty ``alpha`` on targets ``Y`` (n, dy)."""
        g, mean_y, _ = self.solve(Y, alpha)
        coef = self.b @ g
        return coef, mean_y - self.mean_x @ coef
