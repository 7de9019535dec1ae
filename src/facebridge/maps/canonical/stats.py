"""Joint sufficient statistics of N models' embeddings of the same images: every model's mean and every
cross-covariance block, accumulated as one ``SufficientStats`` over the models' vectors side by side.

A canonical space needs all N^2 blocks ``X_i^T X_j``; they are the source scatter of the concatenated rows
``[X_1 | ... | X_N]``, so the streaming, chunking and merging of ``maps.stats`` carry over unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps._checks import as_matrix
from facebridge.maps.stats import DEFAULT_CHUNK_ROWS, Eigh, SufficientStats, psd_eigh
from facebridge.vectors import l2_normalize_rows


def side_by_side(blocks: Sequence[np.ndarray], normalize: bool) -> np.ndarray:
    """(n, sum d_i) float64: the models' rows next to each other, each block L2-normalised first when ``normalize``
    (per model: normalising the concatenated row would mix the models' scales)."""
    return np.hstack([l2_normalize_rows(b) if normalize else b for b in blocks]).astype(np.float64, copy=False)


@dataclass(eq=False)
class JointStats:
    """Sums over ``n`` images seen by every model in ``models`` (their widths ``dims``).

    ``stats`` holds the concatenated rows as its source side (its target side is one dummy column): ``stats.xtx``
    is the full (D, D) matrix of blocks ``X_i^T X_j``, ``stats.sum_x`` the stacked sums. ``merge`` adds samples.
    """

    models: tuple[str, ...]
    dims: tuple[int, ...]
    stats: SufficientStats
    normalize: bool
    # What fits of several spaces on the same statistics share (the centred scatter, each block's eigendecomposition,
    # MAXVAR's leading eigenvectors by ridge penalty), computed once; the statistics are never changed in place.
    cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_arrays(
        cls, blocks: Mapping[str, object], *, normalize: bool = True, chunk_size: int = DEFAULT_CHUNK_ROWS
    ) -> JointStats:
        """Statistics of in-memory row-matched ``blocks`` (model -> (n, d_model)), ``chunk_size`` rows at a time."""
        if len(blocks) < 2:
            raise InvalidInputError(f"a canonical space needs at least two models, got {len(blocks)}")
        arrays = {m: as_matrix(x, f"embeddings of {m}") for m, x in blocks.items()}
        counts = {len(x) for x in arrays.values()}
        if len(counts) != 1:
            raise MismatchError(f"row-matched embeddings must have one row count, got {sorted(counts)}")
        models, dims = tuple(arrays), tuple(x.shape[1] for x in arrays.values())
        stats = SufficientStats.zeros(sum(dims), 1)
        n = counts.pop()
        for start in range(0, n, chunk_size):
            z = side_by_side([x[start : start + chunk_size] for x in arrays.values()], normalize)
            stats.update(z, np.zeros((len(z), 1)))
        return cls(models, dims, stats, normalize)

    def merge(self, other: JointStats) -> JointStats:
        """Both samples' statistics (a new object); models, widths and ``normalize`` must agree."""
        if (self.models, self.dims, self.normalize) != (other.models, other.dims, other.normalize):
            raise MismatchError("cannot merge joint statistics of different models, widths or normalisation")
        return JointStats(self.models, self.dims, self.stats.merge(other.stats), self.normalize)

    @property
    def n(self) -> int:
        return self.stats.n

    @property
    def offsets(self) -> np.ndarray:
        """(N + 1,) column offsets of each model's block."""
        return np.concatenate([[0], np.cumsum(self.dims)])

    def block(self, i: int) -> slice:
        o = self.offsets
        return slice(int(o[i]), int(o[i + 1]))

    def mean(self, i: int) -> np.ndarray:
        """(d_i,) mean of model ``i``."""
        return self.stats.mean_x[self.block(i)]

    def scatter(self) -> np.ndarray:
        """(D, D) centred scatter of the concatenated rows: block (i, j) is ``sum (x_i - mu_i)(x_j - mu_j)^T``
        (computed once; read-only)."""
        if "scatter" not in self.cache:
            c = self.stats.scatter(centered=True).xx
            c.flags.writeable = False
            self.cache["scatter"] = c
        return self.cache["scatter"]

    def block_eigh(self, i: int) -> Eigh:
        """``psd_eigh`` of model ``i``'s centred scatter block, computed once."""
        key = ("eigh", i)
        if key not in self.cache:
            b = self.block(i)
            self.cache[key] = psd_eigh(self.scatter()[b, b])
        return self.cache[key]

    def _index(self, models: list[str]) -> np.ndarray:
        missing = [m for m in models if m not in self.models]
        if missing:
            raise InvalidInputError(f"no statistics of {', '.join(missing)} (have {', '.join(self.models)})")
        return np.concatenate([np.arange(self.block(self.models.index(m)).start,
                                         self.block(self.models.index(m)).stop) for m in models])

    def subset(self, models: Sequence[str]) -> JointStats:
        """The same images' statistics of ``models`` only (in that order): a space of fewer members, no new pass."""
        idx = self._index(list(models))
        s = self.stats
        part = SufficientStats(s.n, s.sum_x[idx], s.sum_y, s.xtx[np.ix_(idx, idx)], s.xty[idx], s.ssq_y)
        return JointStats(tuple(models), tuple(self.dims[self.models.index(m)] for m in models), part, self.normalize)

    def pair(self, source: str, target: str) -> SufficientStats:
        """The ``SufficientStats`` of the pair (``source`` rows, ``target`` rows): what a direct map is fitted on."""
        a, b = self._index([source]), self._index([target])
        s = self.stats
        return SufficientStats(
            s.n, s.sum_x[a], s.sum_x[b], s.xtx[np.ix_(a, a)], s.xtx[np.ix_(a, b)],
            np.diag(s.xtx)[b].copy(), s.xtx[np.ix_(b, b)], self.normalize,
        )  # fmt: skip

    def without(self, part: JointStats) -> JointStats:
        """These statistics less those of ``part`` (a subset of the same images): e.g. all images but one fold's."""
        if (self.models, self.dims, self.normalize) != (part.models, part.dims, part.normalize):
            raise MismatchError("cannot subtract joint statistics of different models, widths or normalisation")
        s, p = self.stats, part.stats
        if p.n > s.n:
            raise InvalidInputError(f"cannot remove {p.n} images from statistics of {s.n}")
        rest = SufficientStats(
            s.n - p.n, s.sum_x - p.sum_x, s.sum_y - p.sum_y, s.xtx - p.xtx, s.xty - p.xty, s.ssq_y - p.ssq_y
        )
        return JointStats(self.models, self.dims, rest, self.normalize)
