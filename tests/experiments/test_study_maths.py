"""The study's shortcuts against the plain computations they replace: block-summed statistics, eigenbasis ridge
paths, GCV, rank sweeps, budget curves and subset draws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from facebridge.experiments.shared.data import study_data
from facebridge.experiments.shared.scoring import FoldScores, scores_against, unit_view
from facebridge.experiments.verification.curves import smallest_within
from facebridge.experiments.verification.kernel_moments import KernelMoments
from facebridge.experiments.verification.methods import INNER_SPLITS, QUICK_LANDMARKS, WHITEN_SHRINK, get_method
from facebridge.experiments.verification.moments import GroupMoments, GrowingMoments
from facebridge.experiments.verification.rank import _rank_predictions
from facebridge.experiments.verification.sample_size import draw_subsets, run_sample_size
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import (
    ALPHAS,
    AffineMap,
    AffineRidgeCV,
    CVSplit,
    KernelBasis,
    LandmarkKernelMap,
    PCARidgeMap,
    ProcrustesMap,
    ReducedRankMap,
    RidgeMap,
    Spectrum,
    SufficientStats,
    TargetView,
)
from facebridge.maps.kernel import kernel_features
from facebridge.maps.ridge_cv import validation_sse
from tests.experiments.toy_studies import toy_study


@pytest.fixture(scope="module")
def moments() -> GroupMoments:
    sets, pairs = toy_study()
    return GroupMoments(study_data(sets, pairs))


def _rows(moments: GroupMoments, keep: np.ndarray, source: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    data = moments.data
    return data.vectors[source][keep], data.vectors[target][keep]


def _pool_arrays(task: FoldTask) -> tuple[np.ndarray, np.ndarray]:
    """The normalised source and target rows of ``task``'s pool."""
    rows = task.train_rows()
    return task.data.vectors[task.source][rows], task.data.vectors[task.target][rows]


def test_pool_statistics_equal_a_pass_over_the_allowed_rows(moments: GroupMoments) -> None:
    data = moments.data
    for exclude in (frozenset({1}), frozenset({0, 3})):
        x, y = _rows(moments, data.allowed(exclude), "m0", "m1")
        expected = SufficientStats.from_arrays(x, y, normalize=True, track_yy=True)
        got = moments.pool_stats("m0", "m1", exclude, track_yy=True)
        assert got.n == expected.n < data.n
        for name in ("sum_x", "sum_y", "xtx", "xty", "ssq_y", "yty"):
            np.testing.assert_allclose(getattr(got, name), getattr(expected, name), atol=1e-10)
        np.testing.assert_allclose(moments.pool_mean("m1", exclude), y.mean(axis=0), atol=1e-12)


def test_people_in_no_pair_are_in_every_pool(moments: GroupMoments) -> None:
    data = moments.data
    outsiders = data.group == data.groups.index(frozenset())
    assert outsiders.sum() == 6 * 6  # 48 // 8 people x 6 images
    for k in data.fold_ids:
        assert data.allowed(frozenset({k}))[outsiders].all()
        assert not data.allowed(frozenset({k}))[data.in_fold(k)].any()


