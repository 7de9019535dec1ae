"""What scikit-learn's estimator contract asks of every map, tested directly: float32 kept, a 1-D target, the
not-fitted error's classes, a non-numeric entry's TypeError, and the MLP's gradient and convergence warning."""

from __future__ import annotations

import pickle
import sys
import warnings

import numpy as np
import pytest

from facebridge.errors import ConvergenceWarning, InvalidInputError, NotFittedError
from facebridge.maps import METHODS, MLPMap, make_map
from facebridge.maps.mlp import mlp_loss

_SMALL = {"kernel": {"n_landmarks": 16}, "mlp": {"hidden": 8, "max_iter": 30}}
# The ensemble's kernel member takes every row as a landmark (members take no params of their own): that kernel's
# float32 rounding alone reaches 9e-5 on these 60 rows, so the ensemble is held to the kernel's own float32 error.
_FLOAT32_TOL = {"ensemble": {"rtol": 1e-3, "atol": 2e-4}}


def pairs(n: int = 60, dx: int = 5, dy: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    people = np.arange(n) % 12
    X = rng.normal(size=(n, dx)) + rng.normal(size=(12, dx))[people]
    Y = np.tanh(X @ rng.normal(size=(dx, dy)) / 2) + 0.1 * rng.normal(size=(n, dy))
    return X, Y, people


def fitted(method: str, X: np.ndarray, Y: np.ndarray, people: np.ndarray) -> object:
    est = make_map(method, **_SMALL.get(method, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, Y, groups=people) if method in ("affine", "affine_mean", "softmax") else est.fit(X, Y)


@pytest.mark.parametrize("method", METHODS)
def test_float32_rows_give_float32_output_from_a_float64_fit(method: str) -> None:
    X, Y, people = pairs()
    x32, y32 = X.astype(np.float32), Y.astype(np.float32)
    est = fitted(method, x32, y32, people)
    # Fits that need float64 solve in it (the saved arrays are float64); mapping float32 rows stays in float32.
    assert all(a.dtype == np.float64 for a in est.fitted_arrays().values())
    out = est.transform(x32)
    assert out.dtype == np.float32 and out.shape == (len(X), Y.shape[1])
    assert est.predict(x32).dtype == np.float32
    tol = _FLOAT32_TOL.get(method, {"rtol": 1e-4, "atol": 1e-5})
    np.testing.assert_allclose(out, est.transform(x32.astype(np.float64)), **tol)
    assert est.transform(X).dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
def test_a_1d_target_is_one_column(method: str) -> None:
    X, Y, people = pairs()
    one_d = fitted(method, X, Y[:, 0], people)
    column = fitted(method, X, Y[:, :1], people)
    assert one_d.transform(X).shape == (len(X), 1)
    np.testing.assert_array_equal(one_d.transform(X), column.transform(X))
    assert one_d.score(X, Y[:, 0]) == column.score(X, Y[:, :1])


def test_not_fitted_is_a_value_and_attribute_error_and_sklearns_class(monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.exceptions import NotFittedError as SklearnNotFitted

    X = np.ones((3, 4))
    for cls in (NotFittedError, ValueError, AttributeError, SklearnNotFitted):
        with pytest.raises(cls, match="not fitted yet"):
            make_map("mlp").transform(X)
    # Without scikit-learn loaded the plain class is raised, and a pickled one comes back as it.
    monkeypatch.delitem(sys.modules, "sklearn.exceptions")
    with pytest.raises(NotFittedError) as info:
        make_map("ridge").predict(X)
    assert type(info.value) is NotFittedError and isinstance(info.value, ValueError)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is NotFittedError and again.args == info.value.args


def test_a_non_numeric_entry_is_a_type_error_and_invalid_input() -> None:
    X, Y, _ = pairs()
    bad = X.astype(object)
    bad[0, 0] = {"not": "a number"}
    for cls in (TypeError, InvalidInputError):
        with pytest.raises(cls, match="X must be numeric"):
            make_map("ridge").fit(bad, Y)


def test_mlp_gradient_equals_finite_differences() -> None:
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(9, 3)), rng.normal(size=(9, 2))
    shapes = [(3, 2), (2,), (3, 4), (4,), (4, 2)]
    params = [rng.normal(size=s) for s in shapes]
    _, grads = mlp_loss(params, X, Y, alpha=0.3)
    step = 1e-6
    for p, g in zip(params, grads, strict=True):
        assert g.shape == p.shape
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + step
            up = mlp_loss(params, X, Y, alpha=0.3)[0]
            p[i] = saved - step
            down = mlp_loss(params, X, Y, alpha=0.3)[0]
            p[i] = saved
            numeric[i] = (up - down) / (2 * step)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_mlp_warns_when_lbfgs_stops_before_converging() -> None:
    X, Y, _ = pairs(n=40, dx=3, dy=2)
    with pytest.warns(ConvergenceWarning, match="MLPMap: L-BFGS stopped after 2 iterations without converging"):
        MLPMap(hidden=4, max_iter=2, normalize=False).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged = MLPMap(hidden=2, alpha=0.1, max_iter=5000, normalize=False).fit(X, Y)
    assert converged.n_iter_ < 5000
