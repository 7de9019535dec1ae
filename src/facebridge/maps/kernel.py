"""Beyond linear: ridge on the source vector plus Gaussian-kernel features against landmark rows.

``phi(x) = [x, exp(-gamma |x - l_1|^2), ..., exp(-gamma |x - l_m|^2)]`` with landmarks ``l_j`` drawn (seeded) from
the training rows, then an affine ridge map ``phi(x) -> y`` with its penalty chosen by GCV: ridge on
``[x, k(x, landmarks)]``, not a Nystroem approximation (the kernel columns are used as they are, never whitened by
the landmarks' own kernel matrix). The linear part keeps the affine map, the kernel part adds smooth nonlinear
corrections. (The class was called ``NystroemKernelMap`` before; map files that name it still load.) The features
and their eigendecomposition (``KernelBasis``) depend on the source rows only, so fits of several targets on the
same rows share them (``fit_basis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from facebridge.checks import check_alphas, check_flag, check_int, check_real, check_seed
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps._estimator import MapEstimator
from facebridge.maps._onnx import Graph
from facebridge.maps.base import check_source_varies
from facebridge.maps.ridge_cv import ALPHAS
from facebridge.maps.spectrum import Spectrum
from facebridge.maps.stats import SufficientStats
from facebridge.vectors import l2_normalize_rows

#: The study's landmark count and kernel width (unit inputs: |x - l|^2 = 2 - 2 x.l lies in [0, 4]).
KERNEL_DEFAULTS: dict[str, Any] = {"landmarks": 1024, "gamma": 0.25}


def kernel_columns(X: np.ndarray, landmarks: np.ndarray, gamma: float, unit: bool) -> np.ndarray:
    """(n, m) ``exp(-gamma |x - l|^2)`` for rows ``X`` (n, dx) and landmarks (m, dx); ``unit`` rows use
    ``|x - l|^2 = 2 - 2 x.l``."""
    cross = X @ landmarks.T
    if unit:
        sq = 2.0 - 2.0 * cross
    else:
        sq = (X**2).sum(axis=1)[:, None] + (landmarks**2).sum(axis=1)[None, :] - 2.0 * cross
    return np.exp(-gamma * np.clip(sq, 0.0, None))


def kernel_features(X: np.ndarray, landmarks: np.ndarray, gamma: float, unit: bool) -> np.ndarray:
    """(n, dx + m) ``phi(X) = [X, kernel_columns(X, landmarks)]``."""
    return np.hstack([X, kernel_columns(X, landmarks, gamma, unit)])


@dataclass(frozen=True, eq=False)
class KernelBasis:
    """Landmarks and the spectrum of the training rows' features: what every target fitted on those rows shares."""

    landmarks: np.ndarray
    gamma: float
    unit: bool
    spectrum: Spectrum

    @classmethod
    def of_rows(cls, X: np.ndarray, landmarks: np.ndarray, gamma: float, unit: bool) -> KernelBasis:
        """The basis of rows ``X`` (n, dx) with the given landmarks (m, dx): the spectrum of their features."""
        return cls(landmarks, gamma, unit, Spectrum.of(kernel_features(X, landmarks, gamma, unit)))

    @classmethod
    def of_stats(cls, stats: SufficientStats, landmarks: np.ndarray, gamma: float, unit: bool) -> KernelBasis:
        """The basis from the summed statistics of the rows' features (``stats.x`` is ``phi``, as ``of_rows`` on
        those rows up to rounding): one eigenproblem however many rows, and no pass over them; fit targets with
        ``LandmarkKernelMap.fit_basis_stats``."""
        if stats.dx != landmarks.shape[1] + len(landmarks):
            raise MismatchError(f"stats have {stats.dx} features, {len(landmarks)} landmarks need dx + m")
        check_source_varies(stats, "LandmarkKernelMap")
        return cls(landmarks, gamma, unit, Spectrum.of_stats(stats))


