"""Second moments of every model's vectors, summed per fold group once, so that the statistics of any
(source, target, training pool) are a few block sums instead of a pass over the images.

With ``Z`` the images' vectors of all models side by side, ``M_g = [1 | Z_g]^T [1 | Z_g]`` for each fold group ``g``
holds, in its blocks, the counts, sums, ``X^T X``, ``X^T Y`` and ``Y^T Y`` of every model pair. The pool of fold k's
map is every group that does not contain k, so its statistics are the total minus fold k's groups; the same holds
for the inner folds of a cross-validation. One O(n D^2) product replaces 56 maps x 10 folds passes over the data.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import numpy as np

from facebridge.experiments.shared.data import StudyData
from facebridge.experiments.shared.parallel import map_threads
from facebridge.maps import SufficientStats

T = TypeVar("T")

# Row blocks of this many images keep the (rows, D) float64 buffer small while the product stays a large gemm.
_BLOCK_ROWS = 4096
# Memoised results kept at once: small ones (eigen-decompositions of up to 1024 x 1024: at most ~0.5 GB) and large
# ones (a source's kernel moments, ~0.1 GB each: one per thread, since a thread finishes a source before the next).
_MEMO_SIZE = {False: 64, True: 1}


def model_offsets(data: StudyData) -> tuple[dict[str, slice], int]:
    """Each model's columns in ``[1 | Z]`` (column 0 is the constant), and the width ``1 + D``."""
    offset, start = {}, 1
    for m in data.models:
        offset[m] = slice(start, start + data.dim(m))
        start += data.dim(m)
    return offset, start


def joint_blocks(
    data: StudyData, offset: dict[str, slice], rows: np.ndarray, width: int, block_rows: int = _BLOCK_ROWS
) -> Iterator[np.ndarray]:
    """``[1 | Z]`` (len, width) over the images ``rows``, in blocks of at most ``block_rows`` rows."""
    for s in range(0, len(rows), block_rows):
        part = rows[s : s + block_rows]
        block = np.empty((len(part), width))
        block[:, 0] = 1.0
        for m in data.models:
            block[:, offset[m]] = data.vectors[m][part]
        yield block


def joint_moments(
    data: StudyData,
    offset: dict[str, slice],
    rows: np.ndarray,
    width: int,
    out: np.ndarray | None = None,
    *,
    mirror: bool = True,
) -> np.ndarray:
    """``[1 | Z]^T [1 | Z]`` (width, width) over the images ``rows``, in row blocks, added to ``out`` when given
    (no second width x width array).

    Only the upper block triangle (every model's columns against the constant, the models before it and itself) is
    multiplied: the product is symmetric, and that is half the work. ``mirror`` copies it into the lower blocks;
    without it they hold nothing of this call (read them through ``upper_block``).
    """
    out = np.zeros((width, width)) if out is None else out
    for block in joint_blocks(data, offset, rows, width):
        out[:1, :1] += block[:, :1].T @ block[:, :1]
        for cols in offset.values():
            # Two distinct arrays: numpy would call syrk on ``a.T @ a``, several times slower than gemm.
            out[: cols.stop, cols] += block[:, : cols.stop].T @ block[:, cols]
    if mirror:
        for cols in offset.values():
            out[cols, : cols.start] = out[: cols.start, cols].T
    return out


def upper_block(moment: np.ndarray, rows: slice | int, cols: slice) -> np.ndarray:
    """A copy of block ``[rows, cols]`` of a symmetric ``joint_moments`` sum kept as its upper block triangle
    (``mirror=False``): a block below the diagonal is read as the transpose of its mirror image."""
    if isinstance(rows, slice) and rows.start > cols.start:
        return moment[cols, rows].T.copy()
    return moment[rows, cols].copy()