def test_shared_eigenbasis_ridge_equals_a_fresh_fit(moments: GroupMoments) -> None:
    task = FoldTask(moments, "m0", "m1", 2)
    shared = AffineMap(alpha=0.3).fit_stats(task.train_stats())
    x, y = _pool_arrays(task)
    ref = AffineMap(alpha=0.3).fit_stats(SufficientStats.from_arrays(x, y, normalize=True))
    np.testing.assert_allclose(shared.coef_, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(shared.intercept_, ref.intercept_, atol=1e-10)


def test_validation_error_equals_brute_force(moments: GroupMoments) -> None:
    data = moments.data
    task = FoldTask(moments, "m1", "m2", 0)
    inner = frozenset({1, 3})
    train, val = task.train_stats(inner), task.validation_stats(inner)
    sse = validation_sse(train, val, ALPHAS)
    xv, yv = _rows(
        moments, np.isin(data.group, [data.groups.index(frozenset({1})), data.groups.index(frozenset({3}))]), "m1", "m2"
    )
    for alpha, got in zip(ALPHAS[::4], sse[::4], strict=True):
        m = AffineMap(alpha=alpha).fit_stats(train)
        assert got == pytest.approx(((yv - m.transform(xv)) ** 2).sum(), rel=1e-8)


@pytest.mark.parametrize("n", [5, 40])  # fewer rows than dims (dual) and more (primal)
def test_spectrum_ridge_and_gcv_equal_direct_formulas(n: int) -> None:
    rng = np.random.default_rng(n)
    X, Y = rng.normal(size=(n, 12)), rng.normal(size=(n, 3))
    spec = Spectrum.of(X)
    coef, intercept = spec.fit(Y, 0.7)
    ref = AffineMap(alpha=0.7, normalize=False).fit(X, Y)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(intercept, ref.intercept_, atol=1e-10)
    raw = Spectrum.of(X, centered=False)
    g, mean_y, _ = raw.solve(Y, 1.0)
    np.testing.assert_allclose(raw.project(X[:4]) @ g + mean_y, RidgeMap(normalize=False).fit(X, Y).transform(X[:4]))
    xc, yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    u, sv, _ = np.linalg.svd(xc, full_matrices=False)
    for alpha, got in zip(ALPHAS, spec.gcv(Y), strict=True):
        # The hat matrix by the SVD of the centred rows (a direct solve is ill-conditioned below alpha = 1e-4).
        hat = (u * (sv**2 / (sv**2 + alpha))) @ u.T
        df = 1 + np.trace(hat)
        want = ((yc - hat @ yc) ** 2).sum() / (n - df) ** 2 if df < n else np.inf
        assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize(("source", "target"), [("m1", "m0"), ("m2", "m1")])  # dx > dy and dx < dy
def test_rank_sweep_equals_the_library_maps(moments: GroupMoments, source: str, target: str) -> None:
    data = moments.data
    task = FoldTask(moments, source, target, 1)
    xa = data.vectors[source][data.row_a[data.pairs.fold == 1]]
    dy = data.dim(target)
    rng = np.random.default_rng(0)
    view = TargetView("whitened").fit(rng.normal(size=(50, dy)))
    got = _rank_predictions(task, 0.05, xa, (2, 5, 8, 16), view)
    plain = _rank_predictions(task, 0.05, xa, (2, 5), None)
    stats = task.train_stats()
    limit = min(data.dim(source), dy)
    for r in (2, 5):
        rrr = ReducedRankMap(rank=r, alpha=0.05).fit_stats(stats)
        pca = PCARidgeMap(rank=r, alpha=0.05).fit_stats(stats)
        np.testing.assert_allclose(plain[("rrr", r)], rrr.transform(xa), atol=1e-9)
        np.testing.assert_allclose(got[("rrr", r)], view.transform(rrr.transform(xa)), atol=1e-8)
        np.testing.assert_allclose(got[("pca_ridge", r)], view.transform(pca.transform(xa)), atol=1e-8)
    full = AffineMap(alpha=0.05).fit_stats(stats).transform(xa)
    np.testing.assert_allclose(got[("rrr", None)], view.transform(full), atol=1e-8)
    assert ("rrr", limit) not in got and ("pca_ridge", data.dim(source)) not in got  # those ranks are the full map


def test_smallest_budget_on_constructed_curves() -> None:
    curve = [(10, 90.0), (20, 97.0), (50, 98.0), (100, 98.6), (200, 98.9), (500, 99.0)]
    assert smallest_within(curve, 99.0) == 100  # 98.6 is within 0.5 of 99.0; 98.0 is not
    assert smallest_within([(10, 98.9), (20, 97.0), (50, 98.8)], 99.0) == 50  # a lucky small budget is not enough
    assert smallest_within([(4, 90.0), (8, 95.0)], 99.0) is None


@given(
    st.lists(st.tuples(st.integers(1, 10_000), st.floats(0, 100)), min_size=1, max_size=12, unique_by=lambda p: p[0]),
    st.floats(0, 100),
)
def test_smallest_budget_is_the_start_of_the_tail_within_tolerance(
    points: list[tuple[int, float]], full: float
) -> None:
    answer = smallest_within(points, full)
    ok = {b: a >= full - 0.5 for b, a in points}
    if answer is None:
        assert not ok[max(ok)]
    else:
        assert all(ok[b] for b in ok if b >= answer)
        smaller = [b for b in ok if b < answer]
        assert not smaller or not ok[max(smaller)]


def test_subsets_are_nested_leak_free_and_seeded() -> None:
    rng = np.random.default_rng(0)
    allowed = {k: rng.random(300) > 0.3 for k in range(3)}
    subsets = draw_subsets(allowed, (10, 50, 100, 1000), n_draws=3, seed=7)
    assert subsets.keys() == draw_subsets(allowed, (10, 50, 100, 1000), n_draws=3, seed=7).keys()
    assert len(subsets) == 3 * 3 * 3  # 1000 is larger than every pool
    for (d, k, n), rows in subsets.items():
        assert allowed[k][rows].all() and len(set(rows)) == len(rows) == n
        assert set(subsets[(d, k, 10)]) <= set(rows)
    assert not np.array_equal(subsets[(0, 0, 50)], subsets[(1, 0, 50)])
    again = draw_subsets(allowed, (10, 50), n_draws=1, seed=7)
    np.testing.assert_array_equal(again[(0, 2, 50)], subsets[(0, 2, 50)])


def test_study_fold_maps_equal_library_fits_on_the_same_pool(moments: GroupMoments) -> None:
    data, k = moments.data, 1
    task = FoldTask(moments, "m0", "m2", k)
    x, y = _pool_arrays(task)
    splits = []
    for inner in task.inner_splits(INNER_SPLITS):
        train = data.allowed(frozenset({k}) | inner)
        val = ~data.allowed(inner) & data.allowed(frozenset({k}))
        splits.append(
            CVSplit(
                *(SufficientStats.from_arrays(*_rows(moments, r, "m0", "m2"), normalize=True) for r in (train, val))
            )
        )
    library = AffineRidgeCV(n_splits=INNER_SPLITS).fit_splits(SufficientStats.from_arrays(x, y, normalize=True), splits)
    study = get_method("affine_cv").fit(task)
    assert study.alpha_ == library.alpha_
    np.testing.assert_allclose(study.cv_errors_, library.cv_errors_, rtol=1e-9)
    np.testing.assert_allclose(study.coef_, library.coef_, atol=1e-10)
    for key, ref in (("ridge_study", RidgeMap(alpha=1.0)), ("procrustes", ProcrustesMap())):
        np.testing.assert_allclose(get_method(key).fit(task).coef_, ref.fit(x, y).coef_, atol=1e-10)
    kernel = get_method("kernel_whitened", quick=True).fit(task)
    ref = LandmarkKernelMap(n_landmarks=QUICK_LANDMARKS, random_state=kernel.random_state)
    ref.fit_basis(KernelBasis.of_rows(x, kernel.landmarks_, ref.gamma, True), y)
    assert ref.alpha_ == kernel.alpha_
    # GCV picks ~3e-8 on this toy pool (fewer rows than features): rounding of the two paths is amplified ~1/alpha.
    np.testing.assert_allclose(kernel.transform(x[:20]), ref.transform(x[:20]), atol=1e-9 / min(kernel.alpha_, 1e-3))
    view = get_method("affine_whitened").view(FoldTask(moments, "m2", "m2", k))
    np.testing.assert_allclose(view.projection_, TargetView("whitened", shrink=WHITEN_SHRINK).fit(y).projection_)


@pytest.mark.parametrize("centered", [True, False])
def test_spectrum_from_statistics_equals_the_rows_spectrum(centered: bool) -> None:
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(60, 12)) + 0.5, rng.normal(size=(60, 5)) - 0.2
    rows, summed = (
        Spectrum.of(X, centered=centered),
        Spectrum.of_stats(SufficientStats.from_arrays(X, Y), centered=centered),
    )
    assert not rows.dual and summed.n == rows.n == 60
    probe = rng.normal(size=(7, 12))
    for alpha in (None, 0.3):  # GCV's choice, then a fixed penalty
        g, mean_y, chosen = rows.solve(Y, alpha)
        g2, mean_y2, chosen2 = summed.solve_scatter(SufficientStats.from_arrays(X, Y), alpha)
        assert chosen2 == chosen
        np.testing.assert_allclose(summed.project(probe) @ g2 + mean_y2, rows.project(probe) @ g + mean_y, atol=1e-10)


