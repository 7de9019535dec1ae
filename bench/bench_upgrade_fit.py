"""Benchmark: the fit time of each upgrade map family on the full LFW pool, against ``affine_cv`` (ratio).

What the gain of a family trained for search costs. One map source -> target is fitted on every image (13,233,
each image's person as its group) by each family of ``--methods``, one BLAS thread, best of ``--repeat``; printed:
seconds and the ratio to ``affine_cv`` timed in the same run. Embeddings: a store's (``--store`` with ``--source``
and ``--target``, e.g. the real LFW store) or, by default, the synthetic LFW-shaped sets of ``bench_upgrade.py``
(widest source, 512-d target). A method is labelled as in ``scripts/upgrade_methods.py``
(``NAME[:KEY=VALUE...][+flip]``): ``+flip`` fits on the images and their mirror images, twice the rows (from
``--flip-store``, a store embedded with ``embed --corrupt flip``, where given; else each row plus small noise, since
a fit's time depends on its row count, not on what the rows hold).

Run: ``.venv/bin/python bench/bench_upgrade_fit.py [--store store/lfw-yunet --source edgeface-xs --target
dlib-resnet29 --flip-store store/lfw-flip] [--methods affine_cv,kernel,ensemble,kernel+flip --repeat 1]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench_upgrade import STUDY_DIMS, lfw_shaped
from facebridge.embeddings import read_embeddings
from facebridge.experiments.shared.threads import blas_threads
from facebridge.experiments.upgrade.extra_pairs import fitting_rows, method_label
from facebridge.maps import fit_rows, make_map


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--source", default="edgeface-xs")
    ap.add_argument("--target", default="dlib-resnet29")
    ap.add_argument("--methods", default="affine_cv,affine_mean,softmax,kernel,ensemble,ensemble:weighting=cv,"
                    "affine_cv+flip,kernel+flip")  # fmt: skip
    ap.add_argument("--flip-store", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.store is not None:
        a, b = (read_embeddings(args.store / f"{m}.parquet") for m in (args.source, args.target))
        ids = np.array(sorted(set(a.ids) & set(b.ids)), dtype=object)
        what = f"{args.source} -> {args.target}"
    else:
        sets = lfw_shaped([int(d) for d in STUDY_DIMS.split(",")], args.seed)
        source = max(sets, key=lambda m: sets[m].dim)
        a, b, ids = sets[source], sets["m1"], sets[source].ids
        what = f"synthetic {source} -> m1"
    if args.flip_store is not None:
        mirrors = [read_embeddings(args.flip_store / f"{m}.parquet") for m in (args.source, args.target)]
    else:
        rng = np.random.default_rng(args.seed)
        mirrors = [type(e)(e.ids, e.vectors + 0.01 * rng.normal(size=e.vectors.shape), e.fingerprint) for e in (a, b)]
    x, (y,), groups = fitting_rows(ids, a, [b])
    xf, (yf,), groups_f = fitting_rows(ids, a, [b], mirrors)
    print(f"{what}: {len(ids)} images of {len(set(groups))} people, {x.shape[1]} -> {y.shape[1]} dims; "
          f"+flip: {len(xf)} rows")  # fmt: skip
    methods = args.methods.split(",")
    if "affine_cv" not in methods:
        methods.insert(0, "affine_cv")
    times = {}
    with blas_threads(1):
        for method in methods:
            name, params, flip = method_label(method)
            rows = (xf, yf, groups_f) if flip else (x, y, groups)
            best = np.inf
            for _ in range(args.repeat):
                start = time.perf_counter()
                fit_rows(make_map(name, **params), *rows)
                best = min(best, time.perf_counter() - start)
            times[method] = best
    for method, t in times.items():
        print(f"{method:24s} {t:8.2f} s  x{t / times['affine_cv']:.1f} affine_cv")


if __name__ == "__main__":
    main()
