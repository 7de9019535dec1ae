"""Ridge with one fixed penalty for many targets, by one linear solve: what ``Spectrum`` does when the penalty
needs no choosing, at a few per cent of its cost (a d x d solve against a d x d eigendecomposition)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.checks import check_real
from facebridge.errors import InvalidInputError
from facebridge.maps.stats import SufficientStats


def _checked_alpha(alpha: float) -> float:
    """The penalty: > 0, since the primal system ``Xc^T Xc + alpha I`` must be positive definite."""
    return check_real(alpha, "alpha", "FixedRidge", strict=True)


@dataclass(frozen=True, eq=False)
class FixedRidge:
    """Ridge with penalty ``alpha`` on rows ``X`` (n, d) for any targets, through the smaller of the systems
    ``Xc Xc^T + alpha I`` (``dual``, n <= d) and ``Xc^T Xc + alpha I`` (positive definite: ``alpha > 0``).

    Probe rows ``X'`` are mapped to ``probe(X') @ R + mean_y`` with ``R`` from ``targets`` (dual: ``Yc``, (n, dy))
    or ``targets_scatter`` (primal: ``Xc^T Yc``, (d, dy)), as ``X' (X^T X + aI)^-1 X^T Y = X' X^T (X X^T + aI)^-1 Y``.
    ``probe`` is computed once for all targets, so each target costs one product. ``centered=False`` keeps the rows
    as they are (no bias): the study's ridge. Solved by numpy's LU solve, which releases the GIL (threads run in
    parallel: see bench/bench_threads.py); scipy's Cholesky solve, cheaper alone, holds it.
    """

    alpha: float
    mean_x: np.ndarray
    xc: np.ndarray | None
    system: np.ndarray
    dual: bool
    centered: bool
    n_rows: int

    @classmethod
    def of(cls, X: np.ndarray, alpha: float, *, centered: bool = True) -> FixedRidge:
        """The system of rows ``X`` (n, d): dual when n <= d."""
        alpha = _checked_alpha(alpha)
        mean_x = X.mean(axis=0) if centered else np.zeros(X.shape[1])
        xc = X - mean_x
        n, d = xc.shape
        dual = n <= d
        gram = xc @ xc.T if dual else xc.T @ xc
        return cls(alpha, mean_x, xc, _system(gram, alpha), dual, centered, n)

    @classmethod
    def of_stats(cls, stats: SufficientStats, alpha: float, *, centered: bool = True) -> FixedRidge:
        """The primal system of the source rows summed in ``stats`` (as ``of`` on those rows, up to rounding)."""
        alpha = _checked_alpha(alpha)
        mean_x = stats.mean_x if centered else np.zeros(stats.dx)
        return cls(alpha, mean_x, None, _system(stats.scatter(centered=centered).xx, alpha), False, centered, stats.n)

    def probe(self, Xp: np.ndarray) -> np.ndarray:
        """(m, n) when dual, else (m, d): the probe rows ``Xp`` (m, d) with the inverse folded in."""
        xp = Xp - self.mean_x
        return np.linalg.solve(self.system, self.xc @ xp.T if self.dual else xp.T).T

    def targets(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``R`` (n, dy) and ``mean_y`` (dy,) of targets ``Y`` (n, dy) of the rows of a dual system."""
        if not self.dual or len(Y) != self.n_rows:
            raise InvalidInputError(f"targets needs a dual system of the same {len(Y)} rows")
        mean_y = Y.mean(axis=0) if self.centered else np.zeros(Y.shape[1])
        return Y - mean_y, mean_y

    def targets_scatter(self, stats: SufficientStats) -> tuple[np.ndarray, np.ndarray]:
        """``R`` (d, dy) and ``mean_y`` (dy,) of the targets summed in ``stats`` (the system's rows, primal)."""
        if self.dual or stats.n != self.n_rows:
            raise InvalidInputError(f"targets_scatter needs a primal system of the same {stats.n} rows")
        mean_y = stats.mean_y if self.centered else np.zeros(stats.dy)
        return stats.cross_scatter(centered=self.centered), mean_y


def _system(gram: np.ndarray, alpha: float) -> np.ndarray:
    """``gram + alpha I``."""
    out = gram.copy()
    out[np.diag_indices_from(out)] += alpha
    return out
