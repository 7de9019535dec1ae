"""Affine ridge with its penalty chosen inside ``fit`` by group-aware K-fold cross-validation (groups = people).

Every split's validation error is a function of sufficient statistics: with the training scatter
``Sxx_c = V diag(w) V^T``, the error of every penalty of the grid costs O(d^2) once the O(d^3) products of the split
are shared, so choosing ``alpha`` costs one eigendecomposition per split. Statistics are accumulated per group and
merged by addition, so a streamed or distributed fit only needs the per-group sums (``fit_group_stats``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from facebridge.checks import check_alphas, check_int
from facebridge.errors import InvalidInputError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps._solve import eigen_solve, intercept_for
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats
from facebridge.protocols.fold_rules import deal_groups
from facebridge.vectors import l2_normalize_rows

#: Penalty grid for L2-normalised embeddings: 1e-8 .. 1e3 in half decades (the centred scatter of thousands of unit
#: rows has eigenvalues from ~1e-3 to ~1e3, so the grid spans "no penalty" to "most directions shrunk away"; on all of
#: LFW a grid starting at 1e-4 had cross-validation pick its smallest value for 24 of 56 model pairs, so it starts
#: four decades lower, which costs O(d) per value).
ALPHAS: tuple[float, ...] = tuple(float(a) for a in 10.0 ** np.arange(-8.0, 3.01, 0.5))


@dataclass(frozen=True, eq=False)
class CVSplit:
    """One split: statistics of its training and validation rows; ``quad`` is ``shifted_source_quad(val,
    train.mean_x, V)`` when the caller already holds it (it depends on the source rows only)."""

    train: SufficientStats
    val: SufficientStats
    quad: np.ndarray | None = None

    @staticmethod
    def source_quad(train: SufficientStats, val: SufficientStats) -> np.ndarray:
        """The ``quad`` of a split of ``train`` and ``val``: it reads the source rows only, so a caller fitting
        several targets on the same split computes it once."""
        return shifted_source_quad(val, train.mean_x, train.source_eigh()[1])


def shifted_source_quad(val: SufficientStats, mean_x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(dx, dx) ``V^T Sxx' V``: the validation rows' source scatter about ``mean_x`` (the training mean), in the
    training eigenbasis ``v``."""
    n, sx = val.n, val.sum_x
    xx = val.xtx - np.outer(sx, mean_x) - np.outer(mean_x, sx) + n * np.outer(mean_x, mean_x)
    return v.T @ xx @ v


def validation_sse(
    train: SufficientStats, val: SufficientStats, alphas: Sequence[float], quad: np.ndarray | None = None
) -> np.ndarray:
    """(len(alphas),) summed squared error on the ``val`` rows of the affine ridge map fitted on ``train``.

    With ``x' = x - mean_x``, ``y' = y - mean_y`` (train means), the error is ``ssq' - 2 tr(W^T Sxy') +
    tr(W^T Sxx' W)`` over the validation sums; with ``W = V D P`` (``P = V^T Sxy_c``, ``D = diag(1/(w+alpha))``,
    ``w``, ``V`` from ``train.source_eigh()``) both traces are O(d) per alpha once ``P`` and ``quad`` are formed.
    """
    w, v = train.source_eigh(centered=True)
    mx, my, n = train.mean_x, train.mean_y, val.n
    sx, sy = val.sum_x, val.sum_y
    if quad is None:
        quad = shifted_source_quad(val, mx, v)
    xy = val.xty - np.outer(sx, my) - np.outer(mx, sy) + n * np.outer(mx, my)
    ssq = float(val.ssq_y.sum() - 2 * my @ sy + n * my @ my)
    p = v.T @ train.cross_scatter(centered=True)
    cross = np.einsum("ij,ij->i", p, v.T @ xy)
    quad = quad * (p @ p.T)
    out = np.empty(len(alphas))
    for i, alpha in enumerate(alphas):
        d = 1.0 / (w + alpha)
        out[i] = ssq - 2 * d @ cross + d @ quad @ d
    return out


def best_alpha(alphas: Sequence[float], errors: np.ndarray) -> float:
    """The alpha with the lowest error; ties (to 1e-12 relative) go to the larger alpha (the smoother map). An exact
    map's error can come out a rounding error below zero, so the tolerance is relative to its magnitude."""
    order = np.argsort(alphas, kind="stable")
    errors = np.asarray(errors)[order]
    lowest = errors.min()
    best = np.flatnonzero(errors <= lowest + 1e-12 * abs(lowest))
    return float(np.asarray(alphas)[order][int(best[-1])])


def group_folds(sizes: Sequence[int] | np.ndarray, n_splits: int) -> np.ndarray:
    """(len(sizes),) validation split of each group: the largest groups first, each to the lightest split so far
    (scikit-learn's ``GroupKFold`` without shuffling, so the splits are the same)."""
    return deal_groups(np.asarray(sizes), n_splits, np.arange(len(sizes))[::-1])


