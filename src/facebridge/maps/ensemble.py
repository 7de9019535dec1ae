"""An ensemble of map families: the weighted average of member maps' outputs.

Each member (a registered family with its default parameters, ``normalize`` and ``random_state`` shared) is fitted
on the same rows; ``transform(x) = sum_m w_m f_m(x)``. ``weighting="mean"``: ``w_m = 1 / M``. ``weighting="cv"``:
the weights of lowest squared error of the members' out-of-fold predictions (stacking), non-negative and summing
to one, from an inner K-fold split of the training rows only (by person where groups are given), then every member
refitted on all rows. Members that err differently (the kernel map's nonlinear corrections against the affine ridge's
smoother fit, or the person-mean ridge's less noisy targets) can cancel part of each other's error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from scipy import optimize

from facebridge.checks import check_flag, check_int, check_seed
from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps._estimator import MapEstimator
from facebridge.maps.ridge_cv import group_folds
from facebridge.vectors import l2_normalize_rows

WEIGHTINGS = ("mean", "cv")


def simplex_weights(predictions: Sequence[np.ndarray], y: np.ndarray) -> np.ndarray:
    """(M,) weights ``w >= 0``, ``sum(w) = 1`` minimising ``|sum_m w_m P_m - y|^2`` over all entries, for
    predictions ``P_m`` and targets ``y`` of one shape: non-negative least squares on ``w_m = v_m`` with the sum
    enforced by one heavily weighted extra equation, then rescaled to sum exactly to one."""
    cols = np.stack([np.asarray(p, dtype=np.float64).ravel() for p in predictions], axis=1)
    target = np.asarray(y, dtype=np.float64).ravel()
    heavy = 1e4 * max(1.0, float(np.sqrt((cols**2).sum(axis=0).max())))
    A = np.vstack([cols, np.full((1, cols.shape[1]), heavy)])
    w, _ = optimize.nnls(A, np.append(target, heavy))
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))


class EnsembleMap(MapEstimator):
    """The weighted average of member maps (see the module).

    Parameters
    ----------
    members : registered method names, two or more (default: the kernel map and the affine ridge, alpha by CV).
    weighting : ``"mean"`` (equal weights) or ``"cv"`` (stacking weights from inner cross-validation).
    n_splits : inner splits for ``"cv"`` (>= 2), by person where ``fit`` gets groups.
    random_state : seed of the members that draw (kernel landmarks, MLP initialisation).
    normalize : L2-normalise X and Y rows (every member does).

    Attributes
    ----------
    members_ : the fitted member maps.   weights_ : (M,) their weights.
    """

    method = "ensemble"
    _fitted_attrs = (*MapEstimator._fitted_attrs, "weights_")

    def __init__(
        self,
        *,
        members: Sequence[str] = ("kernel", "affine_cv"),
        weighting: str = "mean",
        n_splits: int = 3,
        random_state: int = 0,
        normalize: bool = True,
    ) -> None:
        self.members = members
        self.weighting = weighting
        self.n_splits = n_splits
        self.random_state = random_state
        self.normalize = normalize

    def _checked(self) -> tuple[tuple[str, ...], str, int, int, bool]:
        from facebridge.maps.registry import map_class

        owner = type(self).__name__
        members = self.members
        if isinstance(members, str) or not isinstance(members, Sequence) or len(members) < 2:
            raise InvalidInputError(f"{owner}: parameter members must be a list of 2 or more methods, got {members!r}")
        names = tuple(map_class(str(m)).method for m in members)  # unknown: NotFoundError naming it
        if "ensemble" in names:
            raise InvalidInputError(f"{owner}: parameter members cannot hold another ensemble")
        if self.weighting not in WEIGHTINGS:
            raise InvalidInputError(f"{owner}: parameter weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        k = check_int(self.n_splits, "n_splits", owner, 2)
        seed = check_seed(self.random_state, "random_state", owner)
        return names, str(self.weighting), k, seed, check_flag(self.normalize, "normalize", owner)

    def _check_saved_params(self) -> None:
        self._checked()

    def _make_members(self) -> list[MapEstimator]:
        from facebridge.maps.registry import make_map

        names, _, _, seed, normalize = self._checked()
        out = []
        for name in names:
            member = make_map(name, normalize=normalize)
            if "random_state" in member.get_params():
                member.set_params(random_state=seed)
            out.append(member)
        return out

    def fit(self, X: object, y: object, groups: object = None) -> Self:
        """Fit every member on rows ``X`` (n, dx) and targets ``y`` (n, dy); ``groups`` (n,): the person of each
        row, passed to the members that take it and used for the inner split of ``"cv"``."""
        from facebridge.maps.registry import fit_rows

        _, weighting, k, _, normalize = self._checked()
        X, Y = as_matrix(X, "X"), as_target(y, type(self).__name__)
        if len(X) != len(Y):
            raise InvalidInputError(f"X has {len(X)} rows but y has {len(Y)}")
        labels = None if groups is None else np.asarray(groups)
        if labels is not None and labels.shape != (len(X),):
            raise InvalidInputError(f"groups must have one label per row, shape ({len(X)},), got {labels.shape}")
        members = self._make_members()
        if weighting == "cv":
            self.weights_ = self._stacking_weights(X, Y, labels, k, normalize)
        else:
            self.weights_ = np.full(len(members), 1.0 / len(members))
        self.members_ = [fit_rows(m, X, Y, labels) for m in members]
        self.n_features_in_, self.n_samples_seen_ = X.shape[1], len(X)
        return self

    def _stacking_weights(self, X: np.ndarray, Y: np.ndarray, labels: Any, k: int, normalize: bool) -> np.ndarray:
        """Weights from out-of-fold predictions: each inner split predicted by members fitted on the others."""
        from facebridge.maps.registry import fit_rows

        if labels is None:
            if len(X) < k:
                raise InvalidInputError(f"{type(self).__name__}: n_splits={k} needs at least {k} rows")
            fold = np.arange(len(X)) % k
        else:
            _, inverse = np.unique(labels, return_inverse=True)
            if inverse.max(initial=-1) + 1 < k:
                raise InvalidInputError(f"{type(self).__name__}: n_splits={k} needs at least {k} groups")
            fold = group_folds(np.bincount(inverse), k)[inverse]
        preds = [np.zeros(Y.shape) for _ in self._make_members()]
        for f in range(k):
            train, val = fold != f, fold == f
            sub = None if labels is None else labels[train]
            for p, m in zip(preds, self._make_members(), strict=True):
                p[val] = fit_rows(m, X[train], Y[train], sub).transform(X[val])
        return simplex_weights(preds, l2_normalize_rows(Y) if normalize else Y)

    def transform(self, X: object) -> np.ndarray:
        """Mapped rows ``X`` (n, dx): the weighted sum of the members' outputs (float32 in, float32 out)."""
        X = self._input(X)
        outs = np.stack([np.asarray(m.transform(X), dtype=np.float64) for m in self.members_])
        return np.tensordot(self.weights_, outs, axes=1).astype(X.dtype, copy=False)

    # --- the saved form: each member's arrays under ``m{i}.``, its params and attrs in this map's attrs -------------

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        self._require_fitted()
        return {f"m{i}.{k}": v for i, m in enumerate(self.members_) for k, v in m.fitted_arrays().items()}

    def fitted_attrs(self) -> dict[str, Any]:
        self._require_fitted()
        return {
            "n_features_in_": self.n_features_in_,
            "n_samples_seen_": self.n_samples_seen_,
            "weights_": [float(w) for w in self.weights_],
            "member_params_": [m.get_params() for m in self.members_],
            "member_attrs_": [m.fitted_attrs() for m in self.members_],
        }

    @classmethod
    def from_fitted(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> Self:
        """A fitted ensemble from its saved form: each member rebuilt by its family's ``from_fitted``."""
        from facebridge.maps.io import _params

        est = cls().set_params(**params)
        try:
            names = est._checked()[0]
        except InvalidInputError as exc:
            raise DataFormatError(f"saved parameters: {exc}") from None
        weights = np.asarray(attrs.get("weights_"), dtype=np.float64)
        member_params, member_attrs = attrs.get("member_params_"), attrs.get("member_attrs_")
        if weights.shape != (len(names),) or not np.isfinite(weights).all():
            raise DataFormatError(f"{cls.__name__}: weights_ must be {len(names)} finite numbers")
        if not isinstance(member_params, list) or not isinstance(member_attrs, list):
            raise DataFormatError(f"{cls.__name__}: saved map lacks member_params_ or member_attrs_")
        if len(member_params) != len(names) or len(member_attrs) != len(names):
            raise DataFormatError(f"{cls.__name__}: {len(names)} members but saved params/attrs for another count")
        from facebridge.maps.registry import map_class

        members = []
        for i, name in enumerate(names):
            member_cls = map_class(name)
            prefix = f"m{i}."
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            saved = _params(member_cls, {"params": member_params[i]})
            members.append(member_cls.from_fitted(saved, own, member_attrs[i]))
        if any(m.n_features_in_ != attrs.get("n_features_in_") for m in members):
            raise DataFormatError(f"{cls.__name__}: members disagree on the input width")
        est.members_, est.weights_ = members, weights
        est.n_features_in_, est.n_samples_seen_ = members[0].n_features_in_, attrs.get("n_samples_seen_", 0)
        return est

    def onnx_graph(self) -> Any:
        """ONNX graph of ``transform``: each member's graph (names prefixed ``m{i}.``) fed ``x``, outputs weighted
        and summed."""
        self._require_fitted()
        from onnx import compose, helper

        from facebridge.maps._onnx import Graph

        g = Graph()
        outputs = []
        for i, (w, member) in enumerate(zip(self.weights_, self.members_, strict=True)):
            sub = compose.add_prefix(member.onnx_graph(), f"m{i}.").graph  # type: ignore[attr-defined]
            g.nodes.append(helper.make_node("Identity", ["x"], [f"m{i}.x"]))
            g.nodes.extend(sub.node)
            g.constants.extend(sub.initializer)
            outputs.append(g.op("Mul", f"m{i}.y", g.const(w, "weight")))
        y = g.op("Sum", *outputs)
        dy = int(np.asarray(self.members_[0].transform(np.zeros((1, self.n_features_in_)))).shape[1])
        return g.model(y, self.n_features_in_, dy, "facebridge_ensemble")

