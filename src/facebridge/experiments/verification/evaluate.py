"""Evaluate a target model natively, or a map into it, on a fold-structured verification protocol.

Modes
-----
``native``: target vs target (B vs B), the baseline a map is judged against.
``cross``: mapped source probe (``id_a``) vs native target gallery (``id_b``): migrating a probe into an
existing gallery, the practical case.
``both``: mapped source vs mapped source: both sides of every pair went through the map.

When a map is fitted here, fold k's map is trained only on images of people who do not appear in fold k (the
protocol's folds are people-disjoint, so training on a test fold's people would leak identity information). A
target-space view (centring, whitening) obeys the same rule: fold k's view is fitted on the target vectors of the
training pool's people only, and applied to both sides of fold k's pairs, natively and after a map alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from facebridge.embeddings import EmbeddingSet, join_sets
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.experiments.shared.advice import far_resolution_warnings, fit_size_warnings
from facebridge.maps import fit_rows
from facebridge.protocols import PairList, VerificationResult, pair_scores, person_of, verify
from facebridge.protocols.fold_rules import POOLS

MODES = ("native", "cross", "both")


@dataclass(frozen=True)
class EvaluationResult:
    """A verification result plus how it was obtained (mode, metric, map, per-fold training counts)."""

    protocol: str
    mode: str
    metric: str
    source: str | None
    target: str
    method: str | None
    params: dict[str, Any]
    pool: str | None
    n_train: tuple[int, ...]
    verification: VerificationResult
    notes: tuple[str, ...] = field(default=())
    view: dict[str, Any] | None = None
    #: (n_pairs,) the score of each pair, in the pair list's order (for score files).
    scores: np.ndarray | None = field(default=None, compare=False, repr=False)

    def to_dict(self, *, roc: bool = False) -> dict[str, Any]:
        """Plain JSON-ready data; ``roc`` adds the full ROC arrays."""
        return {
            "protocol": self.protocol,
            "mode": self.mode,
            "metric": self.metric,
            "source": self.source,
            "target": self.target,
            "method": self.method,
            "params": self.params,
            "pool": self.pool,
            "n_train": list(self.n_train),
            "notes": list(self.notes),
            "view": self.view,
            "verification": self.verification.to_dict(roc=roc),
        }


def _people(ids: np.ndarray) -> np.ndarray:
    return np.fromiter((person_of(i) for i in ids), dtype=object, count=len(ids))


def training_rows(pairs: PairList, shared_ids: np.ndarray, fold: int, pool: str) -> np.ndarray:
    """Indices into ``shared_ids`` allowed for training fold ``fold``'s map.

    ``pool="people"``: every shared image whose person is not in fold ``fold``;
    ``pool="pairs"``: only images used by the other folds' pairs.
    """
    held_out = pairs.people_of_fold(fold)
    allowed = np.array([p not in held_out for p in _people(shared_ids)], dtype=bool)
    if pool == "pairs":
        others = pairs.fold != fold
        in_pairs = set(pairs.id_a[others]) | set(pairs.id_b[others])
        allowed &= np.array([i in in_pairs for i in shared_ids], dtype=bool)
    return np.flatnonzero(allowed)


def _check(mode: str, pool: str, source: EmbeddingSet | None, fit: object, fitted: object) -> None:
    if mode not in MODES:
        raise InvalidInputError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if pool not in POOLS:
        raise InvalidInputError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
    if mode == "native":
        if fit is not None or fitted is not None:
            raise InvalidInputError("mode 'native' evaluates the target alone: give no map")
        return
    if source is None:
        raise InvalidInputError(f"mode {mode!r} needs a source embedding set")
    if (fit is None) == (fitted is None):
        raise InvalidInputError(f"mode {mode!r} needs exactly one of a map to fit or a fitted map")


def _fold_view(view: Callable[[], Any] | None, pairs: PairList, target: EmbeddingSet, fold: int, pool: str) -> Any:
    """Fold ``fold``'s fitted target-space view (None for plain scoring), fitted on training-pool vectors only."""
    if view is None:
        return None
    rows = training_rows(pairs, target.ids, fold, pool)
    if len(rows) < 2:
        raise MismatchError(f"fold {fold}: only {len(rows)} target images outside the fold's people to fit the view")
    return view().fit(target.vectors[rows])


