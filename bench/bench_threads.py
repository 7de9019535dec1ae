"""Benchmark: how well the study's dense linear algebra runs on its threads (one BLAS thread each).

The study runs independent units (sources; draws and folds) on threads that share one copy of its moments, so a
decomposition that holds Python's GIL runs one at a time however many threads there are. This times each kernel the
study calls, of the study's sizes (a 1,024-square eigenproblem, a 512-square SVD, a 1,024-square Cholesky factor, a
1,200 x 1,536 by 1,536 x 512 product), once on one thread and then on ``--threads`` threads at once, and prints the
speedup (ideal: the thread count). It shows why ``maps.stats.symmetric_eigh`` calls numpy's ``eigh``, not scipy's,
and the Procrustes map numpy's ``svd``.

Run: ``.venv/bin/python bench/bench_threads.py [--threads 2 --repeats 3]``
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable

import numpy as np
from scipy import linalg
from threadpoolctl import threadpool_limits


def _kernels(rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    rows = rng.normal(size=(3000, 1024))
    sym = rows.T @ rows
    square, wide, tall = rng.normal(size=(512, 512)), rng.normal(size=(1200, 1536)), rng.normal(size=(1536, 512))
    spd = sym + np.eye(1024)
    return {
        "eigh 1024 numpy (syevd)": lambda: np.linalg.eigh(sym),
        "eigh 1024 scipy (syevr)": lambda: linalg.eigh(sym),
        "eigh 1024 scipy (syevd)": lambda: linalg.eigh(sym, driver="evd"),
        "svd 512 numpy": lambda: np.linalg.svd(square),
        "svd 512 scipy": lambda: linalg.svd(square),
        "cholesky 1024 scipy": lambda: linalg.cho_factor(spd),
        "matmul 1200x1536x512": lambda: wide @ tall,
    }


def _seconds(fn: Callable[[], object], calls: int, threads: int) -> float:
    """Wall seconds for ``threads`` threads each making ``calls`` calls of ``fn``, all started together."""

    def run() -> None:
        for _ in range(calls):
            fn()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=4, help="calls per thread per timing")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    args = parser.parse_args()
    with threadpool_limits(1):
        for name, fn in _kernels(np.random.default_rng(0)).items():
            fn()  # warm up
            one = min(_seconds(fn, args.calls, 1) for _ in range(args.repeats))
            many = min(_seconds(fn, args.calls, args.threads) for _ in range(args.repeats))
            speedup = args.threads * one / many
            print(f"{name:26s} {1000 * one / args.calls:8.1f} ms/call alone, {speedup:.2f}x on {args.threads} threads")


if __name__ == "__main__":
    main()
