"""Benchmark: fit and migrate on a Dask LocalCluster of 1 and 2 workers against one process.

Synthetic 512-d float32 templates: a source and a target Parquet set of ``--n`` rows with the same ids in the same
order, in row groups of ``--chunk`` rows (chunk ``i`` from ``default_rng([seed, i])``; ``y = x @ A + noise``). The
one-process baselines run in a subprocess with one BLAS thread (each Dask worker has one thread too), so its peak
RSS (``ru_maxrss``) is its own: the streamed fit (``SufficientStats.from_chunks`` over both files' row groups, ids
checked equal, then ``AffineMap.fit_stats``) and ``transform_file`` with ``resume=True`` (what ``migrate`` runs).
The cluster side is ``fit_distributed`` twice, on the target as written (``fit``: chunks with the same ids, fitted
chunk by chunk) and on a copy with its row groups reversed (``fit-shuffle``: joined by a hash shuffle of both files;
its one-process figure is the streamed fit's, which needs no join), and ``transform_distributed``, on a fresh
``LocalCluster`` per worker count and side, timed from submission to result (cluster start-up and the workers' imports
printed apart); each worker's peak RSS is read on the worker with ``client.run``. Printed: rows/s per run, rows
per CPU-second (the workers' CPU time, not the scheduler's or client's: what dedicated cores would do, where wall
time on a shared machine is inflated by other jobs), speed-up against one process and against 1 worker, peak RSS,
and the largest coefficient difference between the distributed and the streamed fit.

Run: ``.venv/bin/python bench/bench_dask.py [--n 262144 (up to 10000000) --chunk 32768 --workers 1,2 --seed 0]``
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
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings import Fingerprint, iter_parquet_batches
from facebridge.embeddings.io import embedding_schema

DIM = 512


def write_sets(folder: Path, n: int, chunk: int, seed: int) -> tuple[Path, Path]:
    """Source and target sets of ``n`` rows, one row group per ``chunk`` rows, written chunk by chunk."""
    a = np.random.default_rng(seed).standard_normal((DIM, DIM), dtype=np.float32) / np.sqrt(DIM)
    paths = folder / "a.parquet", folder / "b.parquet"
    writers = [pq.ParquetWriter(p, embedding_schema(DIM, Fingerprint(f"bench-{p.stem}")), compression="zstd")
               for p in paths]  # fmt: skip
    for i, start in enumerate(range(0, n, chunk)):
        m = min(chunk, n - start)
        rng = np.random.default_rng([seed, i])
        x = rng.standard_normal((m, DIM), dtype=np.float32)
        y = x @ a + 0.1 * rng.standard_normal((m, DIM), dtype=np.float32)
        ids = pa.array([f"p{j // 4}/{j}.jpg" for j in range(start, start + m)], pa.string())
        for writer, v in zip(writers, (x, y), strict=True):
            emb = pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), DIM)
            writer.write_table(pa.Table.from_arrays([ids, emb], schema=writer.schema))
    for writer in writers:
        writer.close()
    return paths


def reordered(path: Path, out: Path) -> Path:
    """``path`` with its row groups in reverse order: the same pairs, but the cluster's fit must join by hash."""
    pf = pq.ParquetFile(path)
    with pq.ParquetWriter(out, pf.schema_arrow, compression="zstd") as writer:
        for group in reversed(range(pf.num_row_groups)):
            writer.write_table(pf.read_row_group(group))
    return out


def streamed_fit(a: Path, b: Path, chunk: int) -> tuple[int, np.ndarray]:
    from facebridge.maps import AffineMap, SufficientStats

    def pairs():
        for (ids_a, x), (ids_b, y) in zip(iter_parquet_batches(a, chunk), iter_parquet_batches(b, chunk), strict=True):
            assert (ids_a == ids_b).all()
            yield x, y

    est = AffineMap()
    est.fit_stats(SufficientStats.from_chunks(pairs(), **est.stats_options(DIM, DIM)))
    return est.n_samples_seen_, est.coef_


def _peak_mb() -> float:
    """This process's peak RSS in MB (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """This process's CPU seconds (user + system): unlike wall time, not inflated by other jobs on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _warm_up() -> None:
    """Import what the tasks need on a worker, so that the first timed task does not pay for it."""
    import facebridge.cluster.fit  # noqa: F401


def child(args: argparse.Namespace) -> None:
    """One baseline in this process: ``fit`` or ``migrate``; prints rows, seconds and peak RSS as JSON."""
    folder = Path(args.folder)
    t0, c0 = time.perf_counter(), _cpu_s()
    if args.side == "fit":
        rows, coef = streamed_fit(folder / "a.parquet", folder / "b.parquet", args.chunk)
        np.save(folder / "coef_streamed.npy", coef)
    else:
        from facebridge.maps.apply import transform_file

        rows = transform_file(folder / "a2b.fbmap", folder / "a.parquet", folder / "one.parquet",
                              batch_rows=args.chunk, resume=True)[1]  # fmt: skip
    seconds, cpu = time.perf_counter() - t0, _cpu_s() - c0
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu_s": cpu, "peak_mb": _peak_mb()}))


