"""The map methods the study compares: how each is fitted for one fold, and the view its pairs are scored in.

The study's three (kept exactly as specified): ``ridge_study`` (ridge, alpha = 1, no bias), ``affine_cv`` (affine
ridge, alpha chosen by cross-validation inside the training folds) and ``procrustes`` (orthogonal map with a global
scale and a bias), all scored with plain cosine. Beyond the study, labelled as such: ``affine_centred`` and
``affine_whitened`` (affine_cv's map, scored after centring, or centring and whitening, the target space with
target-only statistics of the fold's pool) and ``kernel_whitened`` (a nonlinear kernel-feature ridge map, scored
like ``affine_whitened``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from scipy import linalg

from facebridge.errors import NotFoundError
from facebridge.experiments.kernel_map import KERNEL_DEFAULTS, KernelBasis, fit_kernel_map
from facebridge.experiments.ridge_path import (
    ALPHAS,
    affine_from_eigh,
    coef_from_eigh,
    shifted_source_quad,
    validation_sse,
)
from facebridge.experiments.scoring import PLAIN, TargetView
from facebridge.experiments.task import FoldTask
from facebridge.maps import ProcrustesMap

#: Landmarks of ``kernel_whitened`` in a quick run (``KERNEL_DEFAULTS`` otherwise).
QUICK_LANDMARKS = 256
#: Inner cross-validation splits for choosing alpha: the other folds dealt into this many validation groups.
INNER_SPLITS = 3


@dataclass(frozen=True)
class MethodInfo:
    """What a method is, for the results' ``meta.methods``."""

    key: str
    label: str
    family: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "family": self.family, "description": self.description, "params": self.params}