def test_growing_moments_equal_a_pass_over_the_rows(moments: GroupMoments) -> None:
    data = moments.data
    grown = GrowingMoments(data)
    order = np.random.default_rng(1).permutation(data.n)
    for n in (5, 30, 100):
        grown.add(order[grown.n : n])
        want = SufficientStats.from_arrays(data.vectors["m2"][order[:n]], data.vectors["m0"][order[:n]])
        got = grown.stats("m2", "m0")
        assert got.n == n
        for name in ("sum_x", "sum_y", "xtx", "xty", "ssq_y"):
            np.testing.assert_allclose(getattr(got, name), getattr(want, name), atol=1e-10)


def test_sample_size_curves_equal_fresh_fits_on_each_subset(moments: GroupMoments) -> None:
    """The sweep reads nested subsets' statistics off one growing sum; each point must equal a fit on its rows."""
    data, sizes, draws = moments.data, (5, 10, 40), 2  # below and above every model's dims (8..16)
    views = {
        (m, t, k): (None if m == "ridge_study" else get_method("affine_whitened").view(FoldTask(moments, t, t, k)))
        for m in ("ridge_study", "affine_whitened")
        for t in data.models
        for k in data.fold_ids
    }
    rules = {"ridge_study": (False, 1.0), "affine_whitened": (True, None)}
    got = {
        (p.source, p.target, p.method, p.n): p.accuracies
        for p in run_sample_size(moments, views, rules, sizes, draws, 3)
    }
    subsets = draw_subsets({k: data.allowed(frozenset({k})) for k in data.fold_ids}, sizes, draws, 3)
    for source, target in (("m0", "m1"), ("m2", "m0")):
        for method, (centred, alpha) in rules.items():
            for n in sizes:
                accuracies = []
                for d in range(draws):
                    scores = FoldScores(data.pairs)
                    for k in data.fold_ids:
                        rows, test = subsets[(d, k, n)], data.pairs.fold == k
                        spec = Spectrum.of(data.vectors[source][rows], centered=centred)
                        g, mean_y, _ = spec.solve(data.vectors[target][rows], alpha)
                        mapped = spec.project(data.vectors[source][data.row_a[test]]) @ g + mean_y
                        native = unit_view(data.vectors[target][data.row_b[test]], views[(method, target, k)])
                        scores.put(k, scores_against(mapped, native, views[(method, target, k)]))
                    accuracies.append(100 * scores.result().mean)
                np.testing.assert_allclose(got[(source, target, method, n)], accuracies, atol=1e-9)


