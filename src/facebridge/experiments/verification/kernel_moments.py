"""The kernel map's feature moments for one source, shared by all its folds and targets.

Fold k's landmarks are the first ``m`` images of one seeded order of all images whose person is not in fold k: a
uniform draw from fold k's pool, as the estimator's own draw is, but the folds' draws overlap (each fold leaves out
a tenth or so of the images), so the kernel columns ``K`` of every image against their union are computed once.
With ``Z`` all models' vectors, ``K^T [1 | Z | K]`` over all images, minus the same over fold k's images, holds fold
k's pool statistics of ``phi = [x, K]`` against every target. A fold then costs one eigenproblem and no pass over
its pool's images (before: one per fold and one per target).
"""

from __future__ import annotations

import threading

import numpy as np

from facebridge.experiments.verification.moments import GroupMoments, joint_blocks, model_offsets
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import KernelBasis, LandmarkKernelMap, SufficientStats, kernel_columns

# Rows per block: each thread holds a block, its kernel columns and their copies (~55 MB at 1,024 rows, 3,201 model
# columns and 1,200 landmarks; four times that at GroupMoments' 4,096).
_BLOCK_ROWS = 1024


class KernelMoments:
    """Landmarks of every fold of ``source`` and the moments of their kernel columns; ``fit`` a fold's map from them.

    Memory: ``(u, 1 + D + u)`` float64 twice (all images, and the current fold's landmark rows), for ``u`` the
    union of the folds' landmarks (~1,200 for 1,024 per fold on LFW) and ``D`` the sum of the models' dims.
    """

    def __init__(self, moments: GroupMoments, source: str, n_landmarks: int, gamma: float, seed: int) -> None:
        data = moments.data
        self.moments, self.source, self.gamma = moments, source, gamma
        order = np.random.default_rng(seed).permutation(data.n)
        self._outside: dict[int, np.ndarray] = {}  # fold -> rows of the images outside its pool
        self.chosen: dict[int, np.ndarray] = {}
        for k in data.fold_ids:
            allowed = np.zeros(data.n, dtype=bool)
            allowed[FoldTask(moments, source, source, k).train_rows()] = True
            self._outside[k] = np.flatnonzero(~allowed)
            self.chosen[k] = np.sort(order[allowed[order]][:n_landmarks])
        self.union = np.unique(np.concatenate(list(self.chosen.values())))
        self._cols = {k: np.searchsorted(self.union, rows) for k, rows in self.chosen.items()}  # in the union
        self._landmarks = data.vectors[source][self.union]
        self._offset, self._width = model_offsets(data)
        self._total = self._moment(np.arange(data.n))
        self._fold: tuple[int, KernelBasis, np.ndarray, SufficientStats] | None = None
        self._probe: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (projection, rows, projected rows)
        self._lock = threading.Lock()  # the fold and probe kept are shared state: one thread moves them at a time

    def _moment(self, rows: np.ndarray, cols: np.ndarray | slice = slice(None)) -> np.ndarray:
        """``K[:, cols]^T [1 | Z | K]`` (len(cols), width + u) over the images ``rows``."""
        u, width = len(self.union), self._width
        out = np.zeros((len(self.union[cols]), width + u))
        for block in joint_blocks(self.moments.data, self._offset, rows, width, _BLOCK_ROWS):
            k = kernel_columns(block[:, self._offset[self.source]], self._landmarks, self.gamma, True)
            kt = k[:, cols].T
            out[:, :width] += kt @ block
            out[:, width:] += kt @ k.copy()  # two arrays: gemm, several times faster here than numpy's syrk
        return out

    def _stats(self, task: FoldTask, rows: np.ndarray, target: str, source: SufficientStats | None) -> SufficientStats:
        """Fold ``task.fold``'s pool statistics of ``phi`` against ``target``; ``rows`` are its pool moment's rows of
        the fold's landmarks. ``source``: the fold's statistics against any target, whose ``phi`` blocks (the same
        for every target) are then shared rather than rebuilt."""
        lin = FoldTask(self.moments, self.source, target, task.fold).train_stats()
        if source is None:
            cols = self._cols[task.fold]
            kx = rows[:, self._offset[self.source]]
            sum_x = np.concatenate([lin.sum_x, rows[:, 0]])
            xtx = np.block([[lin.xtx, kx.T], [kx, rows[:, self._width + cols]]])
        else:
            sum_x, xtx = source.sum_x, source.xtx
        return SufficientStats(
            n=lin.n,
            sum_x=sum_x,
            sum_y=lin.sum_y,
            xtx=xtx,
            xty=np.vstack([lin.xty, rows[:, self._offset[target]]]),
            ssq_y=lin.ssq_y,
            normalize=True,
        )

    def _basis(self, task: FoldTask) -> tuple[KernelBasis, np.ndarray, SufficientStats]:
        """Fold ``task.fold``'s basis, its landmarks' pool moment rows and its source statistics (the last fold's
        are kept)."""
        with self._lock:
            if self._fold is None or self._fold[0] != task.fold:
                cols = self._cols[task.fold]
                rows = self._total[cols] - self._moment(self._outside[task.fold], cols)
                stats = self._stats(task, rows, self.source, None)
                basis = KernelBasis.of_stats(stats, self._landmarks[cols], self.gamma, True)
                self._fold = (task.fold, basis, rows, stats)
            return self._fold[1:]

    def fit(self, task: FoldTask, estimator: LandmarkKernelMap) -> LandmarkKernelMap:
        """``estimator`` (unfitted, this kernel's gamma, normalising) fitted to fold ``task.fold``'s pool."""
        basis, rows, source = self._basis(task)
        return estimator.fit_basis_stats(basis, self._stats(task, rows, task.target, source))

    def transform(self, fitted: LandmarkKernelMap, rows: np.ndarray) -> np.ndarray:
        """``fitted.transform`` of the source's vectors of the images ``rows``, for a map from ``fit``: their
        projection on the fold's basis is computed once and shared by every target's map of that fold (it is
        recomputed when the basis or the rows change)."""
        with self._lock:
            kept = self._probe
            if kept is None or kept[0] is not fitted.projection_ or not np.array_equal(kept[1], rows):
                projected = fitted.project(self.moments.data.vectors[self.source][rows])
                kept = self._probe = (fitted.projection_, rows.copy(), projected)
        return fitted.from_projected(kept[2])