def evaluate(
    pairs: PairList,
    target: EmbeddingSet,
    *,
    source: EmbeddingSet | None = None,
    mode: str = "native",
    fit: Callable[[], Any] | None = None,
    fitted: Any | None = None,
    metric: str = "cosine",
    pool: str = "people",
    view: Callable[[], Any] | None = None,
    fitted_view: Any | None = None,
) -> EvaluationResult:
    """Verification accuracy of ``target`` (native) or of a source->target map (cross / both).

    Parameters
    ----------
    pairs : the protocol's pairs with their folds.
    target, source : embedding sets containing every image the pairs use (and the training images).
    mode : ``native``, ``cross`` or ``both`` (module docstring).
    fit : a zero-argument factory returning an unfitted map; one map is fitted per fold on the training pool (with
        each image's person as its group: ``affine`` chooses alpha by cross-validation over those people).
    fitted : an already fitted map, applied to every fold as is (its training data cannot be checked for leakage).
    metric : ``cosine`` or ``euclidean``.
    pool : training pool, ``people`` (every image of the other folds' people) or ``pairs`` (their pair images).
    view : a zero-argument factory returning an unfitted target-space view (``fit(Y)``, ``transform(V)``); fitted
        per fold on the training pool's target vectors and applied to both sides before scoring. None: plain.
    fitted_view : an already fitted view (e.g. the one a map file carries), applied to both sides of every fold as
        is; exclusive with ``view``.
    """
    _check(mode, pool, source, fit, fitted)
    if view is not None and fitted_view is not None:
        raise InvalidInputError("give a view to fit per fold or a fitted view, not both")
    n_train: list[int] = []
    n_people: list[int] = []
    notes: list[str] = list(pairs.notes)
    source = cast(EmbeddingSet, source) if mode != "native" else None  # _check: not None outside native mode
    if source is not None and fitted is not None and getattr(fitted, "n_features_in_", source.dim) != source.dim:
        raise MismatchError(f"map expects {fitted.n_features_in_}-d input, source set is {source.dim}-d")
    scores = np.empty(pairs.n, dtype=np.float64)
    # A map fitted per fold: the factory and the rows both sets share (_check: fit only outside native mode).
    training = (fit, *join_sets(source, target)) if fit is not None and source is not None else None
    estimator, fold_view = fitted, None
    for k in pairs.fold_ids:
        in_fold = np.flatnonzero(pairs.fold == k)
        a_ids, b_ids = pairs.id_a[in_fold], pairs.id_b[in_fold]
        if training is not None:
            make, shared, x_all, y_all = training
            rows = training_rows(pairs, shared, int(k), pool)
            if len(rows) < 2:
                raise MismatchError(
                    f"fold {k}: only {len(rows)} training images outside the fold's people (everyone in its pairs); "
                    "impostor pairs across folds link most people into every fold: 'facebridge pairs --images DIR' "
                    "writes people-disjoint folds"
                )
            people = _people(shared[rows])
            estimator = fit_rows(make(), x_all[rows], y_all[rows], groups=people)  # affine: alpha CV over people
            n_train.append(len(rows))
            n_people.append(len(set(people)))
        if source is None or estimator is None:  # native mode (_check: a map, fitted or to fit, otherwise)
            a, b = target.vectors_of(a_ids), target.vectors_of(b_ids)
        else:
            a = estimator.transform(source.vectors_of(a_ids))
            b = target.vectors_of(b_ids) if mode == "cross" else estimator.transform(source.vectors_of(b_ids))
        fold_view = fitted_view if fitted_view is not None else _fold_view(view, pairs, target, int(k), pool)
        if fold_view is not None:
            a, b = fold_view.transform(a), fold_view.transform(b)
        scores[in_fold] = pair_scores(a, b, metric)
    if source is not None and fitted is not None:
        notes.append("map fitted outside this evaluation: its training data was not checked for fold leakage")
    if fitted_view is not None:
        notes.append("scored in the view the map file carries, fitted with the map (not per fold)")
    if n_train:  # maps fitted here: warn when the smallest fold's pool is small for the source's width
        notes += fit_size_warnings(min(n_train), min(n_people), cast(EmbeddingSet, source).dim)
    verification = verify(scores, pairs.same, pairs.fold)
    notes += far_resolution_warnings(verification)
    return EvaluationResult(
        protocol=pairs.name,
        mode=mode,
        metric=metric,
        source=None if source is None or mode == "native" else source.fingerprint.model,
        target=target.fingerprint.model,
        method=getattr(estimator, "method", type(estimator).__name__) if estimator is not None else None,
        params=estimator.get_params() if estimator is not None else {},
        pool=pool if fit is not None else None,
        n_train=tuple(n_train),
        verification=verification,
        notes=tuple(notes),
        view=None if fold_view is None else {"class": type(fold_view).__name__, **fold_view.get_params()},
        scores=scores,
    )
