"""GroupMoments keeps each group's moment as its upper block triangle (``UpperBlocks``, ~60% of the square's
memory): every statistic it gives is bit for bit the one the full mirrored squares gave."""

from __future__ import annotations

import itertools

import numpy as np

from facebridge.experiments.shared.data import study_data
from facebridge.experiments.verification.moments import GroupMoments, UpperBlocks, joint_moments, model_offsets
from tests.experiments.toy_studies import toy_study


def _square_sum(moments: list[np.ndarray], keep: list[bool], rows: slice | int, cols: slice) -> np.ndarray:
    """GroupMoments._sum as it was on full squares (np.sum of the groups for the total)."""
    total = np.sum(moments, axis=0)
    chosen = [m for m, k in zip(moments, keep, strict=True) if k]
    others = [m for m, k in zip(moments, keep, strict=True) if not k]
    if len(others) < len(chosen):
        out = total[rows, cols].copy()
        for m in others:
            out -= m[rows, cols]
        return out
    out = np.zeros_like(total[rows, cols])
    for m in chosen:
        out += m[rows, cols]
    return out


def test_every_block_and_pool_statistic_equals_the_full_squares_bit_for_bit() -> None:
    sets, pairs = toy_study(n_people=40, dims=(12, 16, 8), rotation=True)
    data = study_data(sets, pairs)
    moments = GroupMoments(data, threads=2)
    offset, width = model_offsets(data)
    squares = [joint_moments(data, offset, np.flatnonzero(data.group == g), width) for g in range(len(data.groups))]
    segments = [slice(0, 1), *offset.values()]
    assert sum(b.nbytes for b in moments._moments[0].blocks.values()) < 0.7 * squares[0].nbytes
    n = len(squares)
    for keep in ([True] * n, [i % 3 != 0 for i in range(n)], [i == 1 for i in range(n)]):
        for rows, cols in itertools.product([0, *segments], segments):
            got, want = moments._sum(keep, rows, cols), _square_sum(squares, keep, rows, cols)
            assert got.flags.c_contiguous and np.array_equal(got, want), (keep, rows, cols)
    for (a, b), k in itertools.product(itertools.permutations(data.models, 2), data.fold_ids):
        stats = moments.pool_stats(a, b, frozenset({k}), track_yy=True)
        kept = [not (g & {k}) for g in data.groups]
        xs, ys = offset[a], offset[b]
        assert np.array_equal(stats.xty, _square_sum(squares, kept, xs, ys))
        assert np.array_equal(stats.xtx, _square_sum(squares, kept, xs, xs))
        assert np.array_equal(stats.yty, _square_sum(squares, kept, ys, ys))
        ssq = np.zeros(ys.stop - ys.start)
        for m, keep_m in zip(squares, kept, strict=True):
            if keep_m:
                ssq += np.diagonal(m[ys, ys])
        assert np.array_equal(stats.ssq_y, ssq)


def test_a_block_below_the_diagonal_is_its_mirror_transposed() -> None:
    full = np.arange(36.0).reshape(6, 6)
    full = full + full.T
    blocks = UpperBlocks.of(full, [slice(0, 1), slice(1, 3), slice(3, 6)])
    assert len(blocks.blocks) == 6
    assert np.array_equal(blocks[slice(3, 6), slice(1, 3)], full[3:6, 1:3])
    assert np.array_equal(blocks[0, slice(3, 6)], full[0, 3:6])
    assert np.array_equal(blocks.diagonal(slice(1, 3)), [14, 28])
