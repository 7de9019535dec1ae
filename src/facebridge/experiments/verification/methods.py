"""The map methods the study compares: how each is fitted for one fold, and the view its pairs are scored in.

The study's three (kept exactly as specified): ``ridge_study`` (ridge, alpha = 1, no bias), ``affine_cv`` (affine
ridge, alpha chosen by cross-validation inside the training folds) and ``procrustes`` (orthogonal map with a global
scale and a bias), all scored with plain cosine. Beyond the study, labelled as such: ``affine_centred`` and
``affine_whitened`` (affine_cv's map, scored after centring, or centring and whitening, the target space with
target-only statistics of the fold's pool) and ``kernel_whitened`` (a nonlinear kernel-feature ridge map, scored
like ``affine_whitened``).

These keys name study methods (a map family, how its fold's fit is made, and the space pairs are scored in), kept
as the study's results record them; a map family by itself is named by ``facebridge.maps``' registry
(``maps.METHODS``), where ``affine`` is the cross-validated affine ridge (``affine_cv`` is an old alias of it). The
study's ``affine_cv`` fits that same family, ``AffineRidgeCV``, with alpha chosen over inner splits of the fold's
own training folds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from facebridge.errors import NotFoundError
from facebridge.experiments.verification.kernel_moments import KernelMoments
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import (
    ALPHAS,
    KERNEL_DEFAULTS,
    WHITEN_SHRINK,
    AffineRidgeCV,
    CVSplit,
    LandmarkKernelMap,
    MapEstimator,
    ProcrustesMap,
    RidgeMap,
    TargetView,
)

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


def chosen_params(fitted: MapEstimator) -> dict[str, Any]:
    """What a fold's fit chose (its ridge alpha), for the results."""
    return {"alpha": float(fitted.alpha_)} if hasattr(fitted, "alpha_") else {}


def affine_cv(task: FoldTask, alphas: tuple[float, ...] = ALPHAS, n_splits: int = INNER_SPLITS) -> AffineRidgeCV:
    """``AffineRidgeCV`` on the fold's pool, alpha chosen over the inner splits of the fold's training folds.

    Each split's validation people are never in fold ``task.fold``; images of people in no fold stay in every
    inner training pool. The source's eigendecompositions and validation scatters are shared by every target.
    """
    splits = []
    for inner in task.inner_splits(n_splits):
        train, val = task.train_stats(inner), task.validation_stats(inner)
        quad = task.moments.cached(
            ("quad", task.source, task.fold, inner),
            functools.partial(CVSplit.source_quad, train, val),
        )
        splits.append(CVSplit(train, val, quad))
    return AffineRidgeCV(alphas=alphas, n_splits=n_splits).fit_splits(task.train_stats(), splits)


class StudyMethod:
    """A method of the study: ``fit`` a map for one fold from its task, ``view`` the scoring space of that fold."""

    info: MethodInfo

    def __init__(self, seed: int = 0, *, quick: bool = False) -> None:
        self.seed = seed
        self.quick = quick

    def fit(self, task: FoldTask) -> MapEstimator:
        raise NotImplementedError

    def transform(self, task: FoldTask, fitted: MapEstimator, rows: np.ndarray) -> np.ndarray:
        """``fitted`` (this method's map for ``task``) applied to the source's vectors of the images ``rows``; a
        method may share work across the targets of a source and fold."""
        return fitted.transform(task.data.vectors[task.source][rows])

    def view(self, task: FoldTask) -> TargetView | None:
        """The scoring view of fold ``task.fold`` (None: plain cosine), learnt from the target model's vectors over
        the fold's pool only: it needs no paired images, so native and mapped vectors share it."""
        return None


