"""The common estimator machinery: validate, accumulate statistics, solve, transform.

Subclasses implement two hooks: ``_check_params(dx, dy)`` (validated parameters as a dict, errors naming the
parameter) and ``_solve(stats, **params)`` (coefficients and intercept); one whose solve reads the target scatter
``Syy`` sets ``_needs_yy = True``, so that ``fit`` accumulates it and ``fit_stats`` refuses statistics without it.
Parameters and the saved form come from ``MapEstimator``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from facebridge.checks import check_flag
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps._estimator import MapEstimator
from facebridge.maps._onnx import Graph
from facebridge.maps.stats import SufficientStats
from facebridge.vectors import l2_normalize_rows


def check_source_varies(stats: SufficientStats, owner: str, centered: bool = True) -> None:
    """InvalidInputError when the source rows are all zero, or all equal for a map with a bias (``centered``): any
    such fit is an all-zero (constant) map."""
    spread = float(np.trace(stats.scatter(centered=centered).xx))
    if spread <= stats.dx * np.finfo(np.float64).eps * float(np.trace(stats.xtx)):
        what = "all zero" if not np.trace(stats.xtx) else "all equal"
        raise InvalidInputError(
            f"{owner} cannot fit: the source vectors X are {what} (n_samples={stats.n}, n_features={stats.dx}); "
            "a map needs varying rows"
        )


class LinearMap(MapEstimator):
    """A linear map ``y ≈ x @ coef_ + intercept_`` between embedding spaces, fitted from sufficient statistics.

    Attributes (after fitting)
    --------------------------
    coef_ : (dx, dy) float64.   intercept_ : (dy,) float64 (zeros for maps without a bias).
    n_features_in_ : dx.   n_samples_seen_ : rows the statistics were accumulated over.
    """

    _needs_yy: ClassVar[bool] = False
    #: Whether the map has a bias when it has no ``fit_intercept`` parameter.
    _has_intercept: ClassVar[bool] = True
    _fitted_arrays = ("coef", "intercept")
    normalize: bool

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        """Validated method parameters (besides ``normalize``) for ``dx``-d sources and ``dy``-d targets."""
        raise NotImplementedError

    def _solve(self, stats: SufficientStats, *args: Any, **params: Any) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (dx, dy) and ``intercept`` (dy,) from statistics, with parameters from ``_check_params``.

        A family declares the parameters it takes by name; ``*args, **params`` here lets each override do so."""
        raise NotImplementedError

    def _checked(self, dx: int, dy: int) -> tuple[bool, dict[str, Any]]:
        return check_flag(self.normalize, "normalize", type(self).__name__), self._check_params(dx, dy)

    def _check_saved_params(self) -> None:
        self._checked(*self.coef_.shape)

    def stats_options(self, dx: int, dy: int) -> dict[str, bool]:
        """The ``SufficientStats`` options (``normalize``, ``track_yy``) that ``fit_stats`` needs for ``dx``-d sources
        and ``dy``-d targets, with the parameters checked: statistics accumulated elsewhere are built with them."""
        return {"normalize": self._checked(dx, dy)[0], "track_yy": self._needs_yy}

    def fit(self, X: object, y: object) -> Self:
        """Fit on source rows ``X`` (n, dx) and their target rows ``y`` (n, dy) (a 1-D ``y`` is one target column),
        streamed in chunks."""
        X, y = as_matrix(X, "X", finite=False), as_target(y, type(self).__name__, finite=False)
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
        check_source_varies(stats, type(self).__name__, params.get("fit_intercept", self._has_intercept))
        coef, intercept = self._solve(stats, **params)
        self._set_fitted(coef, intercept, stats.n)
        return self

    def _set_fitted(self, coef: np.ndarray, intercept: np.ndarray, n_samples: int) -> None:
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.n_features_in_ = self.coef_.shape[0]
        self.n_samples_seen_ = int(n_samples)

    def _expected_shapes(self, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
        dy = arrays["intercept"].shape[0] if arrays["intercept"].ndim == 1 else -1
        return {"coef": (self.n_features_in_, dy), "intercept": (dy,)}

    @classmethod
    def from_fitted(cls, params: dict[str, Any], arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> Self:
        """``MapEstimator.from_fitted``, with the parameters type-checked as ``fit`` checks them (a file's
        ``"normalize": "false"`` is refused, not read as true)."""
        est = super().from_fitted(params, arrays, attrs)
        est._checked(*est.coef_.shape)
        return est

    def onnx_graph(self) -> Any:
        """ONNX graph of ``transform``: ``x`` float32 (N, dx) -> ``y`` float32 (N, dy)."""
        self._require_fitted()
        g = Graph()
        y = g.affine(g.unit_rows("x") if self.normalize else "x", self.coef_, self.intercept_)
        dx, dy = self.coef_.shape
        return g.model(y, dx, dy, f"facebridge_{self.method}")

    def transform(self, X: object) -> np.ndarray:
        """Map source rows ``X`` (n, dx) to (n, dy), L2-normalising rows first when ``normalize``.

        float32 input gives float32 output (computed in float32); anything else gives float64.
        """
        X = self._input(X)
        if self.normalize:
            X = l2_normalize_rows(X)
        return X @ self.coef_.astype(X.dtype, copy=False) + self.intercept_.astype(X.dtype, copy=False)
