"""The common estimator machinery: validate, accumulate statistics, solve, transform.

Subclasses implement two hooks: ``_check_params(dx, dy)`` (validated parameters as a dict, errors naming the
parameter) and ``_solve(stats, **params)`` (coefficients and intercept); one whose solve reads the target scatter
``Syy`` sets ``_needs_yy = True``, so that ``fit`` accumulates it and ``fit_stats`` refuses statistics without it.
Parameters live in ``__init__``'s signature, which drives ``get_params``/``set_params`` the way scikit-learn's
``clone`` expects, without importing scikit-learn at runtime.
"""

from __future__ import annotations

import inspect
import numbers
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from facebridge.errors import DataFormatError, InvalidInputError, MismatchError, NotFittedError
from facebridge.maps._checks import as_matrix, check_fitted_array, check_flag, l2_normalize_rows
from facebridge.maps.stats import SufficientStats

if TYPE_CHECKING:
    import onnx


class LinearMap:
    """A linear map ``y ≈ x @ coef_ + intercept_`` between embedding spaces, fitted from sufficient statistics.

    Attributes (after fitting)
    --------------------------
    coef_ : (dx, dy) float64.   intercept_ : (dy,) float64 (zeros for maps without a bias).
    n_features_in_ : dx.   n_samples_seen_ : rows the statistics were accumulated over.
    """

    method: ClassVar[str]
    _needs_yy: ClassVar[bool] = False
    normalize: bool

    @classmethod
    def _param_names(cls) -> list[str]:
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters and their current values (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; they are validated at the next fit."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise InvalidInputError(
                    f"invalid parameter {name!r} for {type(self).__name__}; valid: {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __sklearn_tags__(self) -> Any:
        # Only scikit-learn calls this hook, so importing it here keeps scikit-learn a dev-only dependency.
        from sklearn.utils import RegressorTags, Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True, multi_output=True, single_output=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
            regressor_tags=RegressorTags(),
        )

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        """Validated method parameters (besides ``normalize``) for ``dx``-d sources and ``dy``-d targets."""
        raise NotImplementedError

    def _solve(self, stats: SufficientStats, **params: Any) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (dx, dy) and ``intercept`` (dy,) from statistics, with parameters from ``_check_params``."""
        raise NotImplementedError

    def _checked(self, dx: int, dy: int) -> tuple[bool, dict[str, Any]]:
        return check_flag(self.normalize, "normalize", type(self).__name__), self._check_params(dx, dy)

    def fit(self, X: object, y: object) -> Self:
        """Fit on source rows ``X`` (n, dx) and their target rows ``y`` (n, dy), streamed in chunks.

        The target is named ``y`` as in scikit-learn, but it must be 2-D: one target embedding per row.
        """
        if y is None:
            raise InvalidInputError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; pass y (n, dy)"
            )
        X, y = as_matrix(X, "X", finite=False), as_matrix(y, "y", finite=False)
        normalize, params = self._checked(X.shape[1], y.shape[1])
        stats = SufficientStats.from_arrays(X, y, normalize=normalize, track_yy=self._needs_yy)
        return self._fit_checked(stats, params)

    def fit_stats(self, stats: SufficientStats) -> Self:
        """Fit from statistics accumulated elsewhere (a stream, or merged partial fits)."""
        normalize, params = self._checked(stats.dx, stats.dy)
        if stats.normalize != normalize:
            raise MismatchError(
                f"statistics were accumulated with normalize={stats.normalize}, "
                f"but this {type(self).__name__} has normalize={normalize}"
            )
        if self._needs_yy and not stats.track_yy:
            raise InvalidInputError(
                f"{type(self).__name__} needs the target scatter Y^T Y, but the statistics were accumulated "
                "without it; accumulate them with track_yy=True"
            )
        return self._fit_checked(stats, params)

    def _fit_checked(self, stats: SufficientStats, params: dict[str, Any]) -> Self:
        if stats.n < 1:
            raise InvalidInputError(f"{type(self).__name__} needs at least 1 sample, got 0")
        coef, intercept = self._solve(stats, **params)
        self._set_fitted(coef, intercept, stats.n)
        return self

    def _set_fitted(self, coef: np.ndarray, intercept: np.ndarray, n_samples: int) -> None:
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.n_features_in_ = self.coef_.shape[0]
        self.n_samples_seen_ = int(n_samples)

    def _require_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit or fit_stats first")

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        """Every array ``transform`` needs: ``coef`` (dx, dy) and ``intercept`` (dy,), float64."""
        self._require_fitted()
        return {"coef": self.coef_, "intercept": self.intercept_}

    def fitted_attrs(self) -> dict[str, Any]:
        """The scalars learnt in ``fit`` (JSON-able)."""
        self._require_fitted()
        return {"n_samples_seen_": self.n_samples_seen_}

    @classmethod
    def from_fitted(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> Self:
        """The fitted map that ``params``, ``fitted_arrays()`` and ``fitted_attrs()`` describe (e.g. from a file).

        Parameters are type-checked as ``fit`` checks them; arrays must be finite, bounded and of matching shapes.
        Raises DataFormatError naming the bad array or attribute (InvalidInputError for a bad parameter).
        """
        owner = cls.__name__
        shape = np.shape(arrays.get("coef"))
        if len(shape) != 2 or 0 in shape:
            raise DataFormatError(f"{owner}: fitted array 'coef' must be a non-empty (dx, dy) matrix, got {shape}")
        estimator = cls().set_params(**params)
        estimator._checked(*shape)
        coef = check_fitted_array(arrays, "coef", shape, owner)
        intercept = check_fitted_array(arrays, "intercept", shape[1:], owner)
        n = attrs.get("n_samples_seen_")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise DataFormatError(f"{owner}: fitted attribute 'n_samples_seen_' must be an integer >= 1, got {n!r}")
        estimator._set_fitted(coef, intercept, int(n))
        return estimator

    def onnx_graph(self) -> onnx.ModelProto:
        """This map as an ONNX graph: ``x`` float32 (N, dx) -> ``y`` float32 (N, dy), equal to ``transform``."""
        from facebridge.maps._onnx import GraphBuilder

        self._require_fitted()
        graph = GraphBuilder(f"facebridge_{self.method}")
        graph.affine(graph.l2_normalize("x") if self.normalize else "x", self.coef_, self.intercept_, "map")
        return graph.model(*self.coef_.shape)

    def transform(self, X: object) -> np.ndarray:
        """Map source rows ``X`` (n, dx) to (n, dy), L2-normalising rows first when ``normalize``.

        float32 input gives float32 output (computed in float32); anything else gives float64.
        """
        self._require_fitted()
        X = as_matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise InvalidInputError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        if self.normalize:
            X = l2_normalize_rows(X)
        return X @ self.coef_.astype(X.dtype, copy=False) + self.intercept_.astype(X.dtype, copy=False)

    def fit_transform(self, X: object, y: object) -> np.ndarray:
        """``fit(X, y)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X)

    def predict(self, X: object) -> np.ndarray:
        """Same as ``transform``: the regressor name scikit-learn's tools call."""
        return self.transform(X)

    def score(self, X: object, y: object) -> float:
        """R^2 of ``transform(X)`` against ``y`` (n, dy) (normalised like the fit), averaged over the dy outputs.

        An output with zero variance scores 1 when predicted exactly and 0 otherwise, as in scikit-learn.
        """
        pred = self.transform(X)
        y = as_matrix(y, "y")
        if y.shape != pred.shape:
            raise InvalidInputError(f"y has shape {y.shape}, predictions have {pred.shape}")
        if self.normalize:
            y = l2_normalize_rows(y)
        residual = ((y - pred) ** 2).sum(axis=0, dtype=np.float64)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0, dtype=np.float64)
        r2 = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), (residual == 0).astype(float))
        return float(r2.mean())
