"""Benchmark: ``migrate`` (the chunked, checkpointed, atomic map application) against a plain numpy
read-matmul-write loop over the same Parquet file.

A synthetic gallery of ``--n`` 512-d float32 templates is written in row groups of ``--chunk`` rows with a
facebridge fingerprint, and an affine 512 -> 512 map file is saved. Each side runs in its own subprocess so that
its peak RSS (``ru_maxrss``) is its own: the baseline reads each row group with pyarrow, multiplies in numpy and
writes it with a ``ParquetWriter`` (no checkpoint, no atomic rename); ``migrate`` runs
:func:`facebridge.maps.apply.transform_file` with ``resume=True``. ``migrate`` also runs at n/4: peak memory flat in
n means bounded by one chunk. Printed: rows/s per side, the throughput ratio, and peak RSS.

Run: ``.venv/bin/python bench/bench_migrate.py [--n 10000000 --dim 512 --chunk 65536 --seed 0]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings import Fingerprint
from facebridge.embeddings.io import embedding_schema


def write_gallery(path: Path, n: int, dim: int, chunk: int, seed: int) -> None:
    schema = embedding_schema(dim, Fingerprint("bench-a"))
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for i, start in enumerate(range(0, n, chunk)):
            m = min(chunk, n - start)
            v = np.random.default_rng([seed, i]).standard_normal((m, dim), dtype=np.float32)
            ids = pa.array([f"p{j}/0.jpg" for j in range(start, start + m)], pa.string())
            emb = pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), dim)
            writer.write_table(pa.Table.from_arrays([ids, emb], schema=schema))


def write_map(path: Path, dim: int, seed: int) -> None:
    from facebridge.maps import make_map, save_map

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4 * dim, dim))
    y = x @ rng.standard_normal((dim, dim)) / np.sqrt(dim)
    save_map(make_map("affine").fit(x, y), path, source=Fingerprint("bench-a"), target=Fingerprint("bench-b"))


def run_baseline(map_path: Path, src: Path, out: Path) -> int:
    """Plain loop: read a row group, matmul, write it."""
    from facebridge.maps import load_map

    est = load_map(map_path).estimator
    coef, intercept = est.coef_.astype(np.float32), est.intercept_.astype(np.float32)
    pf = pq.ParquetFile(src)
    n = 0
    writer = None
    for g in range(pf.num_row_groups):
        t = pf.read_row_group(g)
        dim = t.schema.field("embedding").type.list_size
        v = t.column("embedding").combine_chunks().flatten().to_numpy().reshape(-1, dim)
        v = v / np.linalg.norm(v, axis=1, keepdims=True)
        y = (v @ coef + intercept).astype(np.float32)
        emb = pa.FixedSizeListArray.from_arrays(pa.array(y.ravel()), y.shape[1])
        table = pa.Table.from_arrays([t.column("id"), emb], names=["id", "embedding"])
        writer = writer or pq.ParquetWriter(out, table.schema, compression="zstd")
        writer.write_table(table)
        n += len(y)
    writer.close()
    return n


def run_migrate(map_path: Path, src: Path, out: Path, chunk: int) -> int:
    from facebridge.maps.apply import transform_file

    return transform_file(map_path, src, out, batch_rows=chunk, resume=True)[1]


def child(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    if args.side == "baseline":
        n = run_baseline(Path(args.map), Path(args.src), Path(args.out))
    else:
        n = run_migrate(Path(args.map), Path(args.src), Path(args.out), args.chunk)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": n, "seconds": seconds, "peak_mb": peak_mb}))


def spawn(side: str, map_path: Path, src: Path, out: Path, chunk: int) -> dict:
    cmd = [sys.executable, __file__, "--child", side, "--map", str(map_path), "--src", str(src), "--out", str(out),
           "--chunk", str(chunk)]  # fmt: skip
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--chunk", type=int, default=65536)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--child", dest="side", default=None)
    ap.add_argument("--map")
    ap.add_argument("--src")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.side:
        child(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        map_path = tmp / "a2b.fbmap"
        write_map(map_path, args.dim, args.seed)
        results = {}
        for label, n in (("n/4", args.n // 4), ("n", args.n)):
            src = tmp / f"gallery-{n}.parquet"
            write_gallery(src, n, args.dim, args.chunk, args.seed)
            results[label] = {
                side: spawn(side, map_path, src, tmp / f"{side}-{n}.parquet", args.chunk)
                for side in ("baseline", "migrate")
            }
            for side in ("baseline", "migrate"):
                (tmp / f"{side}-{n}.parquet").unlink()
            src.unlink()
        for label, sides in results.items():
            b, m = sides["baseline"], sides["migrate"]
            print(f"{label:>4} = {m['rows']:>9} rows: baseline {b['rows'] / b['seconds']:9.0f} rows/s "
                  f"({b['peak_mb']:.0f} MB peak), migrate {m['rows'] / m['seconds']:9.0f} rows/s "
                  f"({m['peak_mb']:.0f} MB peak); throughput ratio migrate/baseline "
                  f"{(m['rows'] / m['seconds']) / (b['rows'] / b['seconds']):.2f}")  # fmt: skip
        growth = results["n"]["migrate"]["peak_mb"] / results["n/4"]["migrate"]["peak_mb"]
        print(f"migrate peak memory at n / at n/4: {growth:.2f} (1.0 = flat in n)")


if __name__ == "__main__":
    main()
