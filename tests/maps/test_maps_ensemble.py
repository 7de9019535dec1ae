"""The ensemble of map families: the members' weighted average, equal or stacked weights, saved without pickle."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.maps import EnsembleMap, Provenance, load_map, make_map, save_map
from facebridge.maps.ensemble import simplex_weights
from tests.maps.map_files import SRC, TGT, training_data


def _people(n: int) -> list[str]:
    return [f"p{i // 3}" for i in range(n)]


def test_mean_is_the_average_of_the_members_fitted_alone() -> None:
    X, Y, _ = training_data(n=60, dx=6, dy=4)
    groups = _people(60)
    ens = make_map("ensemble", members=("kernel", "affine_mean"), random_state=3).fit(X, Y, groups=groups)
    kernel = make_map("kernel", random_state=3).fit(X, Y)
    mean = make_map("affine_mean").fit(X, Y, groups=groups)
    Z = np.random.default_rng(1).normal(size=(7, 6))
    np.testing.assert_allclose(ens.transform(Z), (kernel.transform(Z) + mean.transform(Z)) / 2, atol=1e-12)
    np.testing.assert_array_equal(ens.weights_, [0.5, 0.5])
    assert ens.transform(Z.astype(np.float32)).dtype == np.float32


def test_simplex_weights_match_the_two_member_formula() -> None:
    rng = np.random.default_rng(0)
    p1, p2, y = rng.normal(size=(3, 20, 4))
    for target in (y, 0.3 * p1 + 0.7 * p2, 2.0 * p1 - p2):  # interior, exact mixture, beyond p1 (clipped to 1)
        d = (p1 - p2).ravel()
        w = float(np.clip(d @ (target - p2).ravel() / (d @ d), 0.0, 1.0))
        np.testing.assert_allclose(simplex_weights([p1, p2], target), [w, 1 - w], atol=1e-6)
    np.testing.assert_allclose(simplex_weights([p1, p2, y], 0.2 * p1 + 0.5 * p2 + 0.3 * y), [0.2, 0.5, 0.3], atol=1e-6)


def test_cv_weights_go_to_the_member_that_predicts_held_out_people() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 5))
    Y = X @ rng.normal(size=(5, 3))  # exactly linear, no bias
    ens = make_map("ensemble", members=("lstsq", "ridge"), weighting="cv", normalize=False)
    ens.fit(X, Y, groups=_people(90))
    assert ens.weights_[0] > 0.99 and ens.weights_.sum() == pytest.approx(1.0)  # ridge's shrinkage errs
    np.testing.assert_allclose(ens.transform(X), Y, atol=0.05)


def test_saved_and_loaded_it_maps_the_same(tmp_path) -> None:
    X, Y, _ = training_data()
    ens = make_map("ensemble", weighting="cv").fit(X, Y, groups=_people(60))
    loaded = load_map(save_map(ens, tmp_path / "e.fbmap", source=SRC, target=TGT, provenance=Provenance(60, 20, "t")))
    assert isinstance(loaded.estimator, EnsembleMap) and loaded.estimator.get_params() == ens.get_params()
    np.testing.assert_array_equal(loaded.estimator.weights_, ens.weights_)
    np.testing.assert_array_equal(loaded.estimator.transform(X), ens.transform(X))


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"members": ("kernel",)}, InvalidInputError, "members must be a list of 2 or more"),
        ({"members": "kernel"}, InvalidInputError, "members must be a list of 2 or more"),
        ({"members": ("kernel", "ensemble")}, InvalidInputError, "another ensemble"),
        ({"members": ("kernel", "nope")}, NotFoundError, "unknown map method 'nope'"),
        ({"weighting": "median"}, InvalidInputError, "parameter weighting"),
        ({"n_splits": 1}, InvalidInputError, "parameter n_splits"),
    ],
)
def test_bad_params_are_named_at_fit(params: dict, error: type, match: str) -> None:
    X, Y, _ = training_data()
    with pytest.raises(error, match=match):
        make_map("ensemble", **params).fit(X, Y)
