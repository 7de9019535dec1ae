"""What every map family shares: scikit-learn-style parameters and the saved form (arrays + JSON-able attributes).

Parameters live in ``__init__``'s signature, which drives ``get_params``/``set_params`` the way scikit-learn's
``clone`` expects, without importing scikit-learn at runtime. A family lists the arrays ``transform`` needs in
``_fitted_arrays`` (saved as ``name``, held as the attribute ``name_``) and the scalars learnt in ``fit`` in
``_fitted_attrs``; ``from_fitted`` rebuilds a fitted estimator from them, refusing a missing, misshapen or
non-finite array with a DataFormatError naming it.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar, Self

import numpy as np

from facebridge.errors import DataFormatError, InvalidInputError, NotFittedError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.vectors import l2_normalize_rows


class MapEstimator:
    """Base of every fitted map and view: parameters, fitted state, the saved form."""

    method: ClassVar[str]
    #: Saved arrays (attribute ``name + "_"``) and saved scalar attributes (held under their own name).
    _fitted_arrays: ClassVar[tuple[str, ...]] = ()
    _fitted_attrs: ClassVar[tuple[str, ...]] = ("n_features_in_", "n_samples_seen_")
    normalize: bool
    #: Set by ``fit``; their absence is what "not fitted" means.
    n_features_in_: int
    n_samples_seen_: int

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

    def _require_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit or fit_stats first")

    def _input(self, X: object) -> np.ndarray:
        """``X`` (n, n_features_in_) checked for ``transform``: float32 stays float32, the rest becomes float64."""
        self._require_fitted()
        X = as_matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise InvalidInputError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X

    # --- the saved form -------------------------------------------------------------------------------------------

    def fitted_arrays(self) -> dict[str, np.ndarray]:
        """Every array ``transform`` needs, by name (float64)."""
        self._require_fitted()
        return {name: np.asarray(getattr(self, name + "_")) for name in self._fitted_arrays}

    def fitted_attrs(self) -> dict[str, Any]:
        """The JSON-able scalars (and short lists) learnt in ``fit``."""
        self._require_fitted()
        out: dict[str, Any] = {}
        for name in self._fitted_attrs:
            value = getattr(self, name)
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out

    def _expected_shapes(self, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
        """The shape each saved array must have, given the arrays (and ``n_features_in_``)."""
        raise NotImplementedError

    @classmethod
    def from_fitted(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> Self:
        """A fitted estimator from its saved form; DataFormatError naming a missing, misshapen or non-finite array."""
        est = cls().set_params(**params)
        missing = [n for n in (*est._fitted_arrays, *est._fitted_attrs) if n not in arrays and n not in attrs]
        if missing:
            raise DataFormatError(f"{cls.__name__}: saved map lacks {', '.join(missing)}")
        n_in = attrs["n_features_in_"]
        if isinstance(n_in, bool) or not isinstance(n_in, int) or n_in < 1:
            raise DataFormatError(f"{cls.__name__}: n_features_in_ must be a positive integer, got {n_in!r}")
        est.n_features_in_ = n_in
        loaded = {}
        for name in est._fitted_arrays:
            arr = np.asarray(arrays[name])
            if arr.dtype.kind not in "fiu":
                raise DataFormatError(f"{cls.__name__}: array {name} must be numeric, got dtype {arr.dtype}")
            loaded[name] = arr.astype(np.float64)
        for name, shape in est._expected_shapes(loaded).items():
            if loaded[name].shape != shape:
                raise DataFormatError(f"{cls.__name__}: array {name} has shape {loaded[name].shape}, expected {shape}")
            if not np.isfinite(loaded[name]).all():
                raise DataFormatError(f"{cls.__name__}: array {name} contains NaN or inf")
        for name, arr in loaded.items():
            setattr(est, name + "_", arr)
        for name in est._fitted_attrs:
            value = attrs[name]
            if isinstance(value, float) and not math.isfinite(value):
                raise DataFormatError(f"{cls.__name__}: attribute {name} is not finite ({value!r})")
            setattr(est, name, np.asarray(value, dtype=np.float64) if isinstance(value, list) else value)
        try:
            est._check_saved_params()
        except InvalidInputError as exc:  # a hand-edited header: the file is at fault, not the caller
            raise DataFormatError(f"saved parameters: {exc}") from None
        return est

    def _check_saved_params(self) -> None:
        """Check parameters read from a file with the family's own checks (``fit`` runs them before fitting)."""
        raise NotImplementedError

    def fit(self, X: object, y: object) -> Self:
        raise NotImplementedError

    def transform(self, X: object) -> np.ndarray:
        """Mapped rows ``X`` (n, n_features_in_)."""
        raise NotImplementedError

    def fit_transform(self, X: object, y: object) -> np.ndarray:
        """``fit(X, y)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X)

    def predict(self, X: object) -> np.ndarray:
        """Same as ``transform``: the regressor name scikit-learn's tools call."""
        return self.transform(X)

    def score(self, X: object, y: object) -> float:
        """R^2 of ``transform(X)`` against ``y`` (n, dy) (normalised like the fit; 1-D: one column), averaged over the
        dy outputs.

        An output with zero variance scores 1 when predicted exactly and 0 otherwise, as in scikit-learn.
        """
        pred = self.transform(X)
        y = as_target(y, type(self).__name__)
        if y.shape != pred.shape:
            raise InvalidInputError(f"y has shape {y.shape}, predictions have {pred.shape}")
        if self.normalize:
            y = l2_normalize_rows(y)
        residual = ((y - pred) ** 2).sum(axis=0, dtype=np.float64)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0, dtype=np.float64)
        r2 = np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), (residual == 0).astype(float))
        return float(r2.mean())
