"""The transition scenarios: score fusion and progressive re-enrolment, against their direct formulas."""

from __future__ import annotations

import numpy as np

from facebridge.experiments.upgrade.study import source_fitters, upgrade_experiment
from facebridge.experiments.upgrade.transition import fuse, reenrolled_rows, transition_scores, znorm
from facebridge.maps import make_map
from facebridge.protocols.identification import identification_split
from facebridge.vectors import cosine_matrix
from tests.helpers import synthetic_study


def test_fuse_averages_each_sides_z_scores() -> None:
    old = (np.array([[1.0, 3.0]]), np.array([[2.0, 2.0]]))
    mig = (np.array([[0.5, 0.1]]), np.array([[0.3, 0.3]]))
    mated, nonmated = fuse(old, mig, (2.0, 1.0, 3.0), (0.3, 0.2, 1.0))
    want = [[(3 * (1 - 2) / 1 + (0.5 - 0.3) / 0.2) / 4, (3 * (3 - 2) / 1 + (0.1 - 0.3) / 0.2) / 4]]
    np.testing.assert_allclose(mated, want)
    np.testing.assert_allclose(nonmated, [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(fuse(old, mig, (2.0, 1.0, 0.0), (0.3, 0.2, 0.0))[0], [[0.0, 0.0]], atol=1e-12)
    assert znorm(np.array([1.0, 3.0]), np.array([4.0, 6.0])) == (2.0, 1.0, 3.0)
    assert znorm(np.array([1.0, 3.0]), np.array([0.0]))[2] == 0.0  # worse than chance: no weight


def test_reenrolment_replaces_the_drawn_peoples_templates_with_native_ones() -> None:
    rows = reenrolled_rows(40, 0.25, seed=3, fold=1)
    assert len(rows) == 10 == len(set(rows.tolist())) and rows.max() < 40
    np.testing.assert_array_equal(rows, reenrolled_rows(40, 0.25, seed=3, fold=1))
    assert not np.array_equal(rows, reenrolled_rows(40, 0.25, seed=3, fold=2))
    rng = np.random.default_rng(0)
    gallery = {"a": rng.normal(size=(40, 4)), "b": rng.normal(size=(40, 5)), "mapped": rng.normal(size=(40, 5))}
    mated, nonmated = {"b": rng.normal(size=(7, 5))}, {"b": rng.normal(size=(3, 5))}
    ones = (np.ones((7, 40)), np.ones((3, 40)))
    calib = {"old": np.array([0.0, 2.0]), "cross": np.array([-1.0, 3.0]),
             "old_genuine": np.array([3.0]), "cross_genuine": np.array([5.0])}  # fmt: skip
    got = transition_scores(gallery, (mated, nonmated), {"old": ones, "migrated_gallery": ones}, calib, seed=3, fold=1)
    mixed = gallery["mapped"].copy()
    mixed[rows] = gallery["b"][rows]
    np.testing.assert_allclose(got["reenrolled_25"][0], cosine_matrix(mated["b"], mixed))
    np.testing.assert_allclose(got["reenrolled_25"][1], cosine_matrix(nonmated["b"], mixed))
    np.testing.assert_allclose(got["fused"][0], 0.0)  # both sides' ones sit at their impostors' mean


def test_fusion_with_a_useless_migration_keeps_the_old_systems_ranking_and_reenrolment_pays_back() -> None:
    _, a, b = synthetic_study(n_people=60, per_person=4, noise=0.6, dim=16)
    split = identification_split(a.ids, n_folds=3, seed=1, open_fraction=0.25)
    # A rank-1 map: the migrated gallery is nearly useless, so fusion must lean on the old side.
    fitter = source_fitters(a, {"b": b}, split, lambda: make_map("rrr", rank=1))["b"]
    s = upgrade_experiment(a, b, split, fitter, method="affine")["summary"]
    assert s["migrated_gallery"]["rank1"] < s["old"]["rank1"] - 0.2
    assert s["fused"]["rank1"] >= s["old"]["rank1"] - 0.05
    assert s["migrated_gallery"]["rank1"] < s["reenrolled_25"]["rank1"] < s["reenrolled_50"]["rank1"]
    assert s["reenrolled_50"]["rank1"] <= s["self"]["rank1"] + 1e-9
