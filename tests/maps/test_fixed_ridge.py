"""FixedRidge: the fixed-penalty ridge by one linear solve gives the library's ridge maps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import InvalidInputError
from facebridge.maps import AffineMap, FixedRidge, RidgeMap, Spectrum, SufficientStats


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 40),
    d=st.integers(1, 16),
    centered=st.booleans(),
    alpha=st.floats(1e-3, 10.0),
    seed=st.integers(0, 2**16),
)
def test_fixed_ridge_predictions_equal_the_spectrum_and_the_maps(
    n: int, d: int, centered: bool, alpha: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    X, Y, probe = rng.normal(size=(n, d)) + 0.3, rng.normal(size=(n, 3)), rng.normal(size=(5, d))
    factor = FixedRidge.of(X, alpha, centered=centered)
    assert factor.dual == (n <= d)
    right, mean_y = factor.targets(Y) if factor.dual else factor.targets_scatter(SufficientStats.from_arrays(X, Y))
    got = factor.probe(probe) @ right + mean_y
    spec = Spectrum.of(X, centered=centered)
    g, spec_mean, _ = spec.solve(Y, alpha)
    np.testing.assert_allclose(got, spec.project(probe) @ g + spec_mean, atol=1e-8)
    ref = (AffineMap if centered else RidgeMap)(alpha=alpha, normalize=False).fit(X, Y)
    np.testing.assert_allclose(got, ref.transform(probe), atol=1e-8)


@pytest.mark.parametrize("centered", [True, False])
def test_fixed_ridge_from_statistics_equals_the_rows_factor(centered: bool) -> None:
    rng = np.random.default_rng(7)
    X, Y, probe = rng.normal(size=(50, 8)) - 0.4, rng.normal(size=(50, 4)), rng.normal(size=(6, 8))
    stats = SufficientStats.from_arrays(X, Y)
    rows, summed = FixedRidge.of(X, 1.0, centered=centered), FixedRidge.of_stats(stats, 1.0, centered=centered)
    assert not rows.dual and not summed.dual and summed.n_rows == 50
    for factor in (rows, summed):
        right, mean_y = factor.targets_scatter(stats)
        np.testing.assert_allclose(
            factor.probe(probe) @ right + mean_y,
            (AffineMap if centered else RidgeMap)(alpha=1.0, normalize=False).fit(X, Y).transform(probe),
            atol=1e-10,
        )


@pytest.mark.parametrize("alpha", [0.0, -1.0, float("nan"), float("inf"), True])
def test_fixed_ridge_rejects_a_penalty_that_is_not_positive(alpha: float) -> None:
    with pytest.raises(InvalidInputError, match="alpha must be a finite number > 0"):
        FixedRidge.of(np.eye(3), alpha)


def test_fixed_ridge_targets_must_match_its_rows_and_kind() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 6)), rng.normal(size=(4, 2))
    dual = FixedRidge.of(X, 1.0)
    with pytest.raises(InvalidInputError, match="dual system of the same 3 rows"):
        dual.targets(Y[:3])
    with pytest.raises(InvalidInputError, match="primal system"):
        dual.targets_scatter(SufficientStats.from_arrays(X, Y))
    primal = FixedRidge.of(np.vstack([X, X, X]), 1.0)
    with pytest.raises(InvalidInputError, match="dual system"):
        primal.targets(np.vstack([Y, Y, Y]))
    with pytest.raises(InvalidInputError, match="primal system of the same 4 rows"):
        primal.targets_scatter(SufficientStats.from_arrays(X, Y))
