"""Sufficient statistics: exact sums, chunking, merging, precision of the float32 path, validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps import SufficientStats


def pairs(n: int = 50, dx: int = 4, dy: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0.5, 1.0, size=(n, dx)), rng.normal(-0.2, 2.0, size=(n, dy))


FIELDS = ("sum_x", "sum_y", "xtx", "xty", "ssq_y", "yty")


def assert_stats_close(a: SufficientStats, b: SufficientStats, rtol: float = 1e-12) -> None:
    assert (a.n, a.normalize, a.track_yy) == (b.n, b.normalize, b.track_yy)
    for name in FIELDS[:-1] + (FIELDS[-1:] if a.track_yy else ()):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=rtol, err_msg=name)


@pytest.mark.parametrize("track_yy", [False, True])
def test_sums_match_numpy(track_yy: bool) -> None:
    X, Y = pairs()
    s = SufficientStats.from_arrays(X, Y, chunk_size=7, track_yy=track_yy)
    assert (s.n, s.dx, s.dy, s.track_yy) == (50, 4, 3, track_yy)
    np.testing.assert_allclose(s.sum_x, X.sum(0), rtol=1e-12)
    np.testing.assert_allclose(s.sum_y, Y.sum(0), rtol=1e-12)
    np.testing.assert_allclose(s.xtx, X.T @ X, rtol=1e-12)
    np.testing.assert_allclose(s.xty, X.T @ Y, rtol=1e-12)
    np.testing.assert_allclose(s.ssq_y, (Y**2).sum(0), rtol=1e-12)
    if track_yy:
        np.testing.assert_allclose(s.yty, Y.T @ Y, rtol=1e-12)
    else:
        assert s.yty is None


@pytest.mark.parametrize("track_yy", [False, True])
def test_centred_scatter_and_covariance_match_numpy(track_yy: bool) -> None:
    X, Y = pairs()
    s = SufficientStats.from_arrays(X, Y, track_yy=track_yy)
    joint = np.cov(np.hstack([X, Y]).T, ddof=1)
    cov = s.covariance(ddof=1)
    np.testing.assert_allclose(cov.xx, joint[:4, :4], rtol=1e-10)
    np.testing.assert_allclose(cov.xy, joint[:4, 4:], rtol=1e-10)
    np.testing.assert_allclose(s.scatter(centered=True).xx, joint[:4, :4] * 49, rtol=1e-10)
    assert s.scatter(centered=False).xx is s.xtx
    np.testing.assert_allclose(s.mean_x, X.mean(0), rtol=1e-12)
    # The per-column target variance needs only ssq_y: it is the diagonal of the full covariance.
    np.testing.assert_allclose((s.ssq_y - s.n * s.mean_y**2) / 49, np.diag(joint[4:, 4:]), rtol=1e-10)
    if track_yy:
        np.testing.assert_allclose(cov.yy, joint[4:, 4:], rtol=1e-10)
        np.testing.assert_allclose(s.scatter(centered=False).yy, Y.T @ Y, rtol=1e-12)
    else:
        assert cov.yy is None and s.scatter().yy is None and s.scatter(centered=False).yy is None


@pytest.mark.parametrize("chunk_size", [1, 3, 16, 50, 1000])
def test_chunk_size_does_not_change_the_sums(chunk_size: int) -> None:
    X, Y = pairs()
    assert_stats_close(SufficientStats.from_arrays(X, Y, chunk_size=chunk_size), SufficientStats.from_arrays(X, Y))


@pytest.mark.parametrize("track_yy", [False, True])
def test_from_chunks_equals_from_arrays_and_merge_equals_union(track_yy: bool) -> None:
    X, Y = pairs()
    whole = SufficientStats.from_arrays(X, Y, track_yy=track_yy)
    streamed = SufficientStats.from_chunks(((X[i : i + 9], Y[i : i + 9]) for i in range(0, 50, 9)), track_yy=track_yy)
    assert_stats_close(streamed, whole)
    a = SufficientStats.from_arrays(X[:20], Y[:20], track_yy=track_yy)
    b = SufficientStats.from_arrays(X[20:], Y[20:], track_yy=track_yy)
    assert_stats_close(a + b, whole)
    assert_stats_close(b.merge(a), whole)
    assert a.n == 20  # merging returns a new object


def test_normalize_accumulates_unit_rows() -> None:
    X, Y = pairs()
    s = SufficientStats.from_arrays(X, Y, normalize=True, track_yy=True)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yn = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    assert s.normalize
    np.testing.assert_allclose(s.xty, Xn.T @ Yn, rtol=1e-12)
    np.testing.assert_allclose(np.trace(s.xtx), 50.0, rtol=1e-12)
    np.testing.assert_allclose(np.trace(s.yty), 50.0, rtol=1e-12)
    np.testing.assert_allclose(s.ssq_y.sum(), 50.0, rtol=1e-12)


def test_float32_blocked_accumulation_is_accurate_to_1e6() -> None:
    # 20,000 float32 rows span several 8192-row float32 blocks; the float64 sums are the reference.
    rng = np.random.default_rng(3)
    X = rng.normal(0.3, 1.0, size=(20_000, 32)).astype(np.float32)
    Y = (X @ rng.normal(size=(32, 24)).astype(np.float32) + rng.normal(size=(20_000, 24)).astype(np.float32)) * 0.1
    fast = SufficientStats.from_arrays(X, Y, normalize=True, track_yy=True)
    exact = SufficientStats.from_arrays(X.astype(np.float64), Y.astype(np.float64), normalize=True, track_yy=True)
    for name in FIELDS:
        a, b = getattr(fast, name), getattr(exact, name)
        assert np.abs(a - b).max() <= 1e-6 * np.abs(b).max(), name
    X64, Y64 = (a / np.linalg.norm(a, axis=1, keepdims=True) for a in (X.astype(np.float64), Y.astype(np.float64)))
    np.testing.assert_allclose(exact.xty, X64.T @ Y64, rtol=1e-10, atol=1e-10)  # float64 blocks: exact sums
    np.testing.assert_allclose(exact.sum_y, Y64.sum(0), rtol=1e-10, atol=1e-10)


def test_update_validates_chunks() -> None:
    s = SufficientStats.zeros(3, 2)
    with pytest.raises(InvalidInputError, match="X contains NaN or inf"):
        s.update(np.array([[0.0, np.nan, 1.0]]), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="Y contains NaN or inf"):
        s.update(np.ones((2, 3)), np.array([[1.0, 2.0], [-np.inf, 0.0]]))
    with pytest.raises(InvalidInputError, match="too large: their products overflow float32"):
        s.update(np.full((2, 3), 1e20, np.float32), np.ones((2, 2), np.float32))  # finite, but x*x is not
    with pytest.raises(InvalidInputError, match=r"dims \(4, 2\) differ"):
        s.update(np.ones((1, 4)), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="2 X rows but 1 Y rows"):
        s.update(np.ones((2, 3)), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="2-D"):
        s.update(np.ones(3), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="numeric"):
        s.update(np.array([["a", "b", "c"]]), np.ones((1, 2)))
    assert s.n == 0 and not (s.xtx.any() or s.sum_y.any() or s.ssq_y.any())  # rejected chunks add nothing
    assert s.update(np.ones((0, 3)), np.ones((0, 2))).n == 0


def test_construction_errors() -> None:
    X, Y = pairs()
    with pytest.raises(InvalidInputError, match="chunk_size"):
        SufficientStats.from_arrays(X, Y, chunk_size=0)
    with pytest.raises(InvalidInputError, match="50 rows but Y has 49"):
        SufficientStats.from_arrays(X, Y[:-1])
    with pytest.raises(InvalidInputError, match="empty"):
        SufficientStats.from_chunks([])
    with pytest.raises(InvalidInputError, match="xty must have shape"):
        SufficientStats(1, np.zeros(2), np.zeros(3), np.zeros((2, 2)), np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(InvalidInputError, match=r"ssq_y must have shape \(3,\)"):
        SufficientStats(1, np.zeros(2), np.zeros(3), np.zeros((2, 2)), np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(InvalidInputError, match=r"yty must have shape \(3, 3\)"):
        SufficientStats(1, np.zeros(2), np.zeros(3), np.zeros((2, 2)), np.zeros((2, 3)), np.zeros(3), np.zeros(3))
    with pytest.raises(MismatchError, match=r"\(4, 3, False, False\) with \(4, 3, True, False\)"):
        SufficientStats.zeros(4, 3) + SufficientStats.zeros(4, 3, normalize=True)
    with pytest.raises(MismatchError, match=r"\(4, 3, False, False\) with \(4, 3, False, True\)"):
        SufficientStats.zeros(4, 3).merge(SufficientStats.zeros(4, 3, track_yy=True))
    with pytest.raises(MismatchError, match=r"\(dx, dy, normalize, track_yy\) = \(4, 3"):
        SufficientStats.zeros(4, 3).merge(SufficientStats.zeros(3, 3))
    with pytest.raises(InvalidInputError, match="ddof"):
        SufficientStats.from_arrays(X[:1], Y[:1]).covariance()


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=6),
    seed=st.integers(0, 2**32 - 1),
    track_yy=st.booleans(),
    data=st.data(),
)
def test_merge_is_order_independent(sizes: list[int], seed: int, track_yy: bool, data: st.DataObject) -> None:
    X, Y = pairs(sum(sizes), seed=seed)
    bounds = np.cumsum([0, *sizes])
    parts = [SufficientStats.from_arrays(X[a:b], Y[a:b], track_yy=track_yy) for a, b in itertools.pairwise(bounds)]
    order = data.draw(st.permutations(range(len(parts))))
    total = SufficientStats.zeros(4, 3, track_yy=track_yy)
    for i in order:
        total = total + parts[i]
    assert_stats_close(total, SufficientStats.from_arrays(X, Y, track_yy=track_yy), rtol=1e-10)
