"""Ridge maps from one source to several targets fitted on the same rows, as factored predictions.

The probes mapped into each target are ``left @ right + mean_y``: ``left`` depends on the source only and is
computed once, each target costs its ``right``. With a fixed penalty the source is solved once (``FixedRidge``);
with the penalty chosen by GCV per target, through one eigendecomposition (``Spectrum``). Pass the source's rows
when there are fewer of them than dimensions (the dual problem), else their statistics (no pass over the rows).
"""

from __future__ import annotations

import numpy as np

from facebridge.maps.fixed_ridge import FixedRidge
from facebridge.maps.spectrum import Spectrum
from facebridge.maps.stats import SufficientStats


class RidgeToTargets:
    """Ridge from ``source`` (rows (n, dx), or their ``SufficientStats``) with penalty ``alpha`` (None: GCV per
    target), a bias fitted on centred rows when ``centered``, applied to ``probes`` (m, dx)."""

    def __init__(
        self, source: SufficientStats | np.ndarray, probes: np.ndarray, alpha: float | None, *, centered: bool
    ) -> None:
        primal = isinstance(source, SufficientStats)
        self._solver: Spectrum | FixedRidge
        if alpha is None:
            self._solver = (Spectrum.of_stats if primal else Spectrum.of)(source, centered=centered)  # type: ignore[arg-type]
            self.left = self._solver.project(probes)
        else:
            self._solver = (FixedRidge.of_stats if primal else FixedRidge.of)(source, alpha, centered=centered)  # type: ignore[arg-type]
            self.left = self._solver.probe(probes)

    def target(self, target: SufficientStats | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``right`` and ``mean_y`` (dy,) of one target, given as the source's kind was: the same rows' target
        vectors (n, dy), or the (source, target) statistics of those rows."""
        primal = isinstance(target, SufficientStats)
        if isinstance(self._solver, Spectrum):
            right, mean_y, _ = self._solver.solve_scatter(target) if primal else self._solver.solve(target)  # type: ignore[arg-type]
            return right, mean_y
        return self._solver.targets_scatter(target) if primal else self._solver.targets(target)  # type: ignore[arg-type]
