"""Map methods by name: the one place a method string becomes an estimator.

One name, one map everywhere (library, ``fit --method``, ``evaluate --fit``, ``upgrade --method``): ``affine`` is the
affine ridge whose alpha is chosen by cross-validation over people, ``affine_fixed`` the one with a fixed alpha.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from facebridge.errors import NotFoundError
from facebridge.maps._estimator import MapEstimator
from facebridge.maps.affine import AffineMap
from facebridge.maps.base import LinearMap
from facebridge.maps.ensemble import EnsembleMap
from facebridge.maps.kernel import LandmarkKernelMap
from facebridge.maps.lstsq import LstsqMap
from facebridge.maps.mlp import MLPMap
from facebridge.maps.pca_ridge import PCARidgeMap
from facebridge.maps.person_mean import PersonMeanRidgeCV
from facebridge.maps.procrustes import ProcrustesMap
from facebridge.maps.ridge import RidgeMap
from facebridge.maps.ridge_cv import AffineRidgeCV
from facebridge.maps.rrr import ReducedRankMap
from facebridge.maps.softmax import SoftmaxMap

_FAMILIES: tuple[type[MapEstimator], ...] = (
    LstsqMap,
    RidgeMap,
    AffineMap,
    ProcrustesMap,
    ReducedRankMap,
    PCARidgeMap,
    AffineRidgeCV,
    LandmarkKernelMap,
    MLPMap,
    PersonMeanRidgeCV,
    SoftmaxMap,
    EnsembleMap,
)
_CLASSES: dict[str, type[MapEstimator]] = {cls.method: cls for cls in _FAMILIES}
METHODS: tuple[str, ...] = tuple(_CLASSES)
#: Other names a method is known by: ``affine_cv`` (this release's ``affine``) keeps scripts and study keys working.
ALIASES: dict[str, str] = {"affine_cv": AffineRidgeCV.method}
#: Names a map file written before ``affine`` meant the cross-validated map may carry, by its family (class name).
_LEGACY_METHODS: dict[str, type[MapEstimator]] = {"affine": AffineMap, "affine_cv": AffineRidgeCV}
#: Class names map files written by earlier releases record as their family.
_LEGACY_FAMILIES: dict[str, type[MapEstimator]] = {"NystroemKernelMap": LandmarkKernelMap}
#: The families fitted by ``fit_stats`` from pooled statistics alone (those whose fit takes the person of each row
#: need per-group statistics or the rows, kernel and mlp the rows themselves).
STATS_METHODS: tuple[str, ...] = tuple(
    m
    for m, cls in _CLASSES.items()
    if issubclass(cls, LinearMap) and "groups" not in inspect.signature(cls.fit).parameters
)


def map_class(method: str) -> type[MapEstimator]:
    """The estimator class registered as ``method`` (case and ``-``/``_`` insensitive)."""
    key = str(method).strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in _CLASSES:
        close = difflib.get_close_matches(key, METHODS, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise NotFoundError(f"unknown map method {method!r}{hint} (known: {', '.join(METHODS)})")
    return _CLASSES[key]


def saved_class(method: object, family: object = None) -> type[MapEstimator]:
    """The class a map file's header names: by ``family`` (the class name every version 2 file records) where given,
    checked against ``method``, which may be the name that family had when the file was written; a version 1 file
    (no family) by ``method``, where ``affine`` was the fixed-alpha map."""
    legacy = _LEGACY_METHODS.get(str(method))
    named = legacy if legacy is not None else map_class(str(method))  # an unknown name: NotFoundError naming it
    if family is None:
        return named
    cls = next((c for c in _FAMILIES if c.__name__ == family), _LEGACY_FAMILIES.get(str(family)))
    if cls is None:
        raise NotFoundError(f"unknown map family {family!r} (known: {', '.join(c.__name__ for c in _FAMILIES)})")
    if method not in (cls.method, *(m for m, c in _LEGACY_METHODS.items() if c is cls)):
        raise NotFoundError(f"map family {family} is not method {method!r}")
    return cls


def make_map(method: str, **params: Any) -> MapEstimator:
    """A new, unfitted estimator for ``method`` with ``params``; an unknown parameter is an InvalidInputError."""
    cls = map_class(method)
    return cls().set_params(**params)


def fit_rows(estimator: MapEstimator, X: object, y: object, groups: object = None) -> MapEstimator:
    """``estimator.fit(X, y)`` on rows, passing ``groups`` (n,) (the person of each row) to the families whose fit
    takes them (``affine`` chooses alpha by cross-validation over people); returns the fitted estimator."""
    if groups is not None and "groups" in inspect.signature(estimator.fit).parameters:
        return estimator.fit(X, y, groups=groups)  # type: ignore[call-arg]
    return estimator.fit(X, y)


def fit_targets(
    make: Callable[[], MapEstimator], X: object, targets: Sequence[object], groups: object = None
) -> list[MapEstimator]:
    """One new map ``make()`` per target of ``targets``, fitted on rows ``X`` as :func:`fit_rows` fits it; all at
    once through the family's ``fit_many`` where it has one (the source's work shared), else one by one."""
    estimator = make()
    if hasattr(estimator, "fit_many"):
        return estimator.fit_many(X, targets, groups=groups)
    return [fit_rows(make(), X, y, groups) for y in targets]
