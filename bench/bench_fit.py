"""Benchmark: streamed ridge fit (sufficient statistics) vs scikit-learn ``Ridge`` on 1,000,000 pairs 512 -> 512.

Synthetic L2-normalised float32 pairs ``Y = unit(unit(X) @ A + noise)`` are generated chunk by chunk from a seeded
RNG (chunk ``i`` from ``default_rng([seed, i])``), so both sides see identical data. The streamed fit never holds
more than one chunk; scikit-learn needs the whole arrays, materialised first. Data generation is timed apart and
excluded from both fit times. Each run is a separate subprocess, so its peak RSS (``ru_maxrss``) is its own:
the streamed fit also runs at n/4 to show its memory does not grow with n. A float64-accumulated streamed fit is
the accuracy reference. Fit times are wall clock and process CPU time (all BLAS threads), the latter steadier on a
shared machine. Goal: streamed >= 3x faster than scikit-learn.

A last run times the bare BLAS products ``X^T X`` (ssyrk) and ``X^T Y`` (sgemm) on the same chunks: scikit-learn's
cholesky solver computes exactly these, in float32, and so does the streamed fit (plus O(n d) sums of each chunk),
so neither can beat that floor; the speed-up can only come from what scikit-learn does above it.

On a busy machine, ``--threads 1`` gives every run one BLAS thread: CPU times then measure work, not waiting.

Run: ``.venv/bin/python bench/bench_fit.py [--n 1000000 --dim 512 --chunk 65536 --alpha 1.0 --seed 0 --threads N]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from facebridge.maps import RidgeMap, SufficientStats


def unit_rows_(a: np.ndarray) -> np.ndarray:
    """Scale the rows of ``a`` to unit norm in place (no temporary of ``a``'s size)."""
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    return a


def chunks(n: int, dim: int, chunk: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Deterministic float32 ``(X, Y)`` chunks covering ``n`` rows, each one independent of the others."""
    mixing = np.random.default_rng(seed).normal(size=(dim, dim)).astype(np.float32) / np.float32(np.sqrt(dim))
    for i, start in enumerate(range(0, n, chunk)):
        rng = np.random.default_rng([seed, i])
        m = min(chunk, n - start)
        X = rng.standard_normal((m, dim), dtype=np.float32)
        X += np.float32(0.2)
        Y = unit_rows_(X) @ mixing
        noise = rng.standard_normal((m, dim), dtype=np.float32)
        noise *= np.float32(0.05)
        Y += noise
        del noise
        yield X, unit_rows_(Y)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed_chunks(args: argparse.Namespace, n: int, clock: dict[str, float]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``chunks`` with the time spent generating them added to ``clock["gen"]``."""
    stream = chunks(n, args.dim, args.chunk, args.seed)
    while True:
        start = time.perf_counter()
        pair = next(stream, None)
        clock["gen"] += time.perf_counter() - start
        if pair is None:
            return
        yield pair
        del pair  # let the consumed chunk go before the next one is generated


def worker(kind: str, n: int, args: argparse.Namespace, out: Path) -> dict[str, float]:
    """One measurement in this (fresh) process: generation seconds, fit seconds, peak RSS; saves coef to ``out``.

    ``floor`` times only the two products every exact fit needs and saves no coefficients.
    """
    if kind == "sklearn":
        from sklearn.linear_model import Ridge  # imported before the baseline, as facebridge is

    baseline = peak_rss_mib()
    clock = {"gen": 0.0, "fit": 0.0, "fit_cpu": 0.0}
    if kind == "sklearn":
        X = np.empty((n, args.dim), np.float32)
        Y = np.empty((n, args.dim), np.float32)
        for i, (x, y) in enumerate(timed_chunks(args, n, clock)):
            X[i * args.chunk : i * args.chunk + len(x)], Y[i * args.chunk : i * args.chunk + len(y)] = x, y
        start, cpu = time.perf_counter(), time.process_time()
        coef = Ridge(alpha=args.alpha, fit_intercept=False).fit(X, Y).coef_.T
        clock["fit"], clock["fit_cpu"] = time.perf_counter() - start, time.process_time() - cpu
    elif kind == "floor":
        for x, y in timed_chunks(args, n, clock):
            start, cpu = time.perf_counter(), time.process_time()
            _ = (x.T @ x, x.T @ y)
            clock["fit"] += time.perf_counter() - start
            clock["fit_cpu"] += time.process_time() - cpu
        return {**clock, "peak_mib": peak_rss_mib(), "baseline_mib": baseline}
    else:
        stats = SufficientStats.zeros(args.dim, args.dim)
        for x, y in timed_chunks(args, n, clock):
            if kind == "streamed64":
                x, y = x.astype(np.float64), y.astype(np.float64)
            start, cpu = time.perf_counter(), time.process_time()
            stats.update(x, y)
            clock["fit"] += time.perf_counter() - start
            clock["fit_cpu"] += time.process_time() - cpu
            del x, y
        start, cpu = time.perf_counter(), time.process_time()
        coef = RidgeMap(alpha=args.alpha, normalize=False).fit_stats(stats).coef_
        clock["fit"] += time.perf_counter() - start
        clock["fit_cpu"] += time.process_time() - cpu
    np.save(out, np.asarray(coef, dtype=np.float64))
    return {**clock, "peak_mib": peak_rss_mib(), "baseline_mib": baseline}


def run_worker(kind: str, n: int, args: argparse.Namespace, out: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--worker", kind, "--worker-n", str(n), "--worker-out", str(out)]
    cmd += ["--dim", str(args.dim), "--chunk", str(args.chunk), "--alpha", str(args.alpha), "--seed", str(args.seed)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads)) if args.threads else None
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="BLAS threads for every run (default: OpenBLAS's own choice)")
    parser.add_argument("--worker", choices=["streamed", "streamed64", "sklearn", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--worker-n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.worker_n, args, args.worker_out)))
        return

    need_gib = 2 * args.n * args.dim * 4 / 2**30
    print(
        f"streamed RidgeMap vs sklearn Ridge(alpha={args.alpha}, fit_intercept=False, solver='auto'): "
        f"n={args.n:,}, {args.dim} -> {args.dim}, float32 data ({need_gib:.1f} GiB for sklearn), "
        f"chunk={args.chunk:,}, {os.cpu_count()} CPUs, BLAS threads {args.threads or 'default'}, "
        f"load avg {os.getloadavg()[0]:.2f}"
    )
    runs = [
        ("streamed", args.n, f"streamed n={args.n:,}"),
        ("streamed", args.n // 4, f"streamed n={args.n // 4:,}"),
        ("sklearn", args.n, f"sklearn n={args.n:,}"),
        ("streamed64", args.n, f"float64 ref n={args.n:,}"),
        ("floor", args.n, f"BLAS floor n={args.n:,}"),
    ]
    results, coefs = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (kind, n, label) in enumerate(runs):
            out = Path(tmp) / f"coef{i}.npy"
            results[label] = run_worker(kind, n, args, out)
            if out.exists():
                coefs[label] = np.load(out, allow_pickle=False)
    width = max(len(label) for label in results) + 2
    print(f"{'':<24}" + "".join(f"{label:>{width}}" for label in results))
    rows = [
        ("data generation [s]", "gen", "{:.2f}"),
        ("fit wall [s]", "fit", "{:.2f}"),
        ("fit CPU, all threads [s]", "fit_cpu", "{:.2f}"),
        ("peak RSS [MiB]", "peak_mib", "{:.0f}"),
        ("RSS after imports [MiB]", "baseline_mib", "{:.0f}"),
    ]
    for name, key, fmt in rows:
        print(f"{name:<24}" + "".join(f"{fmt.format(r[key]):>{width}}" for r in results.values()))
    streamed, quarter, sk, _, floor = results.values()
    c_streamed, _, c_sk, c_ref = coefs.values()
    print(
        f"speed-up, sklearn fit / streamed fit: {sk['fit'] / streamed['fit']:.2f}x wall, "
        f"{sk['fit_cpu'] / streamed['fit_cpu']:.2f}x CPU (goal >= 3x)"
    )
    above_sk, above_ours = sk["fit_cpu"] - floor["fit_cpu"], streamed["fit_cpu"] - floor["fit_cpu"]
    print(
        f"BLAS floor (X^T X by ssyrk + X^T Y by sgemm, float32, nothing else): {floor['fit_cpu']:.2f} s CPU; "
        f"above it: sklearn {above_sk:+.2f} s, streamed {above_ours:+.2f} s; load avg now {os.getloadavg()[0]:.2f}"
    )
    if above_ours < 0:
        print(
            "warning: the streamed fit, which includes the floor's products, measured below the floor: the machine "
            "was too busy for these timings to be trusted (try --threads 1)"
        )
    need = 2 * floor["fit_cpu"] + 3 * above_ours
    verdict = "it is, so the goal is met" if sk["fit_cpu"] >= 3 * streamed["fit_cpu"] else "it is not"
    print(
        "Note: both fits spend most of their time in the same two float32 BLAS products, which no exact fit can "
        "skip, and the streamed fit adds little to them; the speed-up comes only from sklearn's work above that "
        "floor: mostly copying X and Y into fresh memory (copy_X=True; y is always copied), then its input checks "
        f"and the solve. 3x needs that work to reach 2x the floor + 3x ours = {need:.1f} s CPU; {verdict}."
    )
    growth = streamed["peak_mib"] - quarter["peak_mib"]
    print(f"streamed peak RSS, n vs n/4: {streamed['peak_mib']:.0f} vs {quarter['peak_mib']:.0f} MiB ({growth:+.0f})")
    print(
        "max |coef difference| / max |coef|: "
        f"streamed vs sklearn {rel_diff(c_streamed, c_sk):.1e}, "
        f"streamed vs float64 ref {rel_diff(c_streamed, c_ref):.1e}, "
        f"sklearn vs float64 ref {rel_diff(c_sk, c_ref):.1e}"
    )


if __name__ == "__main__":
    main()
