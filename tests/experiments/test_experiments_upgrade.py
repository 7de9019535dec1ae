"""The upgrade experiment: scenarios on a world where the map is exact, and calibration blind to the test fold."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.upgrade.study import (
    ALL_SCENARIOS,
    calibration_scores,
    source_fitters,
    upgrade_experiment,
    upgrade_study,
)
from facebridge.maps import make_map
from facebridge.protocols.identification import identification_split
from tests.experiments.toy_studies import toy_study
from tests.helpers import synthetic_study


def EXACT():
    return make_map("affine_fixed", normalize=False, alpha=1e-9)


def _fitter(source: EmbeddingSet, target: EmbeddingSet, split, make):
    return source_fitters(source, {"b": target}, split, make)["b"]


def _world(noise: float = 0.6):
    _, source, target = synthetic_study(n_people=60, per_person=4, noise=noise, dim=16)
    split = identification_split(source.ids, n_folds=3, seed=1, open_fraction=0.25)
    return source, target, split


def test_an_exact_map_migrates_without_loss() -> None:
    source, target, split = _world()
    result = upgrade_experiment(source, target, split, _fitter(source, target, split, EXACT), method="affine")
    s = result["summary"]
    assert set(s) == set(ALL_SCENARIOS)
    assert abs(s["migrated_gallery"]["rank1"] - s["self"]["rank1"]) < 1e-9  # source is an exact affine image
    for share in ("reenrolled_25", "reenrolled_50"):  # re-enrolling people of an exact migration changes nothing
        assert s[share]["rank1"] == pytest.approx(s["self"]["rank1"], abs=1e-6)
    assert 0.5 < s["self"]["rank1"] <= s["self"]["rank5"] <= s["self"]["rank10"] <= 1
    for far, modes in result["thresholds"].items():
        assert modes["calibrated"]["n_impostor"] == modes["native"]["n_impostor"] > 1000
        assert modes["calibrated"]["far"] <= 3 * float(far) + 1e-3
    fold0 = result["folds"][0]
    assert fold0["self"]["n_mated"] == fold0["counts"]["mated"]
    again = upgrade_experiment(source, target, split, _fitter(source, target, split, EXACT), method="affine")
    assert again["summary"] == s


def test_calibration_never_reads_the_test_fold() -> None:
    source, target, split = _world()
    k = 1
    fixed = _fitter(source, target, split, lambda: make_map("affine_fixed"))
    base = calibration_scores(source, target, split, k, fixed)
    rows = split.fold == k
    in_fold = np.isin(source.ids, split.ids[rows])
    rng = np.random.default_rng(5)

    def scrambled(es: EmbeddingSet) -> EmbeddingSet:
        v = es.vectors.copy()
        v[in_fold] = rng.normal(size=(int(in_fold.sum()), es.dim)) * 50
        return EmbeddingSet(es.ids, v, es.fingerprint)

    a, b = scrambled(source), scrambled(target)
    other = calibration_scores(a, b, split, k, _fitter(a, b, split, lambda: make_map("affine_fixed")))
    for key in ("native", "old", "cross", "old_genuine", "cross_genuine"):
        np.testing.assert_array_equal(base[key], other[key])


def _assert_close(got: object, want: object) -> None:
    """Equal counts and keys; thresholds equal to float32 score precision (a joint fit and a lone one round
    differently in the last bits, so a threshold between two float32 scores can move by ~1e-7)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys()
        for key in want:
            _assert_close(got[key], want[key])
    elif isinstance(want, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _assert_close(g, w)
    elif isinstance(want, float):
        assert got == pytest.approx(want, abs=1e-6)
    else:
        assert got == want


def test_fitting_a_sources_targets_together_gives_each_pairs_own_results() -> None:
    sets, _ = toy_study(n_people=48)

    def study(pairs: list[tuple[str, str]]) -> list[dict]:
        return upgrade_study(sets, pairs, lambda: make_map("affine_cv"), method="affine_cv", n_folds=3)["pairs"]

    together = study([("m0", "m1"), ("m0", "m2")])
    alone = [*study([("m0", "m1")]), *study([("m0", "m2")])]
    for shared, own in zip(together, alone, strict=True):
        assert [f["map_params"] for f in shared["folds"]] == [f["map_params"] for f in own["folds"]]
        for scenario, values in own["summary"].items():
            assert shared["summary"][scenario] == pytest.approx(values, abs=1e-12)
        _assert_close(shared["thresholds"], own["thresholds"])
