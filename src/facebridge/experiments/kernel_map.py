"""Beyond linear: ridge on the source vector plus Gaussian-kernel features against landmark images.

``phi(x) = [x, exp(-gamma |x - l_1|^2), ..., exp(-gamma |x - l_m|^2)]`` with landmarks ``l_j`` drawn (seeded) from
the fold's training pool, then an affine ridge map ``phi(x) -> y`` with its penalty chosen by GCV. It is a
Nystroem-style approximation of kernel ridge regression: the linear part keeps the affine map, the kernel part adds
smooth nonlinear corrections. The features and their eigen-decomposition depend on the source and the fold only,
so every target of a source shares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facebridge.experiments.ridge_path import Spectrum

#: Landmark count and kernel width (inputs are unit vectors, so |x - l|^2 = 2 - 2 x.l lies in [0, 4]).
KERNEL_DEFAULTS: dict[str, Any] = {"landmarks": 1024, "gamma": 0.5}


def kernel_features(X: np.ndarray, landmarks: np.ndarray, gamma: float) -> np.ndarray:
    """(n, dx + m) ``[X, exp(-gamma |x - l|^2)]`` for unit rows ``X`` (n, dx) and landmarks (m, dx)."""
    return np.hstack([X, np.exp(-gamma * np.clip(2.0 - 2.0 * (X @ landmarks.T), 0.0, None))])


@dataclass(frozen=True, eq=False)
class KernelBasis:
    """The fold's landmarks and the spectrum of its training features, shared by every target of a source."""

    landmarks: np.ndarray
    gamma: float
    spectrum: Spectrum

    @classmethod
    def fit(cls, X: np.ndarray, *, landmarks: int, gamma: float, seed: int) -> KernelBasis:
        """Draw ``landmarks`` rows of the training rows ``X`` (n, dx) with ``seed`` and decompose the features."""
        rng = np.random.default_rng(seed)
        chosen = X[np.sort(rng.choice(len(X), size=min(landmarks, len(X)), replace=False))]
        return cls(chosen, gamma, Spectrum.of(kernel_features(X, chosen, gamma)))


@dataclass(frozen=True, eq=False)
class KernelMap:
    """A fitted ``phi(x) @ coef + intercept`` and what was chosen."""

    basis: KernelBasis
    weights: np.ndarray
    mean_y: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def transform(self, X: np.ndarray) -> np.ndarray:
        spec = self.basis.spectrum
        return spec.project(kernel_features(X, self.basis.landmarks, self.basis.gamma)) @ self.weights + self.mean_y


def fit_kernel_map(basis: KernelBasis, Y: np.ndarray) -> KernelMap:
    """Ridge from the basis' training features to their targets ``Y`` (n, dy), penalty by GCV."""
    weights, mean_y, alpha = basis.spectrum.solve(Y)
    return KernelMap(basis, weights, mean_y, {"alpha": alpha})