def block_stats(
    block: Callable[[slice | int, slice], np.ndarray],
    xs: slice,
    ys: slice,
    ssq_y: np.ndarray,
    yty: np.ndarray | None = None,
) -> SufficientStats:
    """The (source ``xs``, target ``ys``) statistics held in the blocks of a ``[1 | Z]^T [1 | Z]`` sum, read with
    ``block(rows, cols)`` (a new array each call); ``ssq_y`` and ``yty`` are passed in, since a sum of several
    moments gets the diagonal more cheaply than the whole ``Y^T Y`` block."""
    return SufficientStats(
        n=round(float(block(0, slice(0, 1))[0])),
        sum_x=block(0, xs),
        sum_y=block(0, ys),
        xtx=block(xs, xs),
        xty=block(xs, ys),
        ssq_y=ssq_y,
        yty=yty,
        normalize=True,
    )


class GrowingMoments:
    """``[1 | Z]^T [1 | Z]`` of all models over a set of images that only grows: nested samples (the sample-size
    draws) pay for their new images only, and every (source, target) pair reads its statistics off it."""

    def __init__(self, data: StudyData) -> None:
        self.data = data
        self._offset, self._width = model_offsets(data)
        self._moment = np.zeros((self._width, self._width))

    @property
    def n(self) -> int:
        return round(float(self._moment[0, 0]))

    def add(self, rows: np.ndarray) -> None:
        """Add the images ``rows`` (each at most once over the object's life)."""
        joint_moments(self.data, self._offset, rows, self._width, out=self._moment, mirror=False)

    def stats(self, source: str, target: str) -> SufficientStats:
        """Statistics of the (source, target) rows of every image added so far."""
        ys, m = self._offset[target], self._moment
        return block_stats(lambda r, c: upper_block(m, r, c), self._offset[source], ys, np.diagonal(m[ys, ys]).copy())


class UpperBlocks:
    """A symmetric ``joint_moments`` sum kept as its upper block triangle: one array per pair of segments (the
    constant column, then each model's columns) ``i <= j``; a block below the diagonal is read as its mirror's
    transpose, the same numbers ``joint_moments`` would have copied there. Near half the memory of the square."""

    def __init__(self, blocks: dict[tuple[int, int], np.ndarray], starts: dict[int, int]) -> None:
        self.blocks, self._index = blocks, starts

    @classmethod
    def of(cls, moment: np.ndarray, segments: list[slice]) -> UpperBlocks:
        """The upper blocks of ``moment`` (computed with or without ``mirror``) cut at ``segments``."""
        blocks = {
            (i, j): moment[si, sj].copy() for i, si in enumerate(segments) for j, sj in enumerate(segments) if i <= j
        }
        return cls(blocks, {sg.start: i for i, sg in enumerate(segments)})

    @classmethod
    def summed(cls, parts: list[UpperBlocks]) -> UpperBlocks:
        """The sum of ``parts``, added in their order (as ``np.sum`` of the squares adds them)."""
        blocks = {key: block.copy() for key, block in parts[0].blocks.items()}
        for part in parts[1:]:
            for key, block in part.blocks.items():
                blocks[key] += block
        return cls(blocks, parts[0]._index)

    def __getitem__(self, where: tuple[slice | int, slice]) -> np.ndarray:
        """Block ``[rows, cols]`` (a view) for ``rows`` a segment or the constant row 0, ``cols`` a segment."""
        rows, cols = where
        j = self._index[cols.start]
        if isinstance(rows, int):  # the constant row: row 0 of the first segment
            return self.blocks[(0, j)][rows]
        i = self._index[rows.start]
        return self.blocks[(i, j)] if i <= j else self.blocks[(j, i)].T

    def diagonal(self, cols: slice) -> np.ndarray:
        """The diagonal of block ``[cols, cols]`` (a view)."""
        return np.diagonal(self[cols, cols])


