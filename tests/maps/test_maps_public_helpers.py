"""The maps helpers the experiments call (RidgeToTargets, RankPath.project, CVSplit.source_quad) give what the maps
themselves compute."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.maps import AffineMap, CVSplit, RankPath, RidgeMap, RidgeToTargets, SufficientStats
from facebridge.maps.ridge_cv import shifted_source_quad


@pytest.mark.parametrize("centered", [True, False])
@pytest.mark.parametrize("n", [6, 40])  # fewer rows than dims (dual, from rows) and more (primal, from statistics)
def test_ridge_to_targets_maps_like_the_ridge_maps(centered: bool, n: int) -> None:
    rng = np.random.default_rng(n)
    X, probes = rng.normal(size=(n, 8)) + 0.3, rng.normal(size=(5, 8))
    targets = [rng.normal(size=(n, 3)), rng.normal(size=(n, 4))]
    primal = n > X.shape[1]
    maps = RidgeToTargets(SufficientStats.from_arrays(X, X) if primal else X, probes, 0.5, centered=centered)
    for Y in targets:
        right, mean_y = maps.target(SufficientStats.from_arrays(X, Y) if primal else Y)
        ref = (AffineMap if centered else RidgeMap)(alpha=0.5, normalize=False).fit(X, Y)
        np.testing.assert_allclose(maps.left @ right + mean_y, ref.transform(probes), atol=1e-8)


def test_ridge_to_targets_gcv_from_rows_equals_from_statistics() -> None:
    rng = np.random.default_rng(1)
    X, Y, probes = rng.normal(size=(50, 6)), rng.normal(size=(50, 3)), rng.normal(size=(4, 6))
    rows = RidgeToTargets(X, probes, None, centered=True)
    stats = RidgeToTargets(SufficientStats.from_arrays(X, X), probes, None, centered=True)
    by_rows, by_stats = rows.target(Y), stats.target(SufficientStats.from_arrays(X, Y))
    np.testing.assert_allclose(rows.left @ by_rows[0] + by_rows[1], stats.left @ by_stats[0] + by_stats[1], atol=1e-8)


@pytest.mark.parametrize("family", ["rrr", "pca_ridge"])
def test_rank_path_projection_truncates_to_the_rank_r_map(family: str) -> None:
    rng = np.random.default_rng(2)
    X, Y, probes = rng.normal(size=(60, 7)), rng.normal(size=(60, 5)), rng.normal(size=(4, 7))
    path = RankPath.fit(SufficientStats.from_arrays(X, Y), 0.1)
    along, right = path.project(probes, family)
    for r in (1, 3):
        coef, intercept = path.coef(family, r)
        np.testing.assert_allclose(along[:, :r] @ right[:r] + path.mean_y, probes @ coef + intercept, atol=1e-10)
    centred, full = path.project(probes)
    np.testing.assert_allclose(centred @ full + path.mean_y, probes @ path.full + path.mean_y - path.mean_x @ path.full)


def test_cv_split_source_quad_is_the_shifted_scatter_in_the_training_eigenbasis() -> None:
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 2))
    train, val = SufficientStats.from_arrays(X[:20], Y[:20]), SufficientStats.from_arrays(X[20:], Y[20:])
    v = train.source_eigh()[1]
    np.testing.assert_array_equal(CVSplit.source_quad(train, val), shifted_source_quad(val, train.mean_x, v))
    xc = X[20:] - train.mean_x
    np.testing.assert_allclose(CVSplit.source_quad(train, val), v.T @ xc.T @ xc @ v, atol=1e-10)