class StudyRidge(StudyMethod):
    info = MethodInfo(
        "ridge_study",
        "ridge (study)",
        "linear",
        "the study's map: ridge regression, alpha = 1, no bias, on L2-normalised embeddings; plain cosine",
        {"alpha": 1.0, "fit_intercept": False, "normalize": True},
    )

    def fit(self, task: FoldTask) -> MapEstimator:
        # The pool's statistics carry the source's raw-scatter eigenbasis, shared by all targets.
        return RidgeMap(alpha=1.0, fit_intercept=False, normalize=True).fit_stats(task.train_stats())


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

    def fit(self, task: FoldTask) -> MapEstimator:
        # Memoised: the centred and whitened variants score this same map.
        return task.moments.cached(("affine_cv", task.source, task.target, task.fold), lambda: affine_cv(task))


class Procrustes(StudyMethod):
    info = MethodInfo(
        "procrustes",
        "Procrustes",
        "linear",
        "orthogonal map with a global scale and a bias (SVD of the centred cross-scatter) on L2-normalised "
        "embeddings; plain cosine",
        {"normalize": True},
    )

    def fit(self, task: FoldTask) -> MapEstimator:
        return ProcrustesMap(normalize=True).fit_stats(task.train_stats())


def target_view(task: FoldTask, kind: str, shrink: float = 0.0) -> TargetView:
    """``TargetView(kind, shrink)`` of the target's vectors over fold ``task.fold``'s training pool (``task`` maps the
    target to itself; memoised: every method with that view shares it)."""

    def compute() -> TargetView:
        return TargetView(kind, shrink=shrink).fit_stats(task.train_stats())

    return task.moments.cached(("view", kind, task.target, task.fold, shrink), compute)


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
        return target_view(task, "centred")


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
        return target_view(task, "whitened", WHITEN_SHRINK)


class KernelWhitened(StudyMethod):
    info = MethodInfo(
        "kernel_whitened",
        "kernel-feature ridge, whitened cosine (beyond linear)",
        "nonlinear",
        "nonlinear: affine ridge on [x, exp(-gamma |x - l_j|^2)] for landmarks l_j drawn (seeded) from the fold's "
        "training pool (the kernel columns as they are, not a Nystroem approximation; the first landmarks-many pool "
        "images of one seeded order of all images per source, so folds share most landmarks), alpha chosen by GCV "
        "on the pool; scored like "
        "affine_whitened",
        {**KERNEL_DEFAULTS, "alphas": list(ALPHAS), "view": "centred and whitened", "shrink": WHITEN_SHRINK},
    )

    def __init__(self, seed: int = 0, *, quick: bool = False) -> None:
        super().__init__(seed, quick=quick)
        self.options = {**KERNEL_DEFAULTS, "landmarks": QUICK_LANDMARKS} if quick else dict(KERNEL_DEFAULTS)
        self.info = replace(type(self).info, params={**type(self).info.params, **self.options})

    def _moments(self, task: FoldTask) -> tuple[KernelMoments, int]:
        """The source's shared kernel moments (memoised) and its landmark seed."""
        seed = int(np.random.SeedSequence([self.seed, task.data.models.index(task.source)]).generate_state(1)[0])
        m, gamma = self.options["landmarks"], self.options["gamma"]

        def shared() -> KernelMoments:
            return KernelMoments(task.moments, task.source, m, gamma, seed)

        return task.moments.cached(("kernel", task.source, seed, m, gamma), shared, large=True), seed

    def fit(self, task: FoldTask) -> MapEstimator:
        moments, seed = self._moments(task)
        m, gamma = self.options["landmarks"], self.options["gamma"]
        return moments.fit(task, LandmarkKernelMap(n_landmarks=m, gamma=gamma, random_state=seed))

    def transform(self, task: FoldTask, fitted: MapEstimator, rows: np.ndarray) -> np.ndarray:
        if not isinstance(fitted, LandmarkKernelMap):
            raise TypeError(f"kernel_whitened transforms its own maps, got {type(fitted).__name__}")
        return self._moments(task)[0].transform(fitted, rows)

    def view(self, task: FoldTask) -> TargetView:
        return target_view(task, "whitened", WHITEN_SHRINK)


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
