"""The maps against closed forms written here, scikit-learn, and exact recoveries of known maps."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ortho_group
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from facebridge.errors import InvalidInputError, MismatchError, NotFittedError, NotFoundError
from facebridge.maps import (
    METHODS,
    STATS_METHODS,
    AffineMap,
    AffineRidgeCV,
    LstsqMap,
    PCARidgeMap,
    ProcrustesMap,
    ReducedRankMap,
    RidgeMap,
    SufficientStats,
    make_map,
)


def noisy_pairs(n: int = 300, dx: int = 8, dy: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(0.4, 1.0, size=(n, dx))
    Y = X @ rng.normal(size=(dx, dy)) + 0.7 + 0.3 * rng.normal(size=(n, dy))
    return X, Y


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# --- exact recoveries on noiseless data -------------------------------------------------------------------------


def test_affine_recovers_weights_and_bias() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 6))
    W, b = rng.normal(size=(6, 4)), rng.normal(size=4)
    m = AffineMap(alpha=0.0, normalize=False).fit(X, X @ W + b)
    np.testing.assert_allclose(m.coef_, W, atol=1e-10)
    np.testing.assert_allclose(m.intercept_, b, atol=1e-10)
    assert (m.n_features_in_, m.n_samples_seen_) == (6, 200)


def test_lstsq_recovers_weights_without_bias() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 5))
    W = rng.normal(size=(5, 7))
    m = LstsqMap(normalize=False).fit(X, X @ W)
    np.testing.assert_allclose(m.coef_, W, atol=1e-10)
    assert not m.intercept_.any()


@pytest.mark.parametrize(("dx", "dy"), [(6, 6), (4, 7)])
def test_procrustes_recovers_rotation_scale_shift(dx: int, dy: int) -> None:
    rng = np.random.default_rng(3)
    R = ortho_group.rvs(dy, random_state=4)[:dx]  # orthonormal rows: a rotation when dx == dy, an isometry else
    X = rng.normal(1.0, 1.0, size=(80, dx)) * np.linspace(0.5, 2.0, dx)  # anisotropic source
    m = ProcrustesMap(normalize=False).fit(X, 2.5 * X @ R - 3.0)
    np.testing.assert_allclose(m.coef_, 2.5 * R, atol=1e-10)
    np.testing.assert_allclose(m.intercept_, np.full(dy, -3.0), atol=1e-10)


def test_procrustes_wider_source_recovers_isometry_on_isotropic_data() -> None:
    # dx > dy: exact when the centred source is isotropic (see ProcrustesMap's docstring).
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(60, 7))
    Q = np.linalg.qr(Z - Z.mean(0))[0]  # centred columns, orthonormal: identity scatter
    X = Q @ ortho_group.rvs(7, random_state=6) + 0.5
    R = ortho_group.rvs(7, random_state=7)[:, :3]  # (7, 3), orthonormal columns
    m = ProcrustesMap(normalize=False).fit(X, 0.8 * X @ R + 1.0)
    np.testing.assert_allclose(m.coef_, 0.8 * R, atol=1e-9)
    np.testing.assert_allclose(m.intercept_, np.ones(3), atol=1e-9)


def test_procrustes_coef_is_scaled_semi_orthogonal_on_noisy_data() -> None:
    X, Y = noisy_pairs(dx=8, dy=5)
    m = ProcrustesMap(normalize=False).fit(X, Y)
    gram = m.coef_.T @ m.coef_
    np.testing.assert_allclose(gram, gram[0, 0] * np.eye(5), atol=1e-10)


def test_rrr_recovers_a_rank_r_map() -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(150, 8))
    W = rng.normal(size=(8, 2)) @ rng.normal(size=(2, 6))
    m = ReducedRankMap(rank=2, alpha=0.0, normalize=False).fit(X, X @ W + 0.5)
    np.testing.assert_allclose(m.coef_, W, atol=1e-9)
    np.testing.assert_allclose(m.intercept_, np.full(6, 0.5), atol=1e-9)


def test_rrr_matches_the_textbook_formula_on_noisy_data() -> None:
    # Reduced-rank regression (identity weight): OLS coefficients projected on the top right singular vectors of
    # the fitted values.
    X, Y = noisy_pairs()
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    B = np.linalg.lstsq(Xc, Yc, rcond=None)[0]
    V = np.linalg.svd(Xc @ B)[2][:3].T
    m = ReducedRankMap(rank=3, alpha=0.0, normalize=False).fit(X, Y)
    assert rel_err(m.coef_, B @ V @ V.T) < 1e-8
    assert np.linalg.matrix_rank(m.coef_) == 3
    errors = [ReducedRankMap(rank=r, alpha=0.0, normalize=False).fit(X, Y).score(X, Y) for r in range(1, 6)]
    assert errors == sorted(errors)  # R^2 grows with the rank


def test_pca_ridge_matches_sklearn_pca_then_ridge() -> None:
    X, Y = noisy_pairs()
    ours = PCARidgeMap(rank=4, alpha=2.0, normalize=False).fit(X, Y)
    ref = make_pipeline(PCA(n_components=4, svd_solver="full"), Ridge(alpha=2.0)).fit(X, Y)
    assert rel_err(ours.transform(X), ref.predict(X)) < 1e-8


def test_pca_ridge_reproduces_data_on_a_low_dim_subspace_and_is_affine_at_full_rank() -> None:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(100, 3)) @ rng.normal(size=(3, 9)) + 2.0  # rank-3 source in 9 dims
    Y = X @ rng.normal(size=(9, 4)) - 1.0
    m = PCARidgeMap(rank=3, alpha=0.0, normalize=False).fit(X, Y)
    np.testing.assert_allclose(m.transform(X), Y, atol=1e-8)
    Xn, Yn = noisy_pairs()
    full = PCARidgeMap(alpha=0.5, normalize=False).fit(Xn, Yn)
    assert rel_err(full.coef_, AffineMap(alpha=0.5, normalize=False).fit(Xn, Yn).coef_) < 1e-9


# --- streamed fits against closed forms and scikit-learn ---------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 13, 64, 300])
@pytest.mark.parametrize("normalize", [False, True])
def test_streamed_fit_matches_closed_form(chunk_size: int, normalize: bool) -> None:
    X, Y = noisy_pairs()
    Xr, Yr = (unit_rows(X), unit_rows(Y)) if normalize else (X, Y)
    stats = SufficientStats.from_arrays(X, Y, chunk_size=chunk_size, normalize=normalize)
    ridge = RidgeMap(alpha=1.0, normalize=normalize).fit_stats(stats)
    assert rel_err(ridge.coef_, np.linalg.solve(Xr.T @ Xr + np.eye(8), Xr.T @ Yr)) < 1e-6
    lstsq = LstsqMap(normalize=normalize).fit_stats(stats)
    assert rel_err(lstsq.coef_, np.linalg.lstsq(Xr, Yr, rcond=None)[0]) < 1e-6
    ones = np.ones((len(Xr), 1))
    affine = np.linalg.lstsq(np.hstack([Xr, ones]), Yr, rcond=None)[0]
    fitted = AffineMap(alpha=0.0, normalize=normalize).fit_stats(stats)
    assert rel_err(fitted.coef_, affine[:-1]) < 1e-6
    assert rel_err(fitted.intercept_, affine[-1]) < 1e-6


def test_fit_on_merged_partial_stats_equals_fit_on_all_rows() -> None:
    X, Y = noisy_pairs()
    parts = SufficientStats.from_arrays(X[:100], Y[:100], normalize=True) + SufficientStats.from_arrays(
        X[100:], Y[100:], normalize=True
    )
    for method in STATS_METHODS:
        merged = make_map(method).fit_stats(parts)
        whole = make_map(method).fit(X, Y)
        assert rel_err(merged.coef_, whole.coef_) < 1e-10, method
        np.testing.assert_allclose(merged.intercept_, whole.intercept_, atol=1e-10)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("alpha", [0.01, 1.0, 30.0])
def test_ridge_matches_sklearn(alpha: float, fit_intercept: bool) -> None:
    X, Y = noisy_pairs()
    ours = RidgeMap(alpha=alpha, fit_intercept=fit_intercept, normalize=False).fit(X, Y)
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, Y)
    assert rel_err(ours.coef_, ref.coef_.T) < 1e-6
    np.testing.assert_allclose(ours.intercept_, np.broadcast_to(ref.intercept_, (5,)), atol=1e-6)
    assert rel_err(ours.transform(X), ref.predict(X)) < 1e-6


def test_affine_matches_sklearn_ridge_with_intercept() -> None:
    X, Y = noisy_pairs()
    ours = AffineMap(normalize=False).fit(X, Y)
    ref = Ridge(alpha=1e-3).fit(X, Y)
    assert rel_err(ours.coef_, ref.coef_.T) < 1e-6
    assert rel_err(ours.intercept_, ref.intercept_) < 1e-6


# --- normalisation, transform, parameters ------------------------------------------------------------------------


def test_normalize_applies_identically_in_fit_and_transform() -> None:
    X, Y = noisy_pairs()
    m = RidgeMap().fit(X, Y)
    plain = RidgeMap(normalize=False).fit(unit_rows(X), unit_rows(Y))
    np.testing.assert_allclose(m.coef_, plain.coef_, rtol=1e-12)
    np.testing.assert_allclose(m.transform(X), plain.transform(unit_rows(X)), rtol=1e-12)
    np.testing.assert_allclose(m.transform(5.0 * X), m.transform(X), rtol=1e-12)


def test_transform_keeps_float32() -> None:
    X, Y = noisy_pairs()
    m = RidgeMap().fit(X, Y)
    out = m.transform(X.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, m.transform(X), atol=1e-5)


def test_transform_errors() -> None:
    X, Y = noisy_pairs()
    with pytest.raises(NotFittedError, match="not fitted"):
        RidgeMap().transform(X)
    m = RidgeMap().fit(X, Y)
    with pytest.raises(InvalidInputError, match="X has 3 features, but RidgeMap is expecting 8"):
        m.transform(X[:, :3])
    with pytest.raises(InvalidInputError, match="NaN"):
        m.transform(np.full((1, 8), np.nan))


def test_fit_input_errors() -> None:
    X, Y = noisy_pairs()
    with pytest.raises(InvalidInputError, match="2-D"):
        RidgeMap().fit(X, Y[:, :, None])  # a 1-D y is one target column (test_maps_contract)
    with pytest.raises(InvalidInputError, match="target y is None"):
        RidgeMap().fit(X, None)
    with pytest.raises(InvalidInputError, match="at least 1 sample"):
        RidgeMap().fit(X[:0], Y[:0])
    with pytest.raises(InvalidInputError, match="300 rows but Y has 299"):
        RidgeMap().fit(X, Y[1:])
    with pytest.raises(MismatchError, match="normalize=False"):
        RidgeMap().fit_stats(SufficientStats.from_arrays(X, Y))


class TargetScatterProbe(RidgeMap):
    """Ridge that declares it needs ``Syy`` and records the statistics it was solved from."""

    _needs_yy = True

    def _solve(self, stats: SufficientStats, alpha: float, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
        self.seen_yy_ = stats.scatter(centered=False).yy
        return super()._solve(stats, alpha=alpha, fit_intercept=fit_intercept)


def test_target_scatter_is_accumulated_only_for_maps_that_need_it() -> None:
    X, Y = noisy_pairs()
    probe = TargetScatterProbe().fit(X, Y)
    np.testing.assert_allclose(probe.seen_yy_, unit_rows(Y).T @ unit_rows(Y), rtol=1e-10)
    np.testing.assert_allclose(probe.coef_, RidgeMap().fit(X, Y).coef_, rtol=1e-12)  # Syy never enters ridge
    tracked = SufficientStats.from_arrays(X, Y, normalize=True, track_yy=True)
    assert TargetScatterProbe().fit_stats(tracked).seen_yy_ is tracked.yty
    with pytest.raises(InvalidInputError, match=r"TargetScatterProbe needs the target scatter.*track_yy=True"):
        TargetScatterProbe().fit_stats(SufficientStats.from_arrays(X, Y, normalize=True))
    for method in STATS_METHODS:  # the shipped maps neither need Syy nor mind it being there
        plain = make_map(method).fit_stats(SufficientStats.from_arrays(X, Y, normalize=True))
        np.testing.assert_array_equal(plain.coef_, make_map(method).fit_stats(tracked).coef_)
        assert not make_map(method)._needs_yy


@pytest.mark.parametrize(
    ("method", "params", "name"),
    [
        ("ridge", {"alpha": -1.0}, "alpha"),
        ("affine_fixed", {"alpha": "1"}, "alpha"),
        ("ridge", {"alpha": np.inf}, "alpha"),
        ("ridge", {"fit_intercept": 1}, "fit_intercept"),
        ("lstsq", {"normalize": "yes"}, "normalize"),
        ("rrr", {"rank": 0}, "rank"),
        ("rrr", {"rank": 6}, "rank"),  # > min(dx, dy) = 5
        ("rrr", {"rank": 2.0}, "rank"),
        ("pca_ridge", {"rank": 9}, "rank"),  # > dx = 8
    ],
)
def test_bad_params_are_named_at_fit(method: str, params: dict, name: str) -> None:
    X, Y = noisy_pairs()
    m = make_map(method, **params)  # __init__ only stores
    with pytest.raises(InvalidInputError, match=f"parameter {name}"):
        m.fit(X, Y)
    with pytest.raises(InvalidInputError, match=f"parameter {name}"):
        m.fit_stats(SufficientStats.from_arrays(X, Y, normalize=True))


def test_registry() -> None:
    assert METHODS == ("lstsq", "ridge", "affine_fixed", "procrustes", "rrr", "pca_ridge", "affine", "kernel", "mlp",
                       "affine_mean", "softmax", "ensemble")  # fmt: skip
    assert isinstance(make_map("affine_cv"), AffineRidgeCV)  # the old name of affine
    assert isinstance(make_map("PCA-Ridge", rank=2), PCARidgeMap)
    m = make_map("rrr", rank=3, alpha=0.5)
    assert m.get_params() == {"rank": 3, "alpha": 0.5, "fit_intercept": True, "normalize": True}
    assert repr(m) == "ReducedRankMap(rank=3, alpha=0.5, fit_intercept=True, normalize=True)"
    with pytest.raises(NotFoundError, match="did you mean ridge"):
        make_map("ridg")
    with pytest.raises(NotFoundError, match="known: lstsq"):
        make_map("xyz")
    with pytest.raises(InvalidInputError, match="'beta' for RidgeMap; valid: alpha, fit_intercept, normalize"):
        make_map("ridge", beta=1)


@pytest.mark.parametrize("method", METHODS)
def test_constant_or_zero_source_is_refused_not_an_all_zero_map(method: str) -> None:
    y = np.arange(10.0).reshape(5, 2)
    with pytest.raises(InvalidInputError, match="source vectors X are all zero"):
        make_map(method).fit(np.zeros((5, 3)), y)
    constant = make_map(method, normalize=False)
    if constant.get_params().get("fit_intercept", method != "lstsq"):  # without a bias, constant rows still map
        with pytest.raises(InvalidInputError, match="source vectors X are all equal"):
            constant.fit(np.ones((5, 3)), y)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 30),
    dx=st.integers(1, 6),
    dy=st.integers(1, 5),
    rank=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_lstsq_reproduces_exact_targets(n: int, dx: int, dy: int, rank: int, seed: int) -> None:
    # X with a controlled spectrum (singular values in [1, 10]) and possibly deficient rank; Y exactly linear in X.
    rng = np.random.default_rng(seed)
    k = min(rank, n, dx)
    U = np.linalg.qr(rng.normal(size=(n, k)))[0]
    V = np.linalg.qr(rng.normal(size=(dx, k)))[0]
    X = U @ np.diag(rng.uniform(1.0, 10.0, size=k)) @ V.T
    Y = X @ rng.normal(size=(dx, dy))
    m = LstsqMap(normalize=False).fit(X, Y)
    np.testing.assert_allclose(m.transform(X), Y, atol=1e-8 * max(1.0, np.abs(Y).max()))
    np.testing.assert_allclose(m.coef_, np.linalg.pinv(X) @ Y, atol=1e-8 * max(1.0, np.abs(Y).max()))


def test_package_does_not_import_sklearn() -> None:
    code = "import sys, facebridge.maps; sys.exit('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
