"""Benchmark and check: dlib-resnet29 on ONNX Runtime (the default engine) against dlib's own runtime (the reference).

``--images`` LFW images (a seeded sample, ``--seed``) are decoded, detected with YuNet and aligned to dlib's 150x150
chip beforehand, as ``facebridge embed`` does; both engines then embed the same chips with one runtime thread, in
alternating chunks so that other load on the machine hits both alike. Printed: the per-image cosine between the two
(goal: >= 0.9999 for every image), the largest absolute difference, and each engine's ms/image in process CPU time
and wall time (goal: ONNX Runtime >= 3x faster).

With ``--stores A B`` it instead compares two embedding stores' ``dlib-resnet29.parquet`` (e.g. a full LFW store
embedded with each engine): per-image cosine on the shared ids, and each one's native LFW View 2 accuracy.

Run: ``.venv/bin/python bench/bench_dlib_onnx.py [--images 1000 --seed 0 --chunk 100]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_pipeline import aligned_crops
from facebridge.extraction.detect import detect_images, make_detector
from facebridge.faces import DetectionCache
from facebridge.images import list_images
from facebridge.models import load_model, resolve_models_dir
from facebridge.paths import default_data_dir

MODEL = "dlib-resnet29"
COSINE_GOAL = 0.9999
SPEED_GOAL = 3.0


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-row cosine of two (n, d) arrays."""
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def summary(cos: np.ndarray) -> str:
    low = int((cos < COSINE_GOAL).sum())
    return (
        f"cosine min {cos.min():.7f}, 0.1% {np.quantile(cos, 0.001):.7f}, median {np.median(cos):.7f}; "
        f"{low} of {len(cos)} below {COSINE_GOAL} (goal: none): {'met' if low == 0 else 'NOT met'}"
    )


def compare_engines(args: argparse.Namespace) -> None:
    models_dir = resolve_models_dir(None)
    root = default_data_dir(args.data) / "lfw" / "images"
    every = list_images(root)
    rng = np.random.default_rng(args.seed)
    ids = sorted(every[i] for i in rng.choice(len(every), size=min(args.images, len(every)), replace=False))
    print(f"{os.cpu_count()} CPUs, load {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {len(ids)} LFW images")
    with tempfile.TemporaryDirectory(prefix="bench_dlib_onnx_") as tmp:
        detect_images(ids, root, make_detector("yunet", models_dir), Path(tmp), chunk_size=256, fallback=True)
        chips = aligned_crops(MODEL, ids, root, DetectionCache.load(Path(tmp) / "detections-yunet.parquet"))
    engines = {e: load_model(MODEL, models_dir, num_threads=1, engine=e) for e in ("onnxruntime", "dlib")}
    out: dict[str, list[np.ndarray]] = {e: [] for e in engines}
    cpu, wall = dict.fromkeys(engines, 0.0), dict.fromkeys(engines, 0.0)
    for model in engines.values():
        model.embed(chips[:8])  # warm-up
    for start in range(0, len(chips), args.chunk):
        for engine, model in engines.items():
            c, w = time.process_time(), time.perf_counter()
            out[engine].append(model.embed(chips[start : start + args.chunk]))
            cpu[engine] += time.process_time() - c
            wall[engine] += time.perf_counter() - w
    ours, ref = np.concatenate(out["onnxruntime"]), np.concatenate(out["dlib"])
    n = len(chips)
    print(summary(cosines(ours, ref)) + f"; max |difference| {np.abs(ours - ref).max():.2e}")
    for engine in engines:
        print(f"{engine:<12} {cpu[engine] / n * 1e3:8.2f} ms/image CPU {wall[engine] / n * 1e3:8.2f} ms/image wall")
    ratio = cpu["dlib"] / cpu["onnxruntime"]
    print(f"onnxruntime is {ratio:.1f}x faster in CPU time, {wall['dlib'] / wall['onnxruntime']:.1f}x in wall time "
          f"(goal >= {SPEED_GOAL}x: {'met' if ratio >= SPEED_GOAL else 'NOT met'})")  # fmt: skip


def compare_stores(args: argparse.Namespace) -> None:
    from facebridge.embeddings import read_embeddings
    from facebridge.experiments.verification.native import METRICS, native_accuracy
    from facebridge.protocols import parse_lfw_pairs

    sets = [read_embeddings(Path(s) / f"{MODEL}.parquet") for s in args.stores]
    shared = sorted(set(sets[0].ids) & set(sets[1].ids))
    rows = [{i: k for k, i in enumerate(s.ids)} for s in sets]
    a, b = (s.vectors[[r[i] for i in shared]] for s, r in zip(sets, rows, strict=True))
    print(f"{len(shared)} shared ids; " + summary(cosines(a, b)))
    pairs = parse_lfw_pairs(default_data_dir(args.data) / "lfw" / "pairs.txt")
    for row in native_accuracy(pairs, [Path(s) for s in args.stores], [MODEL]):
        accuracy = ", ".join(f"{m} {100 * np.mean(row.results[m].fold_accuracy):.2f}%" for m in METRICS)
        print(f"{row.store}: native LFW View 2 accuracy {accuracy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--stores", nargs=2, default=None, metavar=("A", "B"))
    args = parser.parse_args()
    if args.stores:
        compare_stores(args)
    else:
        compare_engines(args)


if __name__ == "__main__":
    main()
