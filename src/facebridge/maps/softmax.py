"""An affine map trained for identification: softmax over people of the mapped row's cosine to each person's target.

Search needs a mapped template nearer its own person's target templates than anyone else's; squared error only asks
it to be near one photo's embedding. With ``u_i = z_i / |z_i|``, ``z_i = x_i W + b`` and ``c_j`` the unit mean
target of person ``j`` (a prototype), the loss is the cross-entropy of ``softmax_j(scale * u_i . c_j)`` at row
``i``'s own person, averaged over rows, plus ``alpha / 2 |W - W0|^2``: ``W0``, the start, is the person-mean
affine ridge (``PersonMeanRidgeCV``), so the penalty keeps the fit near the regression it refines. scipy's L-BFGS
minimises it with the analytic gradient (:func:`softmax_loss`). The classes are people with two or more rows (a
person seen once has no other photo to be nearer to), at most ``max_people`` of them drawn with ``random_state``,
which bounds the fit's cost (rows x people x target dims per iteration). Without groups each row is its own person.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy import optimize

from facebridge.checks import check_alpha, check_flag, check_int, check_real
from facebridge.errors import InvalidInputError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps.base import LinearMap
from facebridge.maps.person_mean import PersonMeanRidgeCV, person_means
from facebridge.vectors import l2_normalize_rows


def softmax_loss(
    theta: np.ndarray,
    X: np.ndarray,
    prototypes: np.ndarray,
    label: np.ndarray,
    scale: float,
    alpha: float,
    start: np.ndarray,
) -> tuple[float, np.ndarray]:
    """The loss of the module at ``theta`` (``W`` (dx, dy) then ``b`` (dy,), flattened) and its gradient.

    ``X`` (n, dx) rows, ``prototypes`` (P, dy) unit rows, ``label`` (n,) each row's prototype, ``start`` (dx, dy)
    the ``W0`` of the penalty."""
    dx, dy = start.shape
    w, b = theta[: dx * dy].reshape(dx, dy), theta[dx * dy :]
    z = X @ w + b
    norm = np.sqrt((z * z).sum(axis=1, keepdims=True))
    u = z / norm
    logits = scale * (u @ prototypes.T)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(X))
    n = len(X)
    diff = w - start
    value = -float(np.log(p[rows, label]).mean()) + 0.5 * alpha * float((diff * diff).sum())
    p[rows, label] -= 1.0
    du = scale * (p @ prototypes) / n
    dz = (du - u * (du * u).sum(axis=1, keepdims=True)) / norm
    grad_w = X.T @ dz + alpha * diff
    return value, np.concatenate([grad_w.ravel(), dz.sum(axis=0)])


class SoftmaxMap(LinearMap):
    """``y ≈ x @ coef_ + intercept_`` trained for identification (see the module).

    Parameters
    ----------
    scale : inverse temperature of the softmax over cosines, > 0.
    alpha : penalty >= 0 on the distance of ``coef_`` from the person-mean ridge it starts at.
    max_people : classes drawn (people with two or more rows), >= 2.
    max_iter : L-BFGS iterations, >= 1.
    random_state : seed of the draw of people.
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).

    Attributes
    ----------
    coef_, intercept_ : the map.
    start_alpha_ : the starting person-mean ridge's penalty.
    n_people_ : classes used.
    n_iter_, loss_ : L-BFGS iterations run and the final loss.
    """

    method = "softmax"
    _fitted_attrs = (*LinearMap._fitted_attrs, "start_alpha_", "n_people_", "n_iter_", "loss_")

    def __init__(
        self,
        *,
        scale: float = 16.0,
        alpha: float = 1e-2,
        max_people: int = 1024,
        max_iter: int = 40,
        random_state: int = 0,
        normalize: bool = True,
    ) -> None:
        self.scale = scale
        self.alpha = alpha
        self.max_people = max_people
        self.max_iter = max_iter
        self.random_state = random_state
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        owner = type(self).__name__
        scale = check_real(self.scale, "scale", owner, strict=True)
        for name, low in (("max_people", 2), ("max_iter", 1), ("random_state", 0)):
            check_int(getattr(self, name), name, owner, low)
        return {"scale": scale, "alpha": check_alpha(self.alpha, owner)}

    def fit_stats(self, stats: object) -> Self:
        raise InvalidInputError(f"{type(self).__name__} is fitted from rows (it needs each row), not from statistics")

    def fit(self, X: object, y: object, groups: object = None) -> Self:
        """Fit on rows ``X`` (n, dx), targets ``y`` (n, dy) and ``groups`` (n,), the person of each row (None: each
        row its own person)."""
        X, Y = as_matrix(X, "X").astype(np.float64), as_target(y, type(self).__name__).astype(np.float64)
        normalize = check_flag(self.normalize, "normalize", type(self).__name__)
        params = self._check_params(X.shape[1], Y.shape[1])
        if len(X) != len(Y):
            raise InvalidInputError(f"X has {len(X)} rows but y has {len(Y)}")
        labels = np.arange(len(X)) if groups is None else np.asarray(groups)
        if labels.shape != (len(X),):
            raise InvalidInputError(f"groups must have one label per row, shape ({len(X)},), got {labels.shape}")
        start = PersonMeanRidgeCV(normalize=normalize).fit(X, Y, groups)
        if normalize:
            X = l2_normalize_rows(X)
        rows, label, prototypes = self._classes(labels, person_means(Y, labels, normalize), normalize)
        theta0 = np.concatenate([start.coef_.ravel(), start.intercept_])
        args = (X[rows], prototypes, label, params["scale"], params["alpha"], start.coef_)
        res = optimize.minimize(
            softmax_loss, theta0, args=args, jac=True, method="L-BFGS-B", options={"maxiter": int(self.max_iter)}
        )
        dx, dy = start.coef_.shape
        self._set_fitted(res.x[: dx * dy].reshape(dx, dy), res.x[dx * dy :], len(X))
        self.start_alpha_, self.n_people_ = float(start.alpha_), len(prototypes)
        self.n_iter_, self.loss_ = max(int(res.nit), 1), float(res.fun)  # a start already optimal counts as one
        return self

    def _classes(
        self, labels: np.ndarray, means: np.ndarray, normalize: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows trained on, their class index and the (P, dy) unit prototypes: people with two or more rows (all
        people when none has two), at most ``max_people`` of them drawn with ``random_state``."""
        _, first, inverse, counts = np.unique(labels, return_index=True, return_inverse=True, return_counts=True)
        people = np.flatnonzero(counts >= 2)
        if len(people) < 2:
            people = np.arange(len(counts))
        if len(people) > self.max_people:
            rng = np.random.default_rng(int(self.random_state))
            people = np.sort(rng.choice(people, size=int(self.max_people), replace=False))
        index = np.full(len(counts), -1)
        index[people] = np.arange(len(people))
        rows = np.flatnonzero(index[inverse] >= 0)
        prototypes = means[first[people]]
        return rows, index[inverse[rows]], l2_normalize_rows(prototypes)
