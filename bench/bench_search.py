"""Benchmark: 1:N search with FAISS (exact ``IndexFlatIP`` and approximate HNSW) against numpy brute force.

A synthetic gallery of ``--n`` unit 512-d float32 templates (seeded) and ``--probes`` probes, each a noisy copy of a
gallery entry; top ``--k`` by cosine. Brute force is a chunked float32 matmul plus ``argpartition``. Printed: time
per side, the speed-up ratio against brute force, and recall@k against brute force (exact should be 1.0 up to
float ties). HNSW build time is printed apart from its search time.

Run: ``.venv/bin/python bench/bench_search.py [--n 1000000 --dim 512 --probes 1000 --k 10 --seed 0]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from facebridge.embeddings.search import build_index, recall_at_k, unit_float32


def data(n: int, dim: int, probes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gallery = np.empty((n, dim), np.float32)
    for start in range(0, n, 65536):
        gallery[start : start + 65536] = rng.standard_normal((min(65536, n - start), dim), dtype=np.float32)
    gallery = unit_float32(gallery)
    picks = rng.integers(0, n, probes)
    noisy = gallery[picks] + 0.05 * rng.standard_normal((probes, dim), dtype=np.float32)
    return gallery, unit_float32(noisy)


def brute_force(gallery: np.ndarray, probes: np.ndarray, k: int, chunk: int = 262144) -> np.ndarray:
    """Top-k rows per probe by chunked matmul: the baseline."""
    best_s = np.full((len(probes), k), -np.inf, np.float32)
    best_i = np.zeros((len(probes), k), np.int64)
    for start in range(0, len(gallery), chunk):
        s = probes @ gallery[start : start + chunk].T
        top = np.argpartition(-s, min(k, s.shape[1] - 1), axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, top + start], axis=1)
        keep = np.argsort(-cand_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, keep, axis=1), np.take_along_axis(cand_i, keep, axis=1)
    return best_i


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--probes", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ef-search", type=int, default=128)
    args = ap.parse_args()
    gallery, probes = data(args.n, args.dim, args.probes, args.seed)
    print(f"gallery {args.n} x {args.dim}, {args.probes} probes, k={args.k}")
    ref, t_brute = timed(lambda: brute_force(gallery, probes, args.k))
    print(f"numpy brute force      search {t_brute:8.2f} s")
    exact, t_build = timed(lambda: build_index(gallery, "exact"))
    (_, rows), t_exact = timed(lambda: exact.search(probes, args.k))
    print(f"faiss exact (FlatIP)   search {t_exact:8.2f} s  build {t_build:6.2f} s  "
          f"ratio {t_brute / t_exact:5.2f}x  recall@{args.k} {recall_at_k(rows, ref):.4f}")  # fmt: skip
    hnsw, t_build = timed(lambda: build_index(gallery, "hnsw", ef_search=args.ef_search))
    (_, rows), t_hnsw = timed(lambda: hnsw.search(probes, args.k))
    print(f"faiss HNSW (M=32, ef={args.ef_search}) search {t_hnsw:8.2f} s  build {t_build:6.2f} s  "
          f"ratio {t_brute / t_hnsw:5.2f}x  recall@{args.k} {recall_at_k(rows, ref):.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
