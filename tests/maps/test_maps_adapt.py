"""Adaptation without pairs: CORAL alignment and adaptive S-norm against direct formulas; unpaired by construction."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from scipy.linalg import sqrtm
from sklearn.covariance import ledoit_wolf

from facebridge.errors import InvalidInputError, NotFittedError
from facebridge.maps.adapt import DeploymentAlign, Moments, SNorm


def _rows(seed: int, n: int, d: int = 5, scale: float = 1.0, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mix = np.eye(d) + 0.4 * rng.normal(size=(d, d))  # well conditioned: shrinkage stays negligible at large n
    return scale * rng.normal(size=(n, d)) @ mix + shift


def test_coral_matches_the_direct_formula_with_ledoit_wolf_covariances() -> None:
    deploy, ref = _rows(0, 40, scale=2.0, shift=3.0), _rows(1, 60)
    fitted = DeploymentAlign("coral").fit(deploy, ref)
    cd, cr = ledoit_wolf(deploy)[0], ledoit_wolf(ref)[0]
    x = _rows(2, 7, scale=2.0, shift=3.0)
    expected = (x - deploy.mean(0)) @ np.real(np.linalg.inv(sqrtm(cd))) @ np.real(sqrtm(cr)) + ref.mean(0)
    np.testing.assert_allclose(fitted.transform(x), expected, atol=1e-8)
    stats = fitted.statistics()
    assert stats["n_deploy"] == 40 and stats["n_reference"] == 60 and len(stats["sha256"]) == 64


def test_coral_moves_a_large_deployment_onto_the_reference_moments() -> None:
    deploy, ref = _rows(3, 20000, d=3, scale=3.0, shift=-2.0), _rows(4, 20000, d=3)
    moved = DeploymentAlign("coral").fit(deploy, ref).transform(deploy)
    np.testing.assert_allclose(moved.mean(0), ref.mean(0), atol=1e-9)
    np.testing.assert_allclose(np.cov(moved.T), np.cov(ref.T), rtol=0.02, atol=0.02)


def test_centre_only_moves_the_mean() -> None:
    deploy, ref = _rows(5, 30, shift=4.0), _rows(6, 50)
    x = _rows(7, 4)
    out = DeploymentAlign("centre").fit(deploy, ref).transform(x)
    np.testing.assert_allclose(out, x - deploy.mean(0) + ref.mean(0))


def test_snorm_matches_the_loop_formula() -> None:
    rng = np.random.default_rng(8)
    gc, pc, probes, gallery = (rng.normal(size=(n, 4)) for n in (9, 11, 3, 5))
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    scores = unit(probes) @ unit(gallery).T
    norm = SNorm(top_k=4).fit(gc, pc)
    got = norm.normalise(scores, probes, gallery)
    for i in range(3):
        top_p = np.sort(unit(probes)[i] @ unit(gc).T)[-4:]
        for j in range(5):
            top_g = np.sort(unit(gallery)[j] @ unit(pc).T)[-4:]
            want = 0.5 * ((scores[i, j] - top_p.mean()) / top_p.std() + (scores[i, j] - top_g.mean()) / top_g.std())
            assert got[i, j] == pytest.approx(want, abs=1e-12)
    pairs = norm.normalise_pairs(scores[[0, 1, 2], [0, 1, 2]], probes, gallery[:3])
    np.testing.assert_allclose(pairs, got[[0, 1, 2], [0, 1, 2]], atol=1e-12)


def test_adaptation_takes_only_template_rows_never_ids_or_labels() -> None:
    # by construction: the fits' only inputs are two row matrices (no ids, groups or labels parameter) ...
    for fit in (DeploymentAlign.fit, SNorm.fit):
        assert [p for p in inspect.signature(fit).parameters if p != "self"] in (
            ["deploy", "reference"],
            ["gallery_cohort", "probe_cohort"],
        )
    # ... ids are refused ...
    with pytest.raises(InvalidInputError):
        DeploymentAlign().fit(np.array([["P/P_0001.jpg"], ["Q/Q_0001.jpg"]], dtype=object), _rows(0, 5, d=1))
    # ... and the rows' order (which row is whose) changes nothing
    deploy, ref = _rows(9, 50), _rows(10, 50)
    perm = np.random.default_rng(0).permutation(50)
    x = _rows(11, 3)
    a = DeploymentAlign().fit(deploy, ref).transform(x)
    b = DeploymentAlign().fit(deploy[perm], ref[::-1]).transform(x)
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_bad_use_is_one_clear_error() -> None:
    with pytest.raises(NotFittedError):
        DeploymentAlign().transform(_rows(0, 3))
    with pytest.raises(InvalidInputError, match="mode"):
        DeploymentAlign("zca").fit(_rows(0, 5), _rows(1, 5))
    with pytest.raises(InvalidInputError, match="dimension"):
        DeploymentAlign().fit(_rows(0, 5, d=3), _rows(1, 5, d=4))
    with pytest.raises(InvalidInputError, match="top_k"):
        SNorm(top_k=1).fit(_rows(0, 5), _rows(1, 5))
    with pytest.raises(NotFittedError):
        SNorm().normalise(np.zeros((1, 1)), _rows(0, 1), _rows(1, 1))


def test_moments_summarise_a_side_once_and_fit_the_same_move() -> None:
    deploy, ref = _rows(12, 40), _rows(13, 70)
    x = _rows(14, 5)
    direct = DeploymentAlign().fit(deploy, ref).transform(x)
    np.testing.assert_allclose(DeploymentAlign().fit(Moments(deploy), Moments(ref)).transform(x), direct, atol=1e-12)
    with pytest.raises(InvalidInputError, match="two or more rows"):
        Moments(_rows(0, 1))


def test_normalize_learns_and_moves_unit_rows_and_refuses_mismatched_moments() -> None:
    deploy, ref = _rows(15, 60, scale=3.0, shift=1.0), _rows(16, 80)
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    x = _rows(17, 4, scale=3.0, shift=1.0)
    got = DeploymentAlign(normalize=True).fit(deploy, ref).transform(x)
    np.testing.assert_allclose(got, DeploymentAlign().fit(unit(deploy), unit(ref)).transform(unit(x)), atol=1e-10)
    assert DeploymentAlign(normalize=True).fit(deploy, ref).statistics()["normalize"] is True
    with pytest.raises(InvalidInputError, match="normalize"):
        DeploymentAlign(normalize=True).fit(Moments(deploy), Moments(ref, normalize=True))
