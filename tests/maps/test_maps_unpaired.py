"""The unpaired aligner: recovers a planted orthogonal map from unpaired clustered rows, deterministically."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group

from facebridge.errors import InvalidInputError
from facebridge.maps.unpaired import UnpairedAligner


def _clusters(rng: np.random.Generator, centres: np.ndarray, sizes: np.ndarray, noise: float) -> np.ndarray:
    labels = np.repeat(np.arange(len(centres)), sizes)
    return centres[labels] + noise * rng.normal(size=(len(labels), centres.shape[1]))


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def world() -> dict:
    """Clustered source rows, and target rows drawn independently from the same clusters then rotated: no row of
    one side is the image of a row of the other."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 12))
    sizes = rng.integers(4, 40, size=30)
    return {
        "X": _clusters(rng, centres, sizes, 0.3),
        "Y0": _clusters(rng, centres, sizes, 0.3),
        "test": _clusters(rng, centres, sizes, 0.3),
        "noise": rng.normal(size=(int(sizes.sum()), 20)),
    }


def test_recovers_a_planted_rotation_from_unpaired_rows(world: dict) -> None:
    q = ortho_group.rvs(12, random_state=1)
    y = world["Y0"] @ q + 0.02 * world["noise"][:, :12]
    aligner = UnpairedAligner(dim=12, seed=0).fit(world["X"], y)
    mapped, truth = _unit(aligner.transform(world["test"])), _unit(_unit(world["test"]) @ q)
    cosine = (mapped * truth).sum(axis=1)
    assert np.median(cosine) > 0.98
    # the map is no accident of the data: a map fitted against an unrelated rotation does not match this one
    other = _unit(_unit(world["test"]) @ ortho_group.rvs(12, random_state=2))
    assert np.median((mapped * other).sum(axis=1)) < 0.5


def test_recovers_a_planted_map_into_a_larger_space(world: dict) -> None:
    """dx = 12 < dy = 20: the target is a semi-orthogonal embedding of the source; PCA brings both to 12 dims."""
    q = ortho_group.rvs(20, random_state=3)[:12]
    y = world["Y0"] @ q + 0.02 * world["noise"]
    aligner = UnpairedAligner(dim=12, seed=0).fit(world["X"], y)
    assert aligner.coef_.shape == (12, 20)
    mapped, truth = _unit(aligner.transform(world["test"])), _unit(_unit(world["test"]) @ q)
    assert np.median((mapped * truth).sum(axis=1)) > 0.95


def test_same_seed_same_map_and_the_seed_matters(world: dict) -> None:
    y = world["Y0"] @ ortho_group.rvs(12, random_state=1)
    fit = lambda seed: UnpairedAligner(dim=12, n_iter=8, n_rows=300, seed=seed).fit(world["X"], y)  # noqa: E731
    a, b, c = fit(5), fit(5), fit(6)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.dictionary_, b.dictionary_)
    assert not np.array_equal(a.dictionary_, c.dictionary_)  # another subsample and dropout


@pytest.mark.parametrize(
    "params", [{"dim": 0}, {"keep_prob": 0.0}, {"keep_prob": 1.5}, {"n_iter": 0}, {"whiten": "yes"}, {"seed": -1}]
)
def test_bad_parameters_are_one_line_errors(world: dict, params: dict) -> None:
    with pytest.raises(InvalidInputError, match="UnpairedAligner"):
        UnpairedAligner(**params).fit(world["X"], world["Y0"])


def test_rejects_paired_statistics_and_unfitted_use(world: dict) -> None:
    with pytest.raises(InvalidInputError, match="rows"):
        UnpairedAligner().fit_stats(None)  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="not fitted"):
        UnpairedAligner().transform(world["X"])


def test_unequal_row_counts_below_n_rows_fit() -> None:
    """An audit at budget 0 with 25 attacker images aligns 12 source rows with 13 target rows: the signatures of
    the two sides had different lengths and the fit stopped with a matmul ValueError (a traceback)."""
    rng = np.random.default_rng(0)
    fitted = UnpairedAligner(n_iter=3).fit(rng.normal(size=(12, 16)), rng.normal(size=(13, 24)))
    assert fitted.transform(rng.normal(size=(4, 16))).shape == (4, 24) and len(fitted.dictionary_) > 0
