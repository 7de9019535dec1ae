"""Benchmark: ``reproduce``'s model-upgrade stage on synthetic embeddings shaped like LFW, and what sharing a source's
work across its targets saves.

Synthetic LFW: 13,233 images of 5,749 people (4,069 with one image, the rest heavy-tailed), seen by one model per
``--dims`` entry (default: the eight study models' dimensions) as a seeded random linear view of a shared identity
vector plus noise. First, for the widest source, its ``affine_cv`` maps to every other model on one fold's training
rows: ``AffineRidgeCV.fit_many`` (all targets at once) against one ``fit`` per target; the maps are compared.
Then the stage itself (:func:`facebridge.experiments.reproduce.run_upgrade`, one BLAS thread): every ordered pair x
5 folds, or ``--quick`` (3 folds, the first model's pairs). Printed: both fit times and their ratio, the stage's
time per source and in all.

Run: ``.venv/bin/python bench/bench_upgrade.py [--dims 128,512,512,512,1024,128,128,256 --quick --seed 0]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.experiments.reproduce import UPGRADE, UPGRADE_QUICK, run_upgrade
from facebridge.experiments.shared.threads import blas_threads
from facebridge.maps import AffineRidgeCV
from facebridge.protocols import person_of
from facebridge.protocols.identification import identification_split

STUDY_DIMS = "128,512,512,512,1024,128,128,256"


def lfw_shaped(dims: list[int], seed: int) -> dict[str, EmbeddingSet]:
    """One set per model ``m0, m1, ...`` over 13,233 ids ``P#####/P#####_####.jpg`` of 5,749 people."""
    rng = np.random.default_rng(seed)
    extra = np.minimum(rng.pareto(1.0, 1680), 500)
    multi = 2 + np.floor(extra * (13233 - 4069 - 2 * 1680) / extra.sum()).astype(int)
    multi[np.argmax(multi)] += 13233 - 4069 - multi.sum()
    counts = [1] * 4069 + multi.tolist()
    ids = np.array([f"P{p:05d}/P{p:05d}_{i + 1:04d}.jpg" for p, c in enumerate(counts) for i in range(c)], object)
    person = np.repeat(np.arange(len(counts)), counts)
    z = rng.normal(size=(len(counts), 64))[person] + 0.5 * rng.normal(size=(len(ids), 64))
    sets = {}
    for j, d in enumerate(dims):
        v = z @ rng.normal(size=(64, d)) + 0.3 * rng.normal(size=(len(ids), d))
        sets[f"m{j}"] = EmbeddingSet(ids, v.astype(np.float32), Fingerprint(f"m{j}"))
    return sets


def fit_ratio(sets: dict[str, EmbeddingSet]) -> None:
    source = max(sets, key=lambda m: sets[m].dim)
    split = identification_split(sets[source].ids, n_folds=5, seed=0)
    ids = split.train_ids(0)
    x, groups = sets[source].vectors_of(ids), [person_of(i) for i in ids]
    ys = [sets[t].vectors_of(ids) for t in sets if t != source]
    with blas_threads(1):
        start = time.perf_counter()
        one = [AffineRidgeCV().fit(x, y, groups=groups) for y in ys]
        apart = time.perf_counter() - start
        start = time.perf_counter()
        many = AffineRidgeCV().fit_many(x, ys, groups=groups)
        together = time.perf_counter() - start
    gap = max(float(np.abs(a.coef_ - b.coef_).max()) for a, b in zip(one, many, strict=True))
    same = all(a.alpha_ == b.alpha_ for a, b in zip(one, many, strict=True))
    print(
        f"{source} ({sets[source].dim}-d) to {len(ys)} targets on {len(ids)} rows: one fit each {apart:.1f} s, "
        f"fit_many {together:.1f} s, ratio {apart / together:.1f}x; same alphas: {same}, max coef gap {gap:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default=STUDY_DIMS, help="comma-separated model dimensions")
    parser.add_argument("--quick", action="store_true", help="reproduce --quick's stage: 3 folds, first model's pairs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sets = lfw_shaped([int(d) for d in args.dims.split(",")], args.seed)
    fit_ratio(sets)
    started = time.perf_counter()
    last = {"t": started}

    def progress(stage: str, done: float, total: float) -> None:
        now = time.perf_counter()
        print(f"  pair {int(done)}/{int(total)}: {now - last['t']:.1f} s", flush=True)
        last["t"] = now

    up = run_upgrade(sets, list(sets), UPGRADE_QUICK if args.quick else UPGRADE, args.seed, progress)
    split = up["split"]
    print(f"upgrade stage: {len(up['pairs'])} pairs x {split['n_folds']} folds on {split['n_images']} images in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