def baseline(side: str, folder: Path, chunk: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--child", side, "--folder", str(folder), "--chunk", str(chunk)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.splitlines()[-1])


def on_cluster(workers: int, side: str, folder: Path, chunk: int) -> dict:
    """One side (``fit``, ``fit-shuffle`` or ``migrate``) on a fresh LocalCluster of ``workers`` processes, so that
    the workers' peak RSS is this side's: rows, seconds, the largest worker peak, cluster start-up seconds."""
    from distributed import Client, LocalCluster

    from facebridge.cluster import fit_distributed, transform_distributed
    from facebridge.maps import AffineMap

    t0 = time.perf_counter()
    with (
        LocalCluster(processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm_up)
        startup, t0, c0 = time.perf_counter() - t0, time.perf_counter(), client.run(_cpu_s)
        if side == "migrate":
            out = folder / f"cluster-{workers}.parquet"
            rows = transform_distributed(client, folder / "a2b.fbmap", folder / "a.parquet", out, batch_rows=chunk)[1]
            out.unlink()
        else:
            target = folder / ("b.parquet" if side == "fit" else "b_reordered.parquet")
            done = fit_distributed(client, AffineMap(), folder / "a.parquet", target, batch_rows=chunk)
            rows = done.n_ids
            np.save(folder / f"coef_{side}_{workers}.npy", done.estimator.coef_)
        seconds = time.perf_counter() - t0
        cpu = sum(c - c0[w] for w, c in client.run(_cpu_s).items())
        peak = max(client.run(_peak_mb).values())
    return {"rows": rows, "seconds": seconds, "cpu_s": cpu, "peak_mb": peak, "startup_s": startup}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=262144)
    ap.add_argument("--chunk", type=int, default=32768)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", dest="side", default=None)
    ap.add_argument("--folder")
    args = ap.parse_args()
    if args.side:
        child(args)
        return
    from facebridge.maps import AffineMap, save_map

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        a, _ = write_sets(folder, args.n, args.chunk, args.seed)
        x = np.random.default_rng(args.seed + 1).standard_normal((4 * DIM, DIM))
        spaces = {"source": Fingerprint("bench-a"), "target": Fingerprint("bench-b")}
        save_map(AffineMap().fit(x, x), folder / "a2b.fbmap", **spaces)
        print(f"wrote 2 x {args.n} x {DIM} templates in row groups of {args.chunk} in {time.perf_counter() - t0:.0f} s "
              f"({a.stat().st_size / 2**20:.0f} MiB per file)")  # fmt: skip
        reordered(folder / "b.parquet", folder / "b_reordered.parquet")
        one = {side: baseline(side, folder, args.chunk) for side in ("fit", "migrate")}
        one["fit-shuffle"] = one["fit"]
        sides = ("fit", "fit-shuffle", "migrate")
        counts = [int(w) for w in args.workers.split(",")]
        runs = {w: {side: on_cluster(w, side, folder, args.chunk) for side in sides} for w in counts}
        streamed = np.load(folder / "coef_streamed.npy")
        for side in sides:
            base = one[side]["rows"] / one[side]["seconds"]
            per_cpu = one[side]["rows"] / one[side]["cpu_s"]
            print(f"{side:>11} one process: {base:9.0f} rows/s, {per_cpu:6.0f} rows per CPU-s "
                  f"({one[side]['peak_mb']:.0f} MB peak)")  # fmt: skip
            first = None
            for w, run in runs.items():
                rate = run[side]["rows"] / run[side]["seconds"]
                first = first or rate
                peak, per_cpu = run[side]["peak_mb"], run[side]["rows"] / run[side]["cpu_s"]
                print(f"{side:>11} {w} worker(s):   {rate:9.0f} rows/s, {per_cpu:6.0f} rows per worker CPU-s "
                      f"({peak:.0f} MB peak per worker); speed-up vs one process {rate / base:.2f}, "
                      f"vs 1 worker {rate / first:.2f}")  # fmt: skip
        for w, run in runs.items():
            coefs = [np.load(folder / f"coef_{side}_{w}.npy") for side in ("fit", "fit-shuffle")]
            diff = max(np.abs(c - streamed).max() for c in coefs)
            startup = max(r["startup_s"] for r in run.values())
            print(f"{w} worker(s): cluster start <= {startup:.1f} s; max |coef - streamed coef| {diff:.1e}")

if __name__ == "__main__":
    main()
