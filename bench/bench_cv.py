"""Benchmark: fit + CV of the penalty of every ordered map between synthetic models, AffineRidgeCV vs scikit-learn.

``--models`` synthetic ``--dim``-d models (default 8 x 512) embed the same ``--rows`` images (default 9,000) of
``--people`` people: each model is a seeded random linear view of a shared identity vector plus noise, rows
L2-normalised. For every ordered pair (56 maps) the penalty is chosen from ``ALPHAS`` by 3-fold ``GroupKFold``
(groups = people) on the summed squared validation error, then the map is fitted on all rows.

facebridge: per-split statistics of all models at once, then ``AffineRidgeCV.fit_splits`` per map, with each
source's split eigendecompositions and validation scatters shared by its targets (``with_source_eigh``).
scikit-learn: ``GridSearchCV(Ridge(), alphas, cv=GroupKFold(3))`` per map (refit on all rows). The chosen alphas
are compared. Prints both wall times and their ratio.

Run: ``.venv/bin/python bench/bench_cv.py [--models 8 --dim 512 --rows 9000 --people 1500 --seed 0]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold

from facebridge.maps import ALPHAS, AffineRidgeCV, CVSplit, SufficientStats
from facebridge.maps.ridge_cv import group_folds, shifted_source_quad
from facebridge.maps.stats import psd_eigh


def synthetic_models(n_models: int, dim: int, rows: int, people: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    person = rng.integers(0, people, rows)
    identity = rng.normal(size=(people, 64))[person] + 0.3 * rng.normal(size=(rows, 64))
    models = []
    for _ in range(n_models):
        v = identity @ rng.normal(size=(64, dim)) + 0.5 * rng.normal(size=(rows, dim))
        models.append(v / np.linalg.norm(v, axis=1, keepdims=True))
    return models, person


def facebridge_fit(models: list[np.ndarray], person: np.ndarray, k: int = 3) -> dict[tuple[int, int], float]:
    _, inverse = np.unique(person, return_inverse=True)
    fold = group_folds(np.bincount(inverse), k)[inverse]
    # Each split's moments of all models side by side: one pass over the rows.
    z = np.hstack(models)
    dims = np.cumsum([0] + [m.shape[1] for m in models])
    parts = [(z[fold == f].T @ z[fold == f], z[fold == f].sum(axis=0), int((fold == f).sum())) for f in range(k)]

    def stats(s: int, t: int, keep: list[int]) -> SufficientStats:
        zz = sum(parts[f][0] for f in keep)
        zs = sum(parts[f][1] for f in keep)
        xs, ys = slice(dims[s], dims[s + 1]), slice(dims[t], dims[t + 1])
        return SufficientStats(
            sum(parts[f][2] for f in keep), zs[xs], zs[ys], zz[xs, xs], zz[xs, ys], np.diagonal(zz[ys, ys]), None, True
        )

    chosen = {}
    for s in range(len(models)):
        eigh: dict[tuple[int, ...], tuple] = {}
        quads: dict[int, np.ndarray] = {}
        for t in range(len(models)):
            if t == s:
                continue
            splits = []
            for f in range(k):
                keep = tuple(g for g in range(k) if g != f)
                train, val = stats(s, t, list(keep)), stats(s, t, [f])
                if keep not in eigh:
                    eigh[keep] = psd_eigh(train.scatter(centered=True).xx)
                train.with_source_eigh(lambda centered, e=eigh[keep]: e)
                if f not in quads:
                    quads[f] = shifted_source_quad(val, train.mean_x, eigh[keep][1])
                splits.append(CVSplit(train, val, quads[f]))
            full = stats(s, t, list(range(k)))
            chosen[(s, t)] = AffineRidgeCV(alphas=ALPHAS, n_splits=k).fit_splits(full, splits).alpha_
    return chosen


def sklearn_fit(models: list[np.ndarray], person: np.ndarray, k: int = 3) -> dict[tuple[int, int], float]:
    chosen = {}
    for s, x in enumerate(models):
        for t, y in enumerate(models):
            if t != s:
                search = GridSearchCV(
                    Ridge(), {"alpha": list(ALPHAS)}, cv=GroupKFold(k), scoring="neg_mean_squared_error"
                )
                chosen[(s, t)] = float(search.fit(x, y, groups=person).best_params_["alpha"])
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=8)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    models, person = synthetic_models(args.models, args.dim, args.rows, args.people, args.seed)
    n_maps = args.models * (args.models - 1)
    start = time.perf_counter()
    ours = facebridge_fit(models, person)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = sklearn_fit(models, person)
    t_theirs = time.perf_counter() - start
    agree = sum(ours[key] == theirs[key] for key in ours)
    print(f"{n_maps} maps, {args.models} models x {args.dim}-d, {args.rows} rows, {args.people} people, 3 group folds")
    print(f"facebridge AffineRidgeCV (shared decompositions): {t_ours:8.2f} s")
    print(f"scikit-learn GridSearchCV(Ridge, GroupKFold):     {t_theirs:8.2f} s")
    print(f"ratio sklearn / facebridge: {t_theirs / t_ours:.1f}x; same alpha chosen on {agree}/{n_maps} maps")


if __name__ == "__main__":
    main()
