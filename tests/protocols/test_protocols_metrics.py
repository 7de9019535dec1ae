"""ROC, AUC, EER, TAR@FAR and k-fold accuracy against plain loop references and scikit-learn, with ties."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.protocols import best_threshold, kfold_accuracy, roc_curve, verify


def ref_threshold(s: np.ndarray, y: np.ndarray) -> float:
    """Loop over every candidate (midpoints of adjacent distinct scores, +-inf); highest of the most accurate."""
    u = np.unique(s)
    candidates = np.concatenate([[-np.inf], (u[:-1] + u[1:]) / 2, [np.inf]])
    correct = [int(np.sum((s >= t) == y)) for t in candidates]
    return float(max(t for t, c in zip(candidates, correct, strict=True) if c == max(correct)))


def ref_kfold(s: np.ndarray, y: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ths, accs = [], []
    for k in np.unique(f):
        t = ref_threshold(s[f != k], y[f != k])
        ths.append(t)
        accs.append(np.mean((s[f == k] >= t) == y[f == k]))
    return np.array(accs), np.array(ths)


def ref_tar_at_far(s: np.ndarray, y: np.ndarray, far: float) -> float:
    points = [(np.mean(s[~y] >= t), np.mean(s[y] >= t)) for t in np.append(np.unique(s), np.inf)]
    return max(tar for fa, tar in points if fa <= far)


def tied_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    same = rng.random(n) < 0.5
    scores = np.round(rng.normal(size=n) + 1.2 * same, 1)  # ~60 distinct values: many ties, mixed classes
    return scores, same, rng.integers(0, 5, size=n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_matches_sklearn(seed: int) -> None:
    s, y, _ = tied_data(400, seed)
    roc = roc_curve(s, y)
    fpr, tpr, thr = sk_roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(roc.fpr, fpr, rtol=0, atol=1e-15)
    np.testing.assert_allclose(roc.tpr, tpr, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(roc.thresholds, thr)
    assert len(roc.thresholds) == len(np.unique(s)) + 1
    assert roc.auc() == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    for far in (1e-1, 1e-2, 1e-3, 0.5):
        assert roc.tar_at_far(far) == ref_tar_at_far(s, y, far)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eer_against_root_finding(seed: int) -> None:
    s, y, _ = tied_data(300, seed)
    roc = roc_curve(s, y)
    idx = np.arange(len(roc.fpr))
    u = brentq(lambda x: np.interp(x, idx, roc.fpr) - 1 + np.interp(x, idx, roc.tpr), 0, idx[-1], xtol=1e-13)
    assert roc.eer() == pytest.approx(np.interp(u, idx, roc.fpr), abs=1e-9)


def test_eer_and_auc_by_hand() -> None:
    # genuine 0.9, 0.6; impostor 0.7, 0.1. ROC: (0,0) (0,.5) (.5,.5) (.5,1) (1,1)
    roc = roc_curve(np.array([0.9, 0.7, 0.6, 0.1]), np.array([True, False, True, False]))
    np.testing.assert_array_equal(roc.fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(roc.tpr, [0, 0.5, 0.5, 1, 1])
    assert roc.auc() == 0.75
    assert roc.eer() == 0.5  # the segment (0,.5)-(.5,.5) reaches FNR = FPR = .5 at its end
    separable = roc_curve(np.array([3.0, 2.0, 1.0, 0.0]), np.array([True, True, False, False]))
    assert (separable.eer(), separable.auc(), separable.tar_at_far(1e-3)) == (0.0, 1.0, 1.0)
    tied = roc_curve(np.array([1.0, 1.0]), np.array([True, False]))  # one tie: no threshold separates them
    assert (tied.auc(), tied.eer()) == (0.5, 0.5)


def test_tar_at_far_resolution() -> None:
    # 3,000 impostors: FAR 1e-3 allows exactly 3 false accepts
    impostor = np.arange(3000.0)
    genuine = np.array([2996.5, 2997.5, 2998.5, 2999.5, 100.0])  # above 3, 2, 1, 0 impostors; one low
    roc = roc_curve(np.concatenate([genuine, impostor]), np.arange(3005) < 5)
    assert roc.n_impostor == 3000
    assert roc.tar_at_far(1e-3) == 0.8  # threshold 2996.5: 3 false accepts, 4 of 5 genuine
    assert roc.tar_at_far(1e-4) == 0.2  # below 1/3000: zero false accepts allowed
    with pytest.raises(InvalidInputError, match=r"far must be in \(0, 1\]"):
        roc.tar_at_far(0)


def test_threshold_tie_rule_by_hand() -> None:
    # accept-none: 1 correct; accept {3}: 2; accept {3, 2}: 1; accept all: 2 -> two maximisers, highest wins
    s, y = np.array([3.0, 2.0, 1.0]), np.array([True, False, True])
    assert best_threshold(s, y) == 2.5
    assert best_threshold(np.array([1.0, 2.0]), np.array([True, True])) == -np.inf
    assert best_threshold(np.array([1.0, 2.0]), np.array([False, False])) == np.inf
    adjacent = np.nextafter(1.0, 2.0)  # no float strictly between: the upper score is used, still separating
    assert best_threshold(np.array([adjacent, 1.0]), np.array([True, False])) == adjacent


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kfold_matches_loop_reference(seed: int) -> None:
    s, y, f = tied_data(500, seed)
    got = kfold_accuracy(s, y, f)
    accs, ths = ref_kfold(s, y, f)
    np.testing.assert_array_equal(got.fold_ids, np.arange(5))
    np.testing.assert_allclose(got.thresholds, ths, rtol=1e-12)
    np.testing.assert_array_equal(got.accuracy, accs)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.booleans(), st.integers(0, 2)), min_size=2, max_size=40).filter(
        lambda rows: len({r[2] for r in rows}) >= 2
    )
)
def test_kfold_fast_equals_reference_on_arbitrary_ties(rows) -> None:
    s = np.array([r[0] for r in rows], dtype=np.float64) / 2
    y = np.array([r[1] for r in rows])
    f = np.array([r[2] for r in rows])
    got = kfold_accuracy(s, y, f)
    accs, ths = ref_kfold(s, y, f)
    np.testing.assert_array_equal(got.thresholds, ths)
    np.testing.assert_array_equal(got.accuracy, accs)


def test_verify_result_and_json() -> None:
    s, y, f = tied_data(600, 5)
    r = verify(s, y, f)
    accs, ths = ref_kfold(s, y, f)
    np.testing.assert_array_equal(r.fold_accuracy, accs)
    np.testing.assert_allclose(r.thresholds, ths, rtol=1e-12)
    assert r.mean == pytest.approx(accs.mean())
    assert r.std == pytest.approx(np.sqrt(np.mean((accs - accs.mean()) ** 2)))  # population std, ddof=0
    assert (r.n_genuine, r.n_impostor) == (int(y.sum()), int((~y).sum()))
    assert r.auc == pytest.approx(roc_auc_score(y, s))
    assert r.tar_at_far == {far: ref_tar_at_far(s, y, far) for far in (0.1, 0.01, 0.001)}
    d = json.loads(json.dumps(r.to_dict(roc=True), allow_nan=False))
    assert set(d["tar_at_far"]) == {"0.1", "0.01", "0.001"}
    assert d["roc"]["thresholds"][0] is None  # +inf (accept none)
    assert len(d["roc"]["fpr"]) == len(np.unique(s)) + 1
    assert d["fold_accuracy"] == accs.tolist() and d["threshold_rule"] == "max_accuracy"
    assert "roc" not in r.to_dict()


def test_verify_errors() -> None:
    s, y, f = tied_data(50, 0)
    with pytest.raises(InvalidInputError, match="at least 2 folds"):
        verify(s, y, np.zeros(50, dtype=int))
    with pytest.raises(InvalidInputError, match="genuine and impostor"):
        verify(s, np.ones(50, dtype=bool), f)
    with pytest.raises(InvalidInputError, match="NaN or inf"):
        verify(np.append(s[:-1], np.nan), y, f)
    with pytest.raises(InvalidInputError, match="bool"):
        verify(s, y.astype(int), f)
    with pytest.raises(InvalidInputError, match="folds must be an int array"):
        verify(s, y, f[:-1])
    with pytest.raises(NotFoundError, match="unknown threshold rule 'youden'"):
        verify(s, y, f, threshold_rule="youden")