def _sum(stats: Sequence[SufficientStats]) -> SufficientStats:
    total = stats[0]
    for s in stats[1:]:
        total = total + s
    return total


class AffineRidgeCV(LinearMap):
    """``y ≈ x @ coef_ + intercept_`` by ridge on centred statistics, with ``alpha_`` the penalty of ``alphas`` of
    lowest summed squared validation error over a group K-fold split (groups = people, so no person is both fitted
    and validated on), like scikit-learn's ``RidgeCV(cv=GroupKFold(n_splits))``.

    Parameters
    ----------
    alphas : penalties > 0 to try (default: 1e-8 .. 1e3 in half decades, for L2-normalised embeddings).
    n_splits : validation splits (>= 2). Without groups the rows are split in order, as ``KFold``.
    normalize : L2-normalise X and Y rows before fitting (and X rows before mapping).

    Attributes
    ----------
    alpha_ : the chosen penalty (ties go to the larger alpha).
    cv_errors_ : (len(alphas),) summed validation squared error per alpha.
    coef_, intercept_ : the map refitted on all rows with ``alpha_``.
    """

    #: ``affine`` everywhere (library, ``fit``, ``evaluate --fit``, ``upgrade``); ``affine_cv`` is an alias of it.
    method = "affine"
    _fitted_attrs = (*LinearMap._fitted_attrs, "alpha_", "cv_errors_")

    def __init__(self, *, alphas: Sequence[float] = ALPHAS, n_splits: int = 3, normalize: bool = True) -> None:
        self.alphas = alphas
        self.n_splits = n_splits
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        owner = type(self).__name__
        alphas = check_alphas(self.alphas, owner)
        return {"alphas": alphas, "n_splits": check_int(self.n_splits, "n_splits", owner, 2)}

    def fit(self, X: object, y: object, groups: object = None) -> Self:
        """Fit on rows ``X`` (n, dx), ``y`` (n, dy); ``groups`` (n,) labels the person of each row (None: ``KFold``
        splits of consecutive rows).

        Rows are accumulated in float64 whatever their dtype: the validation error of a small penalty divides by
        the scatter's small eigenvalues, and float32 products (~1e-7 relative) put noise there that made a
        near-zero penalty look best (on 8,704 LFW images, edgeface-xs -> dlib-resnet29: float32 rows chose
        1e-8, float64 rows 3.16)."""
        X, y = as_matrix(X, "X", finite=False), as_target(y, type(self).__name__, finite=False)
        normalize, params = self._checked(X.shape[1], y.shape[1])
        k = params["n_splits"]
        X, y = X.astype(np.float64, copy=False), y.astype(np.float64, copy=False)
        if len(y) != len(X):
            raise InvalidInputError(f"X has {len(X)} rows but y has {len(y)}")
        fold = self._row_folds(len(X), k, groups)
        folds = [SufficientStats.from_arrays(X[fold == f], y[fold == f], normalize=normalize) for f in range(k)]
        return self.fit_fold_stats(folds)

    def fit_many(self, X: object, targets: Sequence[object], groups: object = None) -> list[AffineRidgeCV]:
        """One fitted copy of this estimator per target of ``targets`` ((n, dy_t) each, rows matching ``X``), each as
        ``fit(X, target, groups)`` would fit it, sharing what depends on the source alone: its products, each split's
        source eigendecomposition and validation scatter (for many targets, the source's O(dx^3) work is done once).
        """
        X = as_matrix(X, "X", finite=False)
        ys = [as_target(y, type(self).__name__, finite=False) for y in targets]
        if not ys:
            raise InvalidInputError(f"{type(self).__name__}.fit_many needs at least one target")
        normalize, params = self._checked(X.shape[1], ys[0].shape[1])
        k = params["n_splits"]
        if any(len(y) != len(X) for y in ys):
            raise InvalidInputError(f"X has {len(X)} rows but a target has {[len(y) for y in ys]}")
        fold = self._row_folds(len(X), k, groups)
        X, ys = X.astype(np.float64, copy=False), [y.astype(np.float64, copy=False) for y in ys]  # see ``fit``
        if normalize:  # each target on its own: the targets are normalised apart, then accumulated side by side
            X, ys = l2_normalize_rows(X), [l2_normalize_rows(y) for y in ys]
        joined = np.hstack(ys)
        folds = [SufficientStats.from_arrays(X[fold == f], joined[fold == f]) for f in range(k)]
        for stats in folds:
            stats.normalize = normalize  # the rows were normalised above
        total = _sum(folds)
        trains = [_sum(folds[:i] + folds[i + 1 :]) for i in range(k)]
        quads = [shifted_source_quad(val, t.mean_x, t.source_eigh()[1]) for t, val in zip(trains, folds, strict=True)]
        fitted, start = [], 0
        for y in ys:
            cols = slice(start, start + y.shape[1])
            start = cols.stop
            splits = [CVSplit(t.target_columns(cols), v.target_columns(cols), q)
                      for t, v, q in zip(trains, folds, quads, strict=True)]  # fmt: skip
            fitted.append(type(self)(**self.get_params()).fit_splits(total.target_columns(cols), splits))
        return fitted

    def _row_folds(self, n: int, k: int, groups: object) -> np.ndarray:
        """(n,) validation split of each row: the groups dealt by :func:`group_folds`, or ``KFold``'s consecutive
        blocks without groups."""
        if groups is None:
            if n < k:
                raise InvalidInputError(f"{type(self).__name__}: n_splits={k} needs at least {k} rows (n_samples={n})")
            return np.repeat(np.arange(k), [n // k + (i < n % k) for i in range(k)])
        labels = np.asarray(groups)
        if labels.shape != (n,):
            raise InvalidInputError(f"groups must have one label per row, shape ({n},), got {labels.shape}")
        _, inverse = np.unique(labels, return_inverse=True)
        return self.assign_folds(np.bincount(inverse))[inverse]

    def assign_folds(self, sizes: Sequence[int] | np.ndarray) -> np.ndarray:
        """(len(sizes),) validation split of each group, from the groups' row counts in sorted group order: how
        ``fit`` and ``fit_group_stats`` deal groups, for callers that accumulate per-split statistics themselves."""
        k = self._check_params(1, 1)["n_splits"]
        if len(sizes) < k:
            raise InvalidInputError(f"{type(self).__name__}: n_splits={k} needs at least {k} groups, got {len(sizes)}")
        return group_folds(sizes, k)

    def fit_group_stats(self, stats_by_group: Mapping[Any, SufficientStats]) -> Self:
        """Fit from statistics accumulated per group (person), e.g. streamed or on several machines; the groups are
        dealt into splits like ``fit(..., groups=...)`` with the groups in sorted order."""
        keys = sorted(stats_by_group)
        if not keys:
            raise InvalidInputError("fit_group_stats needs statistics of at least one group")
        first = stats_by_group[keys[0]]
        k = self._checked(first.dx, first.dy)[1]["n_splits"]
        fold = self.assign_folds([stats_by_group[g].n for g in keys])
        return self.fit_fold_stats(
            [_sum([stats_by_group[g] for g, f in zip(keys, fold, strict=True) if f == i]) for i in range(k)]
        )

    def fit_fold_stats(self, folds: Sequence[SufficientStats]) -> Self:
        """Fit from the statistics of each validation split (one per split, ``n_splits`` of them): each split is
        validated on by a map fitted on the others, and the final map is fitted on all of them."""
        folds = list(folds)
        total = _sum(folds)
        splits = [CVSplit(_sum(folds[:i] + folds[i + 1 :]), val) for i, val in enumerate(folds)]
        return self.fit_splits(total, splits)

    def fit_splits(self, stats: SufficientStats, splits: Sequence[CVSplit]) -> Self:
        """Fit on ``stats`` (all rows), choosing alpha on explicit ``splits``: the lowest-level API, for callers
        with their own split rule and precomputed decompositions (``SufficientStats.with_source_eigh``)."""
        params = self._checked(stats.dx, stats.dy)[1]
        if not splits or any(split.train.n < 1 or split.val.n < 1 for split in splits):
            raise InvalidInputError("cross-validation needs splits, each with training and validation rows")
        errors = np.zeros(len(params["alphas"]))
        for split in splits:
            errors += validation_sse(split.train, split.val, params["alphas"], split.quad)
        self.cv_errors_ = errors
        self.alpha_ = best_alpha(params["alphas"], errors)
        return super().fit_stats(stats)

    def fit_stats(self, stats: SufficientStats) -> Self:
        """Refused: choosing alpha needs per-group statistics (``fit_group_stats``) or splits (``fit_splits``)."""
        raise InvalidInputError(
            f"{type(self).__name__} chooses alpha by cross-validation: pass per-group statistics to fit_group_stats "
            "or splits to fit_splits (or use AffineMap with a fixed alpha)"
        )

    def _solve(self, stats: SufficientStats, alphas: tuple[float, ...], n_splits: int) -> tuple[np.ndarray, np.ndarray]:
        w, v = stats.source_eigh(centered=True)
        coef = eigen_solve(w, v, stats.cross_scatter(centered=True), self.alpha_)
        return coef, intercept_for(stats, coef, fit_intercept=True)

    def fitted_attrs(self) -> dict[str, Any]:
        return {**super().fitted_attrs(), "cv_errors_": [float(e) for e in self.cv_errors_]}
