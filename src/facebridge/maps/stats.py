"""Sufficient statistics of paired embeddings: every map here is a closed-form function of them.

Streaming a fit is ``update`` chunk by chunk; a distributed fit is ``merge`` (plain addition) of partial statistics.
Memory is O(dx (dx + dy)) (plus O(dy^2) when the target scatter is tracked) and one block of rows, whatever ``n``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps._checks import as_matrix
from facebridge.vectors import l2_normalize_rows

# Chunks are multiplied block by block, this many rows at a time, in their own precision (float32 BLAS is ~3x faster
# than converting to float64), and the block products are summed in float64. Measured on 262,144 L2-normalised
# 512-d float32 pairs, sums and products differ from a float64 accumulation by <= 6e-8 relative, ridge coefficients
# by 7e-8 (65,536-row blocks: 3e-7 and 4e-7). ``ssq_y`` is accumulated in float64 outright (O(n dy), ~5% of a chunk).
_BLOCK_ROWS = 8192
DEFAULT_CHUNK_ROWS = 65536


#: Eigenvalues (d,) ascending, clipped at 0, and eigenvectors (d, d) of a source scatter.
Eigh = tuple[np.ndarray, np.ndarray]


def symmetric_eigh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (d,) ascending and eigenvectors (d, d) of symmetric ``a`` (read from its lower triangle).

    numpy's (LAPACK ``syevd``), not scipy's default (``syevr``): numpy releases the GIL, so threads decompose in
    parallel (measured on two threads: 2.0x numpy, 1.06x scipy), and ``syevd`` was ~20% faster on one thread here.
    """
    return np.linalg.eigh(a)


def psd_eigh(a: np.ndarray) -> Eigh:
    """Eigenvalues (d,) ascending, clipped at 0, and eigenvectors (d, d) of symmetric PSD ``a``."""
    w, v = symmetric_eigh(a)
    return np.clip(w, 0.0, None), v


class Scatter(NamedTuple):
    """Second moments of a joint sample: ``xx`` (dx, dx), ``xy`` (dx, dy), ``yy`` (dy, dy) or None if not tracked."""

    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray | None