class LandmarkKernelMap(MapEstimator):
    """``y ≈ phi(x) @ W + b`` (see the module), ridge penalty ``alpha_`` of ``alphas`` chosen by GCV.

    Parameters
    ----------
    n_landmarks : landmark rows drawn from the training rows (all of them if fewer), >= 1.
    gamma : kernel width > 0.
    alphas : penalties > 0 to choose from by GCV.
    random_state : seed of the landmark draw.
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).

    Notes
    -----
    Saved arrays: ``landmarks`` (m, dx), ``feature_mean`` (dx + m,), ``projection`` (dx + m, r), ``weights``
    (r, dy), ``target_mean`` (dy,): ``transform(x) = (phi(x) - feature_mean) @ projection @ weights + target_mean``.
    """

    method = "kernel"
    _fitted_arrays = ("landmarks", "feature_mean", "projection", "weights", "target_mean")
    _fitted_attrs = (*MapEstimator._fitted_attrs, "alpha_")

    def __init__(
        self,
        *,
        n_landmarks: int = KERNEL_DEFAULTS["landmarks"],
        gamma: float = KERNEL_DEFAULTS["gamma"],
        alphas: Sequence[float] = ALPHAS,
        random_state: int = 0,
        normalize: bool = True,
    ) -> None:
        self.n_landmarks = n_landmarks
        self.gamma = gamma
        self.alphas = alphas
        self.random_state = random_state
        self.normalize = normalize

    def _checked(self) -> tuple[int, float, tuple[float, ...], int, bool]:
        owner = type(self).__name__
        m = check_int(self.n_landmarks, "n_landmarks", owner, 1)  # capped at the training rows in fit
        gamma = check_real(self.gamma, "gamma", owner, strict=True)
        seed = check_seed(self.random_state, "random_state", owner)
        alphas = check_alphas(self.alphas, owner)
        return m, float(gamma), alphas, seed, check_flag(self.normalize, "normalize", owner)

    def _check_saved_params(self) -> None:
        self._checked()

    def _rows(self, X: object, name: str, normalize: bool) -> np.ndarray:
        X = as_matrix(X, name).astype(np.float64, copy=False)
        return l2_normalize_rows(X) if normalize else X

    def basis(self, X: object) -> KernelBasis:
        """Draw the landmarks from rows ``X`` (n, dx) with ``random_state`` and decompose their features."""
        m, gamma, _, seed, normalize = self._checked()
        X = self._rows(X, "X", normalize)
        if len(X) < 1:
            raise InvalidInputError(f"{type(self).__name__} needs at least 1 sample, got 0")
        check_source_varies(SufficientStats.from_arrays(X, X[:, :1]), type(self).__name__)
        rng = np.random.default_rng(seed)
        chosen = X[np.sort(rng.choice(len(X), size=min(m, len(X)), replace=False))]
        return KernelBasis.of_rows(X, chosen, gamma, normalize)

    def fit(self, X: object, y: object) -> Self:
        """Fit on rows ``X`` (n, dx) and their targets ``y`` (n, dy)."""
        Y = as_target(y, type(self).__name__)  # a missing y is refused before the basis is built
        return self.fit_basis(self.basis(X), Y)

    def fit_many(self, X: object, targets: Sequence[object], groups: object = None) -> list[LandmarkKernelMap]:
        """One fitted copy per target of ``targets`` ((n, dy_t) each, rows matching ``X``), as ``fit(X, target)``
        fits it, the landmarks and the features' decomposition built once (``groups`` is not used: GCV needs no
        split)."""
        basis = self.basis(X)
        return [type(self)(**self.get_params()).fit_basis(basis, y) for y in targets]

    def fit_basis(self, basis: KernelBasis, y: object) -> Self:
        """Fit the targets ``y`` (n, dy) of the rows ``basis`` was built from (``basis(X)``, shared across targets)."""
        alphas, normalize = self._matching(basis)
        Y = as_target(y, type(self).__name__).astype(np.float64, copy=False)
        Y = l2_normalize_rows(Y) if normalize else Y
        if len(Y) != basis.spectrum.n:
            raise InvalidInputError(f"y has {len(Y)} rows but the basis was built from {basis.spectrum.n}")
        return self._set(basis, basis.spectrum.solve(Y, alphas=alphas))

    def fit_basis_stats(self, basis: KernelBasis, stats: SufficientStats) -> Self:
        """Fit the targets summed in ``stats`` (``phi`` of the basis's rows against their targets) on a basis built
        by ``KernelBasis.of_stats`` from those rows: the same map as ``fit_basis`` on them, up to rounding."""
        alphas, normalize = self._matching(basis)
        if stats.normalize != normalize:
            raise MismatchError(f"stats have normalize={stats.normalize}, this map {normalize}")
        return self._set(basis, basis.spectrum.solve_scatter(stats, alphas=alphas))

    def _matching(self, basis: KernelBasis) -> tuple[tuple[float, ...], bool]:
        """This map's penalties and ``normalize``, checked against the basis's kernel."""
        _, gamma, alphas, _, normalize = self._checked()
        if (basis.gamma, basis.unit) != (gamma, normalize):
            raise MismatchError(f"basis has gamma={basis.gamma}, normalize={basis.unit}; this map {gamma}, {normalize}")
        return alphas, normalize

    def _set(self, basis: KernelBasis, solved: tuple[np.ndarray, np.ndarray, float]) -> Self:
        self.weights_, self.target_mean_, self.alpha_ = solved
        self.landmarks_, self.feature_mean_, self.projection_ = basis.landmarks, basis.spectrum.mean_x, basis.spectrum.b
        self.n_features_in_, self.n_samples_seen_ = basis.landmarks.shape[1], basis.spectrum.n
        return self

    def _expected_shapes(self, arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
        m, r = len(arrays["landmarks"]), arrays["projection"].shape[-1]
        dx, dy = self.n_features_in_, arrays["target_mean"].shape[0]
        return {
            "landmarks": (m, dx),
            "feature_mean": (dx + m,),
            "projection": (dx + m, r),
            "weights": (r, dy),
            "target_mean": (dy,),
        }

    def _centred_features(self, X: np.ndarray) -> np.ndarray:
        """(n, dx + m) ``phi(X) - feature_mean`` of checked rows ``X``, in float64: the Gaussian features of nearby
        rows differ in the last digits float32 keeps."""
        X = X.astype(np.float64, copy=False)
        if self.normalize:
            X = l2_normalize_rows(X)
        return kernel_features(X, self.landmarks_, float(self.gamma), bool(self.normalize)) - self.feature_mean_

    def project(self, X: object) -> np.ndarray:
        """(n, r) centred features of rows ``X`` (n, dx) times the fitted projection, in float64: ``transform`` is
        ``from_projected(project(X))``. Maps fitted on one basis (``fit_basis``) share it, so their targets can
        share one projection of the same rows."""
        return self._centred_features(self._input(X)) @ self.projection_

    def from_projected(self, projected: np.ndarray) -> np.ndarray:
        """(n, dy) mapped rows from their ``project`` (n, r) under this map's basis."""
        self._require_fitted()
        return projected @ self.weights_ + self.target_mean_

    def transform(self, X: object) -> np.ndarray:
        """Map rows ``X`` (n, dx) to (n, dy), computed in float64 and returned in ``X``'s dtype: float32 input gives
        float32 output (the scikit-learn contract), anything else float64."""
        X = self._input(X)
        centred = self._centred_features(X)
        # Cheaper order: more rows than output dims fold the two factors first ((dx + m) r dy once, not n (dx + m) r).
        if len(centred) > self.weights_.shape[1]:
            mapped = centred @ (self.projection_ @ self.weights_) + self.target_mean_
        else:
            mapped = self.from_projected(centred @ self.projection_)
        return mapped.astype(X.dtype, copy=False)

    def onnx_graph(self) -> Any:
        """ONNX graph of ``transform``."""
        self._require_fitted()
        g = Graph()
        x = g.unit_rows("x") if self.normalize else "x"
        cross = g.op("MatMul", x, g.const(self.landmarks_.T, "landmarks_t"))
        if self.normalize:
            sq = g.op("Sub", g.const(2.0), g.op("Mul", g.const(2.0), cross))
        else:
            xsq = g.op("ReduceSumSquare", x, axes=[1], keepdims=1)
            lsq = g.const((self.landmarks_**2).sum(axis=1), "landmark_sq")
            sq = g.op("Sub", g.op("Add", xsq, lsq), g.op("Mul", g.const(2.0), cross))
        sq = g.op("Max", sq, g.const(0.0))
        k = g.op("Exp", g.op("Mul", g.const(-float(self.gamma)), sq))
        phi = g.op("Concat", x, k, axis=1)
        centred = g.op("Sub", phi, g.const(self.feature_mean_, "feature_mean"))
        y = g.affine(g.affine(centred, self.projection_), self.weights_, self.target_mean_)
        return g.model(y, self.n_features_in_, len(self.target_mean_), "facebridge_kernel")
