"""A small nonlinear map: an affine part plus one tanh hidden layer, trained by L-BFGS on the squared error.

``y ≈ x @ coef + intercept + tanh(x @ hidden_weights + hidden_bias) @ output_weights``. The affine part starts at
the ridge solution and the output weights at zero, so training starts from the affine map and only adds what the
hidden layer explains. scipy's L-BFGS does the training (no extra dependency); the saved form is five arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy import optimize

from facebridge.checks import check_alpha, check_flag, check_int, check_seed
from facebridge.errors import ConvergenceWarning, InvalidInputError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps._estimator import MapEstimator
from facebridge.maps._onnx import Graph
from facebridge.maps._solve import eigen_solve, intercept_for
from facebridge.maps.base import check_source_varies
from facebridge.maps.stats import SufficientStats
from facebridge.vectors import l2_normalize_rows

#: Upper bounds of ``hidden`` and ``max_iter``: 16x and 500x the defaults. At 4096 hidden units a 512 -> 512 map has
#: 4.7 M weights (L-BFGS keeps ~20 such vectors) and LFW's 13,233 rows need 430 MB per activation matrix; 100,000,000
#: units asked for 47.7 GiB.
MAX_HIDDEN = 4096
MAX_ITER = 100_000


def mlp_loss(
    params: Sequence[np.ndarray], X: np.ndarray, Y: np.ndarray, alpha: float
) -> tuple[float, list[np.ndarray]]:
    """The training objective and its analytic gradient: ``0.5 |f(X) - Y|^2 / n + 0.5 alpha (|a|^2 + |w1|^2 +
    |w2|^2)`` for ``params`` = (coef a, intercept b, hidden weights w1, hidden bias b1, output weights w2), with
    ``f(x) = x a + b + tanh(x w1 + b1) w2``; the gradient lists one array per parameter, in their shapes."""
    a, b, w1, b1, w2 = params
    n = len(X)
    h = np.tanh(X @ w1 + b1)
    r = X @ a + b + h @ w2 - Y
    dh = (r @ w2.T) * (1 - h * h)
    value = 0.5 * (r * r).sum() / n + 0.5 * alpha * sum((m * m).sum() for m in (a, w1, w2))
    grads = [X.T @ r / n + alpha * a, r.sum(axis=0) / n, X.T @ dh / n + alpha * w1, dh.sum(axis=0) / n]
    grads.append(h.T @ r / n + alpha * w2)
    return float(value), grads


class MLPMap(MapEstimator):
    """Affine map plus a one-hidden-layer residual (see the module), fitted by L-BFGS.

    Parameters
    ----------
    hidden : hidden units, in [1, MAX_HIDDEN].
    alpha : L2 penalty >= 0 on all weights (not biases), relative to the mean squared error per row.
    max_iter : L-BFGS iterations, in [1, MAX_ITER].
    random_state : seed of the hidden weights' initialisation (the fit is deterministic given it).
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).
    """

    method = "mlp"
    _fitted_arrays = ("coef", "intercept", "hidden_weights", "hidden_bias", "output_weights")
    _fitted_attrs = (*MapEstimator._fitted_attrs, "n_iter_", "loss_")

    def __init__(
        self,
        *,
        hidden: int = 256,
        alpha: float = 1e-4,
        max_iter: int = 200,
        random_state: int = 0,
        normalize: bool = True,
    ) -> None:
        self.hidden = hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state
        self.normalize = normalize

    def _checked(self) -> tuple[int, float, int, int, bool]:
        owner = type(self).__name__
        return (
            check_int(self.hidden, "hidden", owner, 1, MAX_HIDDEN),
            check_alpha(self.alpha, owner),
            check_int(self.max_iter, "max_iter", owner, 1, MAX_ITER),
            check_seed(self.random_state, "random_state", owner),
            check_flag(self.normalize, "normalize", owner),
        )

    def _check_saved_params(self) -> None:
        self._checked()

    def fit(self, X: object, y: object) -> Self:
        """Fit on rows ``X`` (n, dx) and their targets ``y`` (n, dy)."""
        hidden, alpha, max_iter, seed, normalize = self._checked()
        X = as_matrix(X, "X").astype(np.float64, copy=False)
        Y = as_target(y, type(self).__name__).astype(np.float64, copy=False)
        if len(X) != len(Y):
            raise InvalidInputError(f"X has {len(X)} rows but y has {len(Y)}")
        if normalize:
            X, Y = l2_normalize_rows(X), l2_normalize_rows(Y)
        stats = SufficientStats.from_arrays(X, Y)
        check_source_varies(stats, type(self).__name__)
        n, dx = X.shape
        dy = Y.shape[1]
        w, v = stats.source_eigh(centered=True)
        coef = eigen_solve(w, v, stats.cross_scatter(centered=True), alpha * n)
        rng = np.random.default_rng(seed)
        std = np.sqrt(max(float(w.sum()) / n, 1e-12))  # the rows' spread about their mean, so tanh is not saturated
        start = [coef, intercept_for(stats, coef, True), rng.normal(0, 1 / (std * np.sqrt(dx)), (dx, hidden))]
        start += [-stats.mean_x @ start[2], np.zeros((hidden, dy))]
        shapes = [a.shape for a in start]
        sizes = np.cumsum([0] + [a.size for a in start])

        def unpack(theta: np.ndarray) -> list[np.ndarray]:
            return [theta[sizes[i] : sizes[i + 1]].reshape(s) for i, s in enumerate(shapes)]

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            value, grads = mlp_loss(unpack(theta), X, Y, alpha)
            return value, np.concatenate([g.ravel() for g in grads])

        theta0 = np.concatenate([a.ravel() for a in start])
        res = optimize.minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
        if not res.success:
            warnings.warn(
                f"{type(self).__name__}: L-BFGS stopped after {res.nit} iterations without converging ({res.message}); "
                "the map is usable but not optimal: raise max_iter to train it further",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_, self.intercept_, self.hidden_weights_, self.hidden_bias_, self.output_weights_ = unpack(res.x)
        self.n_iter_, self.loss_ = int(res.nit), float(res.fun)
        self.n_features_in_, self.n_samples_seen_ = dx, n
        return self

    def _expected_shapes(self, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
        dx, dy, h = self.n_features_in_, arrays["intercept"].shape[0], arrays["hidden_bias"].shape[0]
        return {
            "coef": (dx, dy),
            "intercept": (dy,),
            "hidden_weights": (dx, h),
            "hidden_bias": (h,),
            "output_weights": (h, dy),
        }

    def transform(self, X: object) -> np.ndarray:
        """Map rows ``X`` (n, dx) to (n, dy): float32 input gives float32 output (computed in float32, as the linear
        maps do), anything else float64."""
        X = self._input(X)
        if self.normalize:
            X = l2_normalize_rows(X)
        a, b, w1, b1, w2 = (getattr(self, name + "_").astype(X.dtype, copy=False) for name in self._fitted_arrays)
        return X @ a + b + np.tanh(X @ w1 + b1) @ w2

    def onnx_graph(self) -> Any:
        """ONNX graph of ``transform``."""
        self._require_fitted()
        g = Graph()
        x = g.unit_rows("x") if self.normalize else "x"
        hidden = g.op("Tanh", g.affine(x, self.hidden_weights_, self.hidden_bias_))
        y = g.op("Add", g.affine(x, self.coef_, self.intercept_), g.affine(hidden, self.output_weights_))
        return g.model(y, self.n_features_in_, len(self.intercept_), "facebridge_mlp")