def test_kernel_transform_is_the_same_in_either_product_order() -> None:
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(80, 6)), rng.normal(size=(80, 3))
    fitted = LandmarkKernelMap(n_landmarks=20).fit(X, Y)
    phi = kernel_features(X / np.linalg.norm(X, axis=1, keepdims=True), fitted.landmarks_, fitted.gamma, True)
    want = (phi - fitted.feature_mean_) @ fitted.projection_ @ fitted.weights_ + fitted.target_mean_
    np.testing.assert_allclose(fitted.transform(X), want, atol=1e-10)  # 80 rows > 3 outputs: factors folded first
    np.testing.assert_allclose(fitted.transform(X[:2]), want[:2], atol=1e-10)
    np.testing.assert_allclose(fitted.from_projected(fitted.project(X)), want, atol=1e-10)  # the study's route


def test_kernel_folds_draw_landmarks_from_their_pool_and_equal_fits_on_the_pool_rows(
    moments: GroupMoments, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, m = moments.data, 48
    shared = KernelMoments(moments, "m0", m, 0.25, seed=5)
    sizes, projections, project = [], [], LandmarkKernelMap.project

    def counted(self: LandmarkKernelMap, X: np.ndarray) -> np.ndarray:
        projections[-1] += 1
        return project(self, X)

    monkeypatch.setattr(LandmarkKernelMap, "project", counted)
    for k in data.fold_ids:
        projections.append(0)  # every fold and two targets: the shared moments move from fold to fold
        pool = FoldTask(moments, "m0", "m0", k).train_rows()
        assert set(shared.chosen[k]) <= set(pool) and len(shared.chosen[k]) == min(m, len(pool))
        sizes.append(len(shared.chosen[k]))
        for target in ("m1", "m2"):
            task = FoldTask(moments, "m0", target, k)
            x, y = _pool_arrays(task)
            fitted = shared.fit(task, LandmarkKernelMap(n_landmarks=m, random_state=5))
            np.testing.assert_array_equal(fitted.landmarks_, data.vectors["m0"][shared.chosen[k]])
            ref = LandmarkKernelMap(n_landmarks=m).fit_basis(KernelBasis.of_rows(x, fitted.landmarks_, 0.25, True), y)
            assert fitted.alpha_ == ref.alpha_ and fitted.n_samples_seen_ == len(x)
            rows = np.flatnonzero(~data.allowed(frozenset({k})))
            probe = data.vectors["m0"][rows]  # the fold's own images, as scored
            tol = 1e-9 / min(fitted.alpha_, 1e-3)  # rounding of the two paths, amplified ~1/alpha at tiny penalties
            np.testing.assert_allclose(fitted.transform(probe), ref.transform(probe), atol=tol)
            np.testing.assert_allclose(shared.transform(fitted, rows), ref.transform(probe), atol=tol)
        np.testing.assert_allclose(shared.transform(fitted, rows[:3]), ref.transform(probe[:3]), atol=tol)
    # The fold's rows are projected once for both targets, and again when the rows change: two per fold.
    assert projections == [2] * len(data.fold_ids)
    assert len(shared.union) < sum(sizes)  # the folds share landmarks: their features are computed once