class Fitted(Protocol):
    params: dict[str, Any]

    def transform(self, X: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class AffineFit:
    """A fitted linear map ``X @ coef + intercept`` on normalised source rows, and what was chosen."""

    coef: np.ndarray
    intercept: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef + self.intercept


def cv_alpha(task: FoldTask, alphas: tuple[float, ...] = ALPHAS, n_splits: int = INNER_SPLITS) -> float:
    """The alpha of ``alphas`` with the lowest validation error over the inner splits of the fold's training folds.

    Each split's validation people are never in fold ``task.fold``; images of people in no fold stay in every
    inner training pool. Ties go to the larger alpha.
    """
    sse = np.zeros(len(alphas))
    for inner in task.inner_splits(n_splits):
        w, v = task.source_eigh(inner)
        train, val = task.train_stats(inner), task.validation_stats(inner)
        quad = task.moments.cached(
            ("quad", task.source, task.fold, inner),
            lambda val=val, mean=train.mean_x, v=v: shifted_source_quad(val, mean, v),
        )
        sse += validation_sse(train, val, w, v, alphas, quad)
    best = np.flatnonzero(sse <= sse.min() * (1 + 1e-12))
    return float(alphas[int(best[-1])])


class StudyMethod:
    """A method of the study: ``fit`` a map for one fold from its task, ``view`` the scoring space of that fold."""

    info: MethodInfo

    def __init__(self, seed: int = 0, *, quick: bool = False) -> None:
        self.seed = seed
        self.quick = quick

    def fit(self, task: FoldTask) -> Fitted:
        raise NotImplementedError

    def view(self, task: FoldTask) -> TargetView:
        """The scoring view of fold ``task.fold``, learnt from the target model's vectors over the fold's pool only
        (``task.source == task.target``): it needs no paired images, so native and mapped vectors share it."""
        return PLAIN


class StudyRidge(StudyMethod):
    info = MethodInfo(
        "ridge_study",
        "ridge (study)",
        "linear",
        "the study's map: ridge regression, alpha = 1, no bias, on L2-normalised embeddings; plain cosine",
        {"alpha": 1.0, "fit_intercept": False, "normalize": True},
    )

    def fit(self, task: FoldTask) -> Fitted:
        # RidgeMap(alpha=1, fit_intercept=False, normalize=True).fit_stats(task.train_stats()), with the source's
        # raw-scatter eigenbasis shared by all targets (the tests check the two agree).
        w, v = task.source_eigh(centered=False)
        coef = coef_from_eigh(w, v, task.train_stats().xty, 1.0)
        return AffineFit(coef, np.zeros(coef.shape[1]))


class AffineCV(StudyMethod):
    info = MethodInfo(
        "affine_cv",
        "affine ridge (CV alpha)",
        "linear",
        "ridge with a bias on L2-normalised embeddings; alpha chosen per map and fold from "
        f"{ALPHAS[0]:g}..{ALPHAS[-1]:g} (half decades) by the squared error of a {INNER_SPLITS}-split "
        "cross-validation over the other folds' people; plain cosine",
        {"alphas": list(ALPHAS), "inner_splits": INNER_SPLITS},
    )

    def fit(self, task: FoldTask) -> Fitted:
        def compute() -> AffineFit:
            alpha = cv_alpha(task)
            w, v = task.source_eigh()
            coef, intercept = affine_from_eigh(task.train_stats(), w, v, alpha)
            return AffineFit(coef, intercept, {"alpha": alpha})

        # Memoised: the centred and whitened variants score this same map.
        return task.moments.cached(("affine_cv", task.source, task.target, task.fold), compute)


class Procrustes(StudyMethod):
    info = MethodInfo(
        "procrustes",
        "Procrustes",
        "linear",
        "orthogonal map with a global scale and a bias (SVD of the centred cross-scatter) on L2-normalised "
        "embeddings; plain cosine",
        {"normalize": True},
    )

    def fit(self, task: FoldTask) -> Fitted:
        m = ProcrustesMap(normalize=True).fit_stats(task.train_stats())
        return AffineFit(m.coef_, m.intercept_)


def target_mean_view(task: FoldTask) -> TargetView:
    """Cosine after subtracting the target's mean over fold ``task.fold``'s training pool."""
    return TargetView(centre=task.target_mean())


class AffineCentred(AffineCV):
    info = MethodInfo(
        "affine_centred",
        "affine ridge, centred cosine (beyond study)",
        "linear",
        "affine_cv's map; every pair is scored as the cosine after subtracting the target model's mean over the "
        "fold's training pool from both sides. Native accuracy for this method is the target scored the same way "
        "(centred cosine), so its penalty compares like with like",
        {"alphas": list(ALPHAS), "inner_splits": INNER_SPLITS, "view": "centred by the target's training mean"},
    )

    def view(self, task: FoldTask) -> TargetView:
        return target_mean_view(task)


#: Shrinkage of the target covariance before whitening, as a fraction of its mean eigenvalue.
WHITEN_SHRINK = 0.1


def whitened_view(task: FoldTask, shrink: float = WHITEN_SHRINK) -> TargetView:
    """Cosine after centring and whitening by the target's (shrunk) covariance over fold ``task.fold``'s pool
    (memoised: every whitened method shares it)."""

    def compute() -> TargetView:
        stats = task.moments.pool_stats(task.target, task.target, frozenset({task.fold}))
        w, v = linalg.eigh(stats.covariance(ddof=0).xx)
        w = np.clip(w, 0.0, None) + shrink * max(float(w.mean()), 1e-12)
        return TargetView(centre=stats.mean_x, projection=(v / np.sqrt(w)) @ v.T)

    return task.moments.cached(("whitened", task.target, task.fold, shrink), compute)


class AffineWhitened(AffineCV):
    info = MethodInfo(
        "affine_whitened",
        "affine ridge, whitened cosine (beyond study)",
        "linear",
        "affine_cv's map; pairs are scored as the cosine after centring and whitening the target space by the "
        f"target's covariance over the fold's training pool (shrunk by {WHITEN_SHRINK} x its mean eigenvalue). "
        "Native accuracy for this method is the target scored the same way",
        {"alphas": list(ALPHAS), "inner_splits": INNER_SPLITS, "view": "centred and whitened", "shrink": WHITEN_SHRINK},
    )

    def view(self, task: FoldTask) -> TargetView:
        return whitened_view(task)


class KernelWhitened(StudyMethod):
    info = MethodInfo(
        "kernel_whitened",
        "kernel-feature ridge, whitened cosine (beyond linear)",
        "nonlinear",
        "nonlinear: affine ridge on [x, exp(-gamma |x - l_j|^2)] for landmarks l_j drawn (seeded) from the fold's "
        "training pool (a Nystroem-style kernel ridge), alpha chosen by GCV on the pool; scored like "
        "affine_whitened",
        {**KERNEL_DEFAULTS, "alphas": list(ALPHAS), "view": "centred and whitened", "shrink": WHITEN_SHRINK},
    )

    def __init__(self, seed: int = 0, *, quick: bool = False) -> None:
        super().__init__(seed, quick=quick)
        self.options = {**KERNEL_DEFAULTS, "landmarks": QUICK_LANDMARKS} if quick else dict(KERNEL_DEFAULTS)
        self.info = replace(type(self).info, params={**type(self).info.params, **self.options})

    def fit(self, task: FoldTask) -> Fitted:
        models = task.data.models
        seed = int(np.random.SeedSequence([self.seed, models.index(task.source), task.fold]).generate_state(1)[0])

        def basis() -> KernelBasis:
            return KernelBasis.fit(task.train_arrays()[0], seed=seed, **self.options)

        key = ("kernel", task.source, task.fold, seed, self.options["landmarks"], self.options["gamma"])
        shared = task.moments.cached(key, basis, large=True)
        return fit_kernel_map(shared, task.train_arrays()[1])

    def view(self, task: FoldTask) -> TargetView:
        return whitened_view(task)


STUDY_METHODS: tuple[str, ...] = ("ridge_study", "affine_cv", "procrustes")
#: The penalty matrix's default methods: the study's three, then the beyond-study ones.
DEFAULT_METHODS: tuple[str, ...] = (*STUDY_METHODS, "affine_centred", "affine_whitened", "kernel_whitened")
#: Methods whose map is affine_cv's (affine ridge, alpha per fold): the ones a rank sweep can start from.
CURVE_METHODS: tuple[str, ...] = ("affine_cv", "affine_centred", "affine_whitened")
#: The best linear method: its alpha and view drive the rank sweep, its view the sample-size sweep.
CURVE_METHOD = "affine_whitened"
#: A quick run's default methods: the study's three and the best linear one (the kernel map costs most).
QUICK_METHODS: tuple[str, ...] = (*STUDY_METHODS, CURVE_METHOD)
_METHODS: dict[str, type[StudyMethod]] = {
    cls.info.key: cls for cls in (StudyRidge, AffineCV, Procrustes, AffineCentred, AffineWhitened, KernelWhitened)
}
METHOD_KEYS: tuple[str, ...] = tuple(_METHODS)


def get_method(key: str, seed: int = 0, *, quick: bool = False) -> StudyMethod:
    """A study method by key: ``seed`` for those that draw random numbers, ``quick`` for a cheaper variant where
    one exists (``kernel_whitened``: fewer landmarks). NotFoundError naming the known keys."""
    if key not in _METHODS:
        raise NotFoundError(f"unknown study method {key!r} (known: {', '.join(METHOD_KEYS)})")
    return _METHODS[key](seed, quick=quick)