class GroupMoments:
    """Per fold-group moments of all models' normalised vectors, and statistics of any pool read off them.

    Memory is ``len(groups) + 1`` upper block triangles (``UpperBlocks``) of ``(D + 1)^2`` float64 for ``D`` the
    sum of the models' dims (3,200 for the study's eight models: 12 x 49 MB, not 12 x 82 MB). The groups' moments
    are summed on ``threads`` threads. Also memoises what many fits share (``cached``), safely for ``threads``
    threads at once (the large memo keeps an entry per thread).
    """

    def __init__(self, data: StudyData, *, threads: int = 1) -> None:
        self.data = data
        self._sizes = {False: _MEMO_SIZE[False], True: _MEMO_SIZE[True] * threads}  # a large entry per thread
        self._lock = threading.Lock()
        self._offset, width = model_offsets(data)
        groups = [np.flatnonzero(data.group == g) for g in range(len(data.groups))]
        segments = [slice(0, 1), *self._offset.values()]

        def group_moment(rows: np.ndarray) -> UpperBlocks:
            return UpperBlocks.of(joint_moments(data, self._offset, rows, width, mirror=False), segments)

        self._moments = list(map_threads(group_moment, groups, threads))
        self._total = UpperBlocks.summed(self._moments)
        self._memo: dict[bool, dict[Hashable, object]] = {False: {}, True: {}}

    def _sum(self, keep: list[bool], rows: slice | int, cols: slice) -> np.ndarray:
        """Block ``[rows, cols]`` summed over the kept groups, as the total minus the others when that is shorter."""
        chosen = [m for m, k in zip(self._moments, keep, strict=True) if k]
        others = [m for m, k in zip(self._moments, keep, strict=True) if not k]
        if len(others) < len(chosen):
            out = self._total[rows, cols].copy()
            for m in others:
                out -= m[rows, cols]
            return out
        out = np.zeros(self._total[rows, cols].shape)  # C order, as a block of the square was
        for m in chosen:
            out += m[rows, cols]
        return out

    def stats_where(
        self, source: str, target: str, keep: Callable[[frozenset[int]], bool], *, track_yy: bool = False
    ) -> SufficientStats:
        """Statistics of the (source, target) rows of every image whose fold group ``g`` has ``keep(g)``."""
        kept = [bool(keep(g)) for g in self.data.groups]
        xs, ys = self._offset[source], self._offset[target]
        yy = self._sum(kept, ys, ys) if track_yy else None
        ssq = np.zeros(ys.stop - ys.start)
        for m, k in zip(self._moments, kept, strict=True):
            if k:
                ssq += m.diagonal(ys)
        return block_stats(lambda r, c: self._sum(kept, r, c), xs, ys, ssq, yy)

    def pool_stats(
        self, source: str, target: str, exclude: frozenset[int], *, track_yy: bool = False
    ) -> SufficientStats:
        """Statistics of every image whose person is in none of the folds ``exclude``; their ``source_eigh`` is the
        memoised one of ``source_eigh(source, exclude)``."""
        stats = self.stats_where(source, target, lambda g: not (g & exclude), track_yy=track_yy)
        return stats.with_source_eigh(lambda centered: self.source_eigh(source, exclude, centered=centered))

    def pool_mean(self, model: str, exclude: frozenset[int]) -> np.ndarray:
        """(d,) mean of ``model``'s vectors over every image whose person is in none of the folds ``exclude``."""
        kept = [not (g & exclude) for g in self.data.groups]
        return self._sum(kept, 0, self._offset[model]) / self._sum(kept, 0, slice(0, 1))[0]

    def cached(self, key: Hashable, compute: Callable[[], T], *, large: bool = False) -> T:
        """``compute()``, memoised under ``key``; the oldest entries are dropped beyond a fixed count, which is
        small for ``large`` results. Safe from several threads (two may compute the same entry once each)."""
        memo = self._memo[large]
        with self._lock:
            if key in memo:
                return memo[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            while len(memo) >= self._sizes[large]:
                del memo[next(iter(memo))]
            memo[key] = value
        return value

    def forget(self, *, large: bool) -> None:
        """Drop the memoised large (or small) results: a stage that is done with them frees their memory."""
        with self._lock:
            self._memo[large].clear()

    def source_eigh(
        self, source: str, exclude: frozenset[int], *, centered: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues (d,) ascending, clipped at 0, and eigenvectors (d, d) of the source's scatter (centred or raw)
        over the pool that excludes ``exclude``; memoised, since every target of that source and pool shares it."""

        def compute() -> tuple[np.ndarray, np.ndarray]:
            return self.stats_where(source, source, lambda g: not (g & exclude)).source_eigh(centered=centered)

        return self.cached(("eigh", source, exclude, centered), compute)
