"""Ridge with one fixed penalty for many targets, from a Cholesky factor: what ``Spectrum`` does when the penalty
needs no choosing, at a tenth of its cost (a d x d Cholesky factorisation against a d x d eigendecomposition)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from facebridge.errors import InvalidInputError
from facebridge.maps.stats import SufficientStats


def _checked_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha) or alpha <= 0:
        raise InvalidInputError(f"RidgeFactor: alpha must be a finite number > 0, got {alpha!r}")
    return float(alpha)


@dataclass(frozen=True, eq=False)
class RidgeFactor:
    """Ridge with penalty ``alpha`` on rows ``X`` (n, d) for any targets, from the Cholesky factor of the smaller of
    ``Xc Xc^T + alpha I`` (``dual``, n <= d) and ``Xc^T Xc + alpha I``.

    Probe rows ``X'`` are mapped to ``probe(X') @ R + mean_y`` with ``R`` from ``targets`` (dual: ``Yc``, (n, dy))
    or ``targets_scatter`` (primal: ``Xc^T Yc``, (d, dy)), as ``X' (X^T X + aI)^-1 X^T Y = X' X^T (X X^T + aI)^-1 Y``.
    ``probe`` is computed once for all targets, so each target costs one product. ``centered=False`` keeps the rows
    as they are (no bias): the study's ridge.
    """

    alpha: float
    mean_x: np.ndarray
    xc: np.ndarray | None
    factor: tuple[np.ndarray, bool]
    dual: bool
    centered: bool
    n_rows: int

    @classmethod
    def of(cls, X: np.ndarray, alpha: float, *, centered: bool = True) -> RidgeFactor:
        """The factor of rows ``X`` (n, d): dual when n <= d."""
        alpha = _checked_alpha(alpha)
        mean_x = X.mean(axis=0) if centered else np.zeros(X.shape[1])
        xc = X - mean_x
        n, d = xc.shape
        dual = n <= d
        gram = xc @ xc.T if dual else xc.T @ xc
        return cls(alpha, mean_x, xc, _cho(gram, alpha), dual, centered, n)

    @classmethod
    def of_stats(cls, stats: SufficientStats, alpha: float, *, centered: bool = True) -> RidgeFactor:
        """The primal factor of the source rows summed in ``stats`` (as ``of`` on those rows, up to rounding)."""
        alpha = _checked_alpha(alpha)
        mean_x = stats.mean_x if centered else np.zeros(stats.dx)
        return cls(alpha, mean_x, None, _cho(stats.scatter(centered=centered).xx, alpha), False, centered, stats.n)

    def probe(self, Xp: np.ndarray) -> np.ndarray:
        """(m, n) when dual, else (m, d): the probe rows ``Xp`` (m, d) with the inverse folded in."""
        xp = Xp - self.mean_x
        if self.dual:
            return linalg.cho_solve(self.factor, self.xc @ xp.T, check_finite=False).T
        return linalg.cho_solve(self.factor, xp.T, check_finite=False).T

    def targets(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``R`` (n, dy) and ``mean_y`` (dy,) of targets ``Y`` (n, dy) of the rows of a dual factor."""
        if not self.dual or len(Y) != self.n_rows:
            raise InvalidInputError(f"targets needs a dual factor of the same {len(Y)} rows")
        mean_y = Y.mean(axis=0) if self.centered else np.zeros(Y.shape[1])
        return Y - mean_y, mean_y

    def targets_scatter(self, stats: SufficientStats) -> tuple[np.ndarray, np.ndarray]:
        """``R`` (d, dy) and ``mean_y`` (dy,) of the targets summed in ``stats`` (the factor's rows, primal)."""
        if self.dual or stats.n != self.n_rows:
            raise InvalidInputError(f"targets_scatter needs a primal factor of the same {stats.n} rows")
        mean_y = stats.mean_y if self.centered else np.zeros(stats.dy)
        return stats.cross_scatter(centered=self.centered), mean_y


def _cho(gram: np.ndarray, alpha: float) -> tuple[np.ndarray, bool]:
    """Cholesky factor of ``gram + alpha I`` (positive definite for PSD ``gram`` and ``alpha > 0``)."""
    a = gram + alpha * np.eye(len(gram))
    return linalg.cho_factor(a, lower=False, overwrite_a=True, check_finite=False)
