"""A fitted view of a target space (a scoring space; not LFW's View 1 / View 2 protocols): how two of its vectors
are compared by cosine.

``plain`` is the cosine itself; ``centred`` subtracts the target's mean first; ``whitened`` also multiplies by the
inverse square root of the target's (shrunk) covariance. The view is learnt from target vectors only (no pairs), so
a deployment applies the same one to native and mapped vectors. With ``normalize`` (the default) rows are
L2-normalised in ``fit`` and in ``transform`` alike: the view is learnt on unit rows, so raw stored vectors (norms
from ~1 to ~20 by model) and a map's outputs are brought to that scale before it is applied.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from facebridge.checks import check_flag, check_real
from facebridge.errors import InvalidInputError
from facebridge.maps._checks import as_matrix
from facebridge.maps._estimator import MapEstimator
from facebridge.maps._onnx import Graph
from facebridge.maps.stats import SufficientStats, psd_eigh
from facebridge.vectors import l2_normalize_rows, unit_rows

VIEW_KINDS = ("plain", "centred", "whitened")
#: Shrinkage of the target covariance before whitening, as a fraction of its mean eigenvalue: the value chosen on
#: LFW View 1 (``experiments.selection``); the one default of the library, the CLI and the study.
WHITEN_SHRINK = 1.0
#: The arrays each kind applies: ``(v - centre) @ projection``.
_ARRAYS = {"plain": (), "centred": ("centre",), "whitened": ("centre", "projection")}


class TargetView(MapEstimator):
    """Vectors ``v`` (n, d) are compared as ``cos((v - centre_) @ projection_)`` (``transform`` gives the inside).

    Parameters
    ----------
    kind : "plain", "centred" or "whitened".
    shrink : for "whitened": the covariance's eigenvalues are raised by ``shrink`` x their mean before inverting,
        so directions of almost no variance are not blown up. >= 0. Default ``WHITEN_SHRINK``.
    normalize : L2-normalise rows before learning the mean and covariance, and before ``transform`` (a zero row
        stays zero).
    """

    method = "view"

    def __init__(self, kind: str = "plain", *, shrink: float = WHITEN_SHRINK, normalize: bool = True) -> None:
        self.kind = kind
        self.shrink = shrink
        self.normalize = normalize

    @property
    def _fitted_arrays(self) -> tuple[str, ...]:  # type: ignore[override]
        return _ARRAYS[self._kind()]

    def _kind(self) -> str:
        if self.kind not in VIEW_KINDS:
            raise InvalidInputError(
                f"TargetView: parameter kind must be one of {', '.join(VIEW_KINDS)}, got {self.kind!r}"
            )
        return self.kind

    def _check(self) -> tuple[str, float, bool]:
        shrink = check_real(self.shrink, "shrink", "TargetView")
        return self._kind(), shrink, check_flag(self.normalize, "normalize", "TargetView")

    def _check_saved_params(self) -> None:
        self._check()

    def fit(self, Y: object, y: object = None) -> Self:
        """Learn the view from target vectors ``Y`` (n, d) (``y`` is ignored, for scikit-learn pipelines)."""
        Y = as_matrix(Y, "Y")
        normalize = self._check()[2]
        return self.fit_stats(SufficientStats.from_arrays(Y, Y[:, :1], normalize=normalize))

    def fit_stats(self, stats: SufficientStats) -> Self:
        """Learn the view from statistics whose source side (``sum_x``, ``xtx``) holds the target vectors."""
        kind, shrink, normalize = self._check()
        if stats.normalize != normalize:
            raise InvalidInputError(f"statistics have normalize={stats.normalize}, this TargetView {normalize}")
        if stats.n < 1:
            raise InvalidInputError("TargetView needs at least 1 target vector, got 0")
        self.n_features_in_, self.n_samples_seen_ = stats.dx, stats.n
        if kind != "plain":
            self.centre_ = stats.mean_x
        if kind == "whitened":
            w, v = psd_eigh(stats.covariance(ddof=0).xx)
            w = w + shrink * max(float(w.mean()), 1e-12)
            self.projection_ = (v / np.sqrt(w)) @ v.T
        return self

    def _expected_shapes(self, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
        d = self.n_features_in_
        return {name: (d,) * (1 + (name == "projection")) for name in self._fitted_arrays}

    def parts(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """``(centre, projection)`` of the view, None where it applies none."""
        self._require_fitted()
        return getattr(self, "centre_", None), getattr(self, "projection_", None)

    def transform(self, V: object) -> np.ndarray:
        """(n, d) ``(V - centre_) @ projection_`` of ``V``'s rows, L2-normalised first when ``normalize`` (as in
        ``fit``); float32 stays float32."""
        rows = self._input(V)
        if self.normalize:
            rows = l2_normalize_rows(rows)
        centre, projection = self.parts()
        if centre is not None:
            rows = rows - centre.astype(rows.dtype, copy=False)
        if projection is not None:
            rows = rows @ projection.astype(rows.dtype, copy=False)
        return rows

    def unit(self, V: object) -> np.ndarray:
        """Rows of ``transform(V)`` at unit norm: one side of a cosine in this view; a zero row is refused."""
        return unit_rows(self.transform(V))

    def onnx_graph(self) -> Any:
        """ONNX graph of ``transform``."""
        self._require_fitted()
        g = Graph()
        centre, projection = self.parts()
        out = g.unit_rows("x") if self.normalize else "x"
        if centre is not None:
            out = g.op("Sub", out, g.const(centre, "centre"))
        if projection is not None:
            out = g.op("MatMul", out, g.const(projection, "projection"))
        if out == "x":
            out = g.op("Identity", out)
        return g.model(out, self.n_features_in_, self.n_features_in_, f"facebridge_view_{self.kind}")
