"""The families beyond closed-form linear maps: CV alpha against scikit-learn, views, kernel and MLP maps against
direct formulas, the saved form, and ONNX graphs against ``transform``."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold

from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.maps import (
    ALPHAS,
    WHITEN_SHRINK,
    AffineMap,
    AffineRidgeCV,
    LandmarkKernelMap,
    MLPMap,
    PCARidgeMap,
    ReducedRankMap,
    SufficientStats,
    TargetView,
)
from facebridge.maps.rank_path import RankPath
from facebridge.maps.ridge_cv import best_alpha


def grouped_pairs(n: int = 400, dx: int = 10, dy: int = 6, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    people = rng.integers(0, 40, n)
    X = rng.normal(size=(n, dx)) + rng.normal(size=(40, dx))[people]
    Y = np.tanh(X @ rng.normal(size=(dx, dy)) / 3) + 0.2 * rng.normal(size=(n, dy))
    return X, Y, people


def sklearn_cv_sse(X: np.ndarray, Y: np.ndarray, groups: np.ndarray, alphas: tuple[float, ...]) -> np.ndarray:
    out = np.zeros(len(alphas))
    for train, val in GroupKFold(n_splits=3).split(X, Y, groups):
        for i, alpha in enumerate(alphas):
            pred = Ridge(alpha=alpha).fit(X[train], Y[train]).predict(X[val])
            out[i] += ((Y[val] - pred) ** 2).sum()
    return out


def test_cv_alpha_and_curve_equal_sklearn_ridge_with_group_kfold() -> None:
    X, Y, people = grouped_pairs()
    alphas = (0.01, 1.0, 30.0, 300.0, 3000.0)
    m = AffineRidgeCV(alphas=alphas, normalize=False).fit(X, Y, groups=people)
    want = sklearn_cv_sse(X, Y, people, alphas)
    np.testing.assert_allclose(m.cv_errors_, want, rtol=1e-8)
    assert m.alpha_ == alphas[int(np.argmin(want))] and 0 < int(np.argmin(want)) < len(alphas) - 1
    ref = Ridge(alpha=m.alpha_).fit(X, Y)
    np.testing.assert_allclose(m.coef_, ref.coef_.T, atol=1e-9)
    np.testing.assert_allclose(m.intercept_, ref.intercept_, atol=1e-9)


def test_default_grid_reaches_below_1e_4_where_the_data_want_it() -> None:
    # Low-variance source directions the target depends on: the CV optimum (sklearn's, over the same grid) lies
    # at 1e-6, which a grid starting at 1e-4 could only report as its edge.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)) * np.array([1, 1, 1, 1e-4, 1e-4, 1e-4])
    Y = X @ rng.normal(size=(6, 3)) + 1e-3 * rng.normal(size=(300, 3))
    people = np.arange(300) // 3
    m = AffineRidgeCV(normalize=False).fit(X, Y, groups=people)
    assert ALPHAS[0] == 1e-8 and ALPHAS[-1] == 1e3
    want = sklearn_cv_sse(X, Y, people, ALPHAS)
    assert m.alpha_ == ALPHAS[int(np.argmin(want))] == pytest.approx(1e-6)
    assert ALPHAS[0] < m.alpha_ < 1e-4


def test_group_stats_fit_equals_row_fit_and_streams() -> None:
    X, Y, people = grouped_pairs(seed=1)
    by_group = {p: SufficientStats.from_arrays(X[people == p], Y[people == p], normalize=True) for p in set(people)}
    rows = AffineRidgeCV().fit(X, Y, groups=people)
    stats = AffineRidgeCV().fit_group_stats(by_group)
    assert stats.alpha_ == rows.alpha_
    np.testing.assert_allclose(stats.cv_errors_, rows.cv_errors_, rtol=1e-9)
    np.testing.assert_allclose(stats.coef_, rows.coef_, atol=1e-10)


def test_fold_stats_from_assigned_folds_equal_the_row_fit() -> None:
    X, Y, people = grouped_pairs(seed=3)
    est = AffineRidgeCV()
    groups, inverse = np.unique(people, return_inverse=True)
    fold = est.assign_folds(np.bincount(inverse))[inverse]
    options = est.stats_options(X.shape[1], Y.shape[1])
    assert options == {"normalize": True, "track_yy": False}
    est.fit_fold_stats([SufficientStats.from_arrays(X[fold == f], Y[fold == f], **options) for f in range(3)])
    rows = AffineRidgeCV().fit(X, Y, groups=people)
    assert est.alpha_ == rows.alpha_ and len(groups) == 40
    np.testing.assert_allclose(est.coef_, rows.coef_, atol=1e-10)
    with pytest.raises(InvalidInputError, match="n_splits=3 needs at least 3 groups, got 2"):
        est.assign_folds([5, 7])


@pytest.mark.parametrize("normalize", [True, False])
def test_fit_many_equals_one_fit_per_target(normalize: bool) -> None:
    X, Y, people = grouped_pairs(seed=4)
    targets = [Y, np.sin(X[:, :3]) + 0.1, np.random.default_rng(4).normal(size=(len(X), 5))]
    many = AffineRidgeCV(normalize=normalize).fit_many(X, targets, groups=people)
    for fitted, y in zip(many, targets, strict=True):
        one = AffineRidgeCV(normalize=normalize).fit(X, y, groups=people)
        assert fitted.alpha_ == one.alpha_
        np.testing.assert_allclose(fitted.cv_errors_, one.cv_errors_, rtol=1e-9)
        np.testing.assert_allclose(fitted.coef_, one.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fitted.intercept_, one.intercept_, rtol=1e-9, atol=1e-12)
    x32, y32 = X.astype(np.float32), [t.astype(np.float32) for t in targets]  # embeddings: float32 products
    for fitted, y in zip(AffineRidgeCV(normalize=normalize).fit_many(x32, y32, groups=people), y32, strict=True):
        one = AffineRidgeCV(normalize=normalize).fit(x32, y, groups=people)
        assert fitted.alpha_ == one.alpha_
        np.testing.assert_allclose(fitted.coef_, one.coef_, rtol=1e-5, atol=1e-7)
    with pytest.raises(InvalidInputError, match="at least one target"):
        AffineRidgeCV().fit_many(X, [])


def test_cv_without_groups_is_kfold_and_errors_are_named() -> None:
    X, Y, _ = grouped_pairs(seed=2)
    m = AffineRidgeCV(alphas=(0.1, 10.0), normalize=False).fit(X, Y)
    sse = np.zeros(2)
    for val in np.array_split(np.arange(len(X)), 3):
        train = np.setdiff1d(np.arange(len(X)), val)
        for i, a in enumerate((0.1, 10.0)):
            sse[i] += ((Y[val] - Ridge(alpha=a).fit(X[train], Y[train]).predict(X[val])) ** 2).sum()
    np.testing.assert_allclose(m.cv_errors_, sse, rtol=1e-8)
    with pytest.raises(InvalidInputError, match="parameter alphas"):
        AffineRidgeCV(alphas=(0.0, 1.0)).fit(X, Y)
    with pytest.raises(InvalidInputError, match="at least 3 groups"):
        AffineRidgeCV().fit(X, Y, groups=np.arange(len(X)) % 2)
    with pytest.raises(InvalidInputError, match="fit_group_stats"):
        AffineRidgeCV().fit_stats(SufficientStats.from_arrays(X, Y, normalize=True))


def test_an_exact_maps_rounding_below_zero_still_picks_an_alpha() -> None:
    assert best_alpha((1e-4, 1e-3, 1.0), np.array([-9e-6, 8e-5, 3.0])) == 1e-4
    assert best_alpha((1e-4, 1e-3, 1.0), np.array([2.0, 2.0, 3.0])) == 1e-3  # ties go to the larger alpha
    X, _, people = grouped_pairs(seed=3)
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(X.shape[1], X.shape[1])))
    exact = AffineRidgeCV().fit(X, X @ q, groups=people)  # normalised rows: the target is an exact rotation
    assert exact.alpha_ == min(exact.alphas)


def test_rank_path_gives_every_rank_of_both_families() -> None:
    X, Y, _ = grouped_pairs(seed=3)
    stats = SufficientStats.from_arrays(X, Y, normalize=True)
    path = RankPath.fit(stats, 0.05)
    for r in (1, 3, 6):
        for family, cls in (("rrr", ReducedRankMap), ("pca_ridge", PCARidgeMap)):
            coef, intercept = path.coef(family, r)
            ref = cls(rank=r, alpha=0.05).fit(X, Y)
            np.testing.assert_allclose(coef, ref.coef_, atol=1e-10)
            np.testing.assert_allclose(intercept, ref.intercept_, atol=1e-10)
    np.testing.assert_allclose(path.full, AffineMap(alpha=0.05).fit(X, Y).coef_, atol=1e-10)


def test_views_equal_their_formulas() -> None:
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(200, 5)) * [1, 2, 3, 4, 5] + 1
    unit = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    V = rng.normal(size=(7, 5)) * 9  # raw rows: normalised in transform as in fit
    unit_v = V / np.linalg.norm(V, axis=1, keepdims=True)
    np.testing.assert_allclose(TargetView("plain").fit(Y).transform(V), unit_v)
    np.testing.assert_allclose(TargetView("centred").fit(Y).transform(V), unit_v - unit.mean(axis=0))
    cov = np.cov(unit.T, ddof=0)
    w, v = np.linalg.eigh(cov)
    for shrink, view in ((WHITEN_SHRINK, TargetView("whitened")), (0.1, TargetView("whitened", shrink=0.1))):
        root = v @ np.diag(1 / np.sqrt(w + shrink * w.mean())) @ v.T
        np.testing.assert_allclose(view.fit(Y).transform(V), (unit_v - unit.mean(axis=0)) @ root, atol=1e-10)
    raw = TargetView("centred", normalize=False).fit(Y)  # without normalize, neither side is normalised
    np.testing.assert_allclose(raw.transform(V), V - Y.mean(axis=0))
    with pytest.raises(InvalidInputError, match="parameter kind"):
        TargetView("white").fit(Y)


def test_kernel_map_equals_kernel_ridge_on_its_features() -> None:
    X, Y, _ = grouped_pairs(n=150, seed=5)
    m = LandmarkKernelMap(n_landmarks=20, gamma=0.7, alphas=(0.3,), random_state=3).fit(X, Y)
    ux, uy = (a / np.linalg.norm(a, axis=1, keepdims=True) for a in (X, Y))
    land = m.landmarks_
    assert all(any(np.allclose(row, u) for u in ux) for row in land)  # landmarks are training rows
    phi = np.hstack([ux, np.exp(-0.7 * ((ux[:, None, :] - land[None]) ** 2).sum(axis=2))])
    ref = AffineMap(alpha=0.3, normalize=False).fit(phi, uy)
    np.testing.assert_allclose(m.transform(X[:9]), ref.transform(phi[:9]), atol=1e-9)
    again = LandmarkKernelMap(n_landmarks=20, gamma=0.7, alphas=(0.3,), random_state=3).fit(X, Y)
    assert np.array_equal(again.transform(X[:5]), m.transform(X[:5]))


def test_mlp_is_deterministic_and_beats_the_affine_map_on_a_nonlinear_target() -> None:
    X, Y, _ = grouped_pairs(n=300, dx=4, dy=3, seed=6)
    Y = np.sin(2 * X[:, :3]) + 0.05 * X[:, 3:]
    a = MLPMap(hidden=32, max_iter=300, normalize=False).fit(X, Y)
    b = MLPMap(hidden=32, max_iter=300, normalize=False).fit(X, Y)
    assert np.array_equal(a.transform(X), b.transform(X))
    affine = AffineMap(alpha=1e-6, normalize=False).fit(X, Y)
    assert ((a.transform(X) - Y) ** 2).mean() < 0.5 * ((affine.transform(X) - Y) ** 2).mean()
    h = np.tanh(X @ a.hidden_weights_ + a.hidden_bias_)
    np.testing.assert_allclose(a.transform(X[:4]), X[:4] @ a.coef_ + a.intercept_ + h[:4] @ a.output_weights_)


def fitted_families() -> list[tuple[object, np.ndarray]]:
    X, Y, _ = grouped_pairs(n=200, seed=7)
    return [
        (LandmarkKernelMap(n_landmarks=30).fit(X, Y), X),
        (LandmarkKernelMap(n_landmarks=30, normalize=False).fit(X, Y), X),
        (MLPMap(hidden=16, max_iter=30).fit(X, Y), X),
        (TargetView("plain").fit(Y), Y),
        (TargetView("centred").fit(Y), Y),
        (TargetView("whitened").fit(Y), Y),
    ]


@pytest.mark.parametrize("index", range(6))
def test_saved_form_round_trips_and_refuses_bad_arrays(index: int) -> None:
    est, rows = fitted_families()[index]
    arrays, attrs = est.fitted_arrays(), est.fitted_attrs()
    back = type(est).from_fitted(est.get_params(), arrays, attrs)
    assert np.array_equal(back.transform(rows[:5]), est.transform(rows[:5]))
    for name in arrays:
        bad = dict(arrays)
        bad[name] = np.where(np.arange(bad[name].size).reshape(bad[name].shape) == 0, np.nan, bad[name])
        with pytest.raises(DataFormatError, match=f"array {name} contains NaN"):
            type(est).from_fitted(est.get_params(), bad, attrs)
        bad[name] = arrays[name][..., :-1]
        with pytest.raises(DataFormatError, match=r"array [a-z_]+ has shape"):
            type(est).from_fitted(est.get_params(), bad, attrs)


@pytest.mark.parametrize("index", range(6))
def test_onnx_graph_equals_transform(index: int) -> None:
    ort = pytest.importorskip("onnxruntime")
    est, rows = fitted_families()[index]
    x = rows[:11].astype(np.float32)
    session = ort.InferenceSession(est.onnx_graph().SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(["y"], {"x": x})[0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, est.transform(x), rtol=1e-4, atol=1e-5)


def test_float32_rows_choose_the_penalty_float64_rows_choose() -> None:
    # A source of rank 16 in 128 dims (as face embeddings of low effective rank): float32 products put noise in the
    # scatter's near-zero eigenvalues, which made the smallest penalty of the grid look best (1e-8 instead of ~0.03).
    rng = np.random.default_rng(2)
    people = np.arange(3000) // 3
    z = rng.normal(size=(1000, 16))[people] + 0.5 * rng.normal(size=(3000, 16))
    X = z @ rng.normal(size=(16, 128)) + 1e-4 * rng.normal(size=(3000, 128))
    Y = z @ rng.normal(size=(16, 32)) + 0.3 * rng.normal(size=(3000, 32))
    single = AffineRidgeCV().fit(X.astype(np.float32), Y.astype(np.float32), groups=people)
    double = AffineRidgeCV().fit(X, Y, groups=people)
    assert single.alpha_ == double.alpha_ > ALPHAS[0]
    (many,) = AffineRidgeCV().fit_many(X.astype(np.float32), [Y.astype(np.float32)], groups=people)
    assert many.alpha_ == double.alpha_