def _chunk_moments(
    X: np.ndarray, Y: np.ndarray, track_yy: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Float64 sums of one chunk ``X`` (m, dx), ``Y`` (m, dy) of one dtype, for ``A = [1 | X]`` (m, 1 + dx).

    Returns ``A^T A`` (1 + dx, 1 + dx), i.e. ``[[m, sum_x], [sum_x, X^T X]]``; ``A^T Y`` (1 + dx, dy), i.e.
    ``[sum_y; X^T Y]``; ``Y^T Y`` (dy, dy) or None; and ``sum(Y**2, axis=0)`` (dy,).

    The column of ones makes the sums come out of the same two BLAS calls (syrk, gemm) as the products, with no
    extra pass over the chunk, and carries any NaN or inf of a row into them for ``update`` to find.
    """
    m, dx = X.shape
    dy = Y.shape[1]
    xx, xy = np.zeros((1 + dx, 1 + dx)), np.zeros((1 + dx, dy))
    yy = np.zeros((dy, dy)) if track_yy else None
    a = np.empty((min(m, _BLOCK_ROWS), 1 + dx), X.dtype)
    a[:, 0] = 1
    for start in range(0, m, _BLOCK_ROWS):
        y = Y[start : start + _BLOCK_ROWS]
        block = a[: len(y)]
        block[:, 1:] = X[start : start + _BLOCK_ROWS]
        xx += block.T @ block
        xy += block.T @ y
        if yy is not None:
            yy += y.T @ y
    return xx, xy, yy, np.einsum("ij,ij->j", Y, Y, dtype=np.float64)


@dataclass(eq=False)
class SufficientStats:
    """Sums over ``n`` row pairs ``(x, y)``, all float64.

    Parameters
    ----------
    n : number of rows accumulated.
    sum_x : (dx,) sum of x.   sum_y : (dy,) sum of y.
    xtx : (dx, dx) sum of x x^T.   xty : (dx, dy) sum of x y^T.
    ssq_y : (dy,) sum of y**2 per column: the target's total variance, hence residuals and R^2 of a map
        (``ssq_y - 2 tr(W^T Sxy) + tr(W^T Sxx W)``), at O(n dy) cost.
    yty : (dy, dy) sum of y y^T, or None when not tracked (the default). No map here needs it, and it makes a
        512 -> 512 accumulation a third slower; whitening the target or CCA-style maps will (see ``track_yy``).
    normalize : whether rows were L2-normalised before accumulating; maps fitted on these statistics must
        normalise their inputs the same way, so the flag travels with the sums.
    """

    n: int
    sum_x: np.ndarray
    sum_y: np.ndarray
    xtx: np.ndarray
    xty: np.ndarray
    ssq_y: np.ndarray
    yty: np.ndarray | None = None
    normalize: bool = False
    # The source scatter's eigendecomposition, by ``centered``: computed once, or supplied by whoever built the
    # statistics and already holds it (the study shares one per source and pool across all targets).
    _eigh: dict[bool, Eigh] = field(default_factory=dict, init=False, repr=False)
    _eigh_source: Callable[[bool], Eigh] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        names = ["sum_x", "sum_y", "xtx", "xty", "ssq_y"] + (["yty"] if self.yty is not None else [])
        for name in names:
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        dx, dy = self.sum_x.size, self.sum_y.size
        expected = {"sum_x": (dx,), "sum_y": (dy,), "xtx": (dx, dx), "xty": (dx, dy), "ssq_y": (dy,), "yty": (dy, dy)}
        for name in names:
            if getattr(self, name).shape != expected[name]:
                raise InvalidInputError(f"{name} must have shape {expected[name]}, got {getattr(self, name).shape}")
        if isinstance(self.n, bool) or not isinstance(self.n, numbers.Integral) or self.n < 0:
            raise InvalidInputError(f"n must be a count >= 0, got {self.n!r}")
        self.n = int(self.n)

    @classmethod
    def zeros(cls, dx: int, dy: int, *, normalize: bool = False, track_yy: bool = False) -> SufficientStats:
        """Empty statistics for ``dx``-d sources and ``dy``-d targets; ``track_yy`` also sums ``y y^T``."""
        if dx < 1 or dy < 1:
            raise InvalidInputError(f"dims must be >= 1, got dx={dx}, dy={dy}")
        yty = np.zeros((dy, dy)) if track_yy else None
        return cls(0, np.zeros(dx), np.zeros(dy), np.zeros((dx, dx)), np.zeros((dx, dy)), np.zeros(dy), yty, normalize)

    @classmethod
    def from_arrays(
        cls,
        X: object,
        Y: object,
        *,
        chunk_size: int = DEFAULT_CHUNK_ROWS,
        normalize: bool = False,
        track_yy: bool = False,
    ) -> SufficientStats:
        """Statistics of in-memory ``X`` (n, dx) and ``Y`` (n, dy), accumulated ``chunk_size`` rows at a time."""
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
            raise InvalidInputError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        X, Y = as_matrix(X, "X", finite=False), as_matrix(Y, "Y", finite=False)
        if len(X) != len(Y):
            raise InvalidInputError(f"X has {len(X)} rows but Y has {len(Y)}")
        stats = cls.zeros(X.shape[1], Y.shape[1], normalize=normalize, track_yy=track_yy)
        for start in range(0, len(X), chunk_size):
            stats.update(X[start : start + chunk_size], Y[start : start + chunk_size])
        return stats

    @classmethod
    def from_chunks(
        cls, chunks: Iterable[tuple[object, object]], *, normalize: bool = False, track_yy: bool = False
    ) -> SufficientStats:
        """Statistics of a stream of ``(X, Y)`` chunks; dims come from the first chunk."""
        stats = None
        for X, Y in chunks:
            if stats is None:
                X, Y = as_matrix(X, "X", finite=False), as_matrix(Y, "Y", finite=False)
                stats = cls.zeros(X.shape[1], Y.shape[1], normalize=normalize, track_yy=track_yy)
            stats.update(X, Y)
        if stats is None:
            raise InvalidInputError("no chunks to accumulate: the stream was empty")
        return stats

    @property
    def track_yy(self) -> bool:
        """Whether ``yty`` is accumulated; statistics with and without it do not merge."""
        return self.yty is not None

    @property
    def dx(self) -> int:
        return self.sum_x.size

    @property
    def dy(self) -> int:
        return self.sum_y.size

    def update(self, X: object, Y: object) -> SufficientStats:
        """Add one chunk ``X`` (m, dx), ``Y`` (m, dy) in place and return ``self``; a rejected chunk adds nothing."""
        X, Y = as_matrix(X, "X", finite=False), as_matrix(Y, "Y", finite=False)
        if X.shape[1] != self.dx or Y.shape[1] != self.dy:
            raise InvalidInputError(
                f"chunk dims ({X.shape[1]}, {Y.shape[1]}) differ from the statistics' ({self.dx}, {self.dy})"
            )
        if len(X) != len(Y):
            raise InvalidInputError(f"chunk has {len(X)} X rows but {len(Y)} Y rows")
        if X.dtype != Y.dtype:
            X, Y = X.astype(np.float64), Y.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf rows are rejected just below
            if self.normalize:
                X, Y = l2_normalize_rows(X), l2_normalize_rows(Y)
            xx, xy, yy, ssq_y = _chunk_moments(X, Y, self.track_yy)
        if not all(np.isfinite(a).all() for a in (xx, xy, yy, ssq_y) if a is not None):
            # Any NaN or inf in the chunk reaches the sums: no separate scan of the chunk unless one is there.
            as_matrix(X, "X")
            as_matrix(Y, "Y")
            raise InvalidInputError(f"chunk values are too large: their products overflow {X.dtype}; rescale them")
        self.sum_x += xx[0, 1:]
        self.sum_y += xy[0]
        self.xtx += xx[1:, 1:]
        self.xty += xy[1:]
        self.ssq_y += ssq_y
        if yy is not None:
            self.yty += yy
        self.n += len(X)
        self._eigh.clear()
        self._eigh_source = None
        return self

    def with_source_eigh(self, source: Callable[[bool], Eigh]) -> SufficientStats:
        """Take the source scatter's eigendecomposition from ``source(centered)`` instead of computing it (a cache
        shared across statistics with the same source rows); returns ``self``."""
        self._eigh.clear()
        self._eigh_source = source
        return self

    def target_columns(self, cols: slice) -> SufficientStats:
        """The same rows' statistics against the target columns ``cols`` only (one of several targets accumulated side
        by side); its source eigendecomposition is this object's, computed once for all such parts."""
        part = SufficientStats(
            self.n,
            self.sum_x.copy(),
            self.sum_y[cols].copy(),
            self.xtx.copy(),
            self.xty[:, cols].copy(),
            self.ssq_y[cols].copy(),
            None if self.yty is None else self.yty[cols, cols].copy(),
            self.normalize,
        )
        return part.with_source_eigh(lambda centered: self.source_eigh(centered=centered))

    def source_eigh(self, *, centered: bool = True) -> Eigh:
        """``psd_eigh`` of the source scatter (centred or raw), computed once per statistics."""
        if centered not in self._eigh:
            source = self._eigh_source
            self._eigh[centered] = source(centered) if source else psd_eigh(self.scatter(centered=centered).xx)
        return self._eigh[centered]

    def merge(self, other: SufficientStats) -> SufficientStats:
        """The statistics of both samples together (a new object); dims, ``normalize`` and ``track_yy`` must agree."""
        mine = (self.dx, self.dy, self.normalize, self.track_yy)
        theirs = (other.dx, other.dy, other.normalize, other.track_yy)
        if mine != theirs:
            raise MismatchError(
                "cannot merge statistics of (dx, dy, normalize, track_yy) = "
                f"({', '.join(map(str, mine))}) with ({', '.join(map(str, theirs))})"
            )
        return SufficientStats(
            self.n + other.n,
            self.sum_x + other.sum_x,
            self.sum_y + other.sum_y,
            self.xtx + other.xtx,
            self.xty + other.xty,
            self.ssq_y + other.ssq_y,
            None if self.yty is None else self.yty + other.yty,
            self.normalize,
        )

    def __add__(self, other: object) -> SufficientStats:
        if not isinstance(other, SufficientStats):
            return NotImplemented
        return self.merge(other)

    @property
    def mean_x(self) -> np.ndarray:
        """(dx,) mean of x; zeros before any row was seen."""
        return self.sum_x / max(self.n, 1)

    @property
    def mean_y(self) -> np.ndarray:
        return self.sum_y / max(self.n, 1)

    def scatter(self, *, centered: bool = True) -> Scatter:
        """Sums of products, about the means when ``centered`` (what a fit with an intercept needs), else raw.

        ``yy`` is None unless the statistics track ``y y^T``.
        """
        if not centered:
            return Scatter(self.xtx, self.xty, self.yty)
        mx, my = self.mean_x, self.mean_y
        return Scatter(
            self.xtx - self.n * np.outer(mx, mx),
            self.cross_scatter(centered=True),
            None if self.yty is None else self.yty - self.n * np.outer(my, my),
        )

    def cross_scatter(self, *, centered: bool = True) -> np.ndarray:
        """(dx, dy) ``scatter(centered=...).xy`` alone: what a fit needs per target once the source side is
        decomposed, without the (dx, dx) centred source block."""
        return self.xty - self.n * np.outer(self.mean_x, self.mean_y) if centered else self.xty

    def covariance(self, *, ddof: int = 1) -> Scatter:
        """Covariance matrices: the centred scatter divided by ``n - ddof`` (``yy`` None unless tracked)."""
        if self.n <= ddof:
            raise InvalidInputError(f"covariance with ddof={ddof} needs more than {ddof} rows, got {self.n}")
        dof = self.n - ddof
        xx, xy, yy = self.scatter(centered=True)
        return Scatter(xx / dof, xy / dof, None if yy is None else yy / dof)
