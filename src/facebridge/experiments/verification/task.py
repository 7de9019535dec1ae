"""One fit's view of the data: the (source, target) statistics and rows a fold-k map may read, and nothing else.

Every fit in the study goes through a ``FoldTask``: its pools always exclude the people of fold ``fold`` (the fold
the map is then scored on), and its inner validation folds are drawn from the other folds only. This is the one
place the leakage rule lives; the tests spy on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.experiments.shared.data import StudyData
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.maps import SufficientStats


@dataclass(frozen=True)
class FoldTask:
    """Data access for the map ``source -> target`` scored on fold ``fold``."""

    moments: GroupMoments
    source: str
    target: str
    fold: int

    @property
    def data(self) -> StudyData:
        return self.moments.data

    def _without(self, inner: frozenset[int]) -> frozenset[int]:
        return frozenset({self.fold}) | inner

    def train_stats(self, inner: frozenset[int] = frozenset(), *, track_yy: bool = False) -> SufficientStats:
        """Statistics of the pool: images whose person is neither in fold ``fold`` nor in the folds ``inner``."""
        return self.moments.pool_stats(self.source, self.target, self._without(inner), track_yy=track_yy)

    def validation_stats(self, inner: frozenset[int]) -> SufficientStats:
        """Statistics of the images of the folds ``inner`` whose person is not in fold ``fold``."""
        k = self.fold
        return self.moments.stats_where(self.source, self.target, lambda g: bool(g & inner) and k not in g)

    def inner_splits(self, n_splits: int) -> list[frozenset[int]]:
        """The other folds dealt round-robin into at most ``n_splits`` validation groups (inner cross-validation)."""
        others = [k for k in self.data.fold_ids if k != self.fold]
        n_splits = max(1, min(n_splits, len(others)))
        return [frozenset(others[i::n_splits]) for i in range(n_splits)]

    def train_rows(self) -> np.ndarray:
        """Row indices (into ``data.ids``) of the pool, for fits that pick images themselves (kernel landmarks)."""
        return np.flatnonzero(self.data.allowed(frozenset({self.fold})))
