"""Benchmark: each model's time per image against the batch size it is called with, one runtime thread.

The extraction sends every chunk to a model in batches of ``batch_size`` crops (default 32,
``facebridge.models.load_model``; a spec's ``batch_size`` overrides it). This measures, per model, ms/image at each
batch size of ``--sizes`` on the same ``--images`` LFW crops (decoded, detected and aligned beforehand, so only
inference is timed; best of ``--repeats``), and prints the best size against 32, so that a spec's batch size is a
measured choice. Fixed-batch graphs run at their own batch whatever is asked. Then, for each ONNX Runtime model at
its spec's batch size, ms/image at each graph optimisation level (the ``graph_optimization`` option) against the
level the spec gives on this CPU, so that this option is a measured choice too (it may differ by instruction set).
Last, each model whose weights are one ``.onnx`` file on both ONNX Runtime (the spec's level, or ``all``) and
OpenVINO, at its spec's batch size: ms/image, the smallest per-image cosine between the two, and the spec's runtime
against the faster, so that the runtime is a measured choice as well.

Run: ``.venv/bin/python bench/bench_batch.py [--images 64 --sizes 1,8,16,32,64 --repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench_pipeline import aligned_crops, best_of
from facebridge.extraction.detect import detect_images, make_detector
from facebridge.extraction.extract import model_names
from facebridge.faces import DetectionCache
from facebridge.images import list_images
from facebridge.models import get_spec, load_model, resolve_models_dir
from facebridge.models.loader import DEFAULT_BATCH
from facebridge.models.ort_model import DEFAULT_GRAPH_OPTIMIZATION, GRAPH_OPTIMIZATION, graph_level
from facebridge.paths import default_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64, help="first N LFW images by sorted id")
    parser.add_argument("--sizes", default="1,8,16,32,64")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="all")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    models_dir = resolve_models_dir(None)
    root = default_data_dir(args.data) / "lfw" / "images"
    ids = list_images(root)[: args.images]
    print(f"{os.cpu_count()} CPUs, load {', '.join(f'{x:.1f}' for x in os.getloadavg())}; {len(ids)} images")
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        detect_images(ids, root, make_detector("yunet", models_dir), Path(tmp), chunk_size=256, fallback=True)
        cache = DetectionCache.load(Path(tmp) / "detections-yunet.parquet")
        print(f"{'model':22s} " + " ".join(f"{f'b={b}':>9s}" for b in sizes) + "   best   best vs b=32")
        for name in model_names(args.models):
            crops = aligned_crops(name, ids, root, cache)
            ms = {}
            for b in sizes:
                model = load_model(name, models_dir, num_threads=1, batch_size=b)
                model.embed(crops[: min(b, len(crops))])  # warm-up
                ms[b] = 1000 * best_of(lambda m=model, c=crops: m.embed(c), args.repeats).wall / len(crops)
            best = min(ms, key=ms.get)
            ref = ms.get(DEFAULT_BATCH)
            vs = f"{ms[best] / ref:.2f}x" if ref else "-"
            fixed = " (fixed-batch graph)" if get_spec(name).fixed_batch else ""
            print(f"{name:22s} " + " ".join(f"{ms[b]:7.2f}ms" for b in sizes) + f"   b={best:<4d} {vs}{fixed}")
        ort_models = [n for n in model_names(args.models) if get_spec(n).runtime == "onnxruntime"]
        print(f"\n{'onnxruntime model':22s} " + " ".join(f"{lv:>9s}" for lv in GRAPH_OPTIMIZATION) + "   spec's")
        for name in ort_models:
            crops = aligned_crops(name, ids, root, cache)
            ms = {}
            for level in GRAPH_OPTIMIZATION:
                model = load_model(name, models_dir, num_threads=1, graph_optimization=level)
                model.embed(crops[:8])  # warm-up
                ms[level] = 1000 * best_of(lambda m=model, c=crops: m.embed(c), args.repeats).wall / len(crops)
            own = graph_level(get_spec(name).options.get("graph_optimization", DEFAULT_GRAPH_OPTIMIZATION), name)
            best = min(ms, key=ms.get)
            print(f"{name:22s} " + " ".join(f"{ms[lv]:7.2f}ms" for lv in GRAPH_OPTIMIZATION) + f"   {own}: "
                  f"{ms[own] / ms[best]:.2f}x the best ({best})")

        onnx_models = [n for n in model_names(args.models) if _single_onnx(n)]
        print(f"\n{'one .onnx file':22s} {'onnxruntime':>11s} {'openvino':>9s}   min cosine   spec's")
        for name in onnx_models:
            crops = aligned_crops(name, ids, root, cache)
            ms, out = {}, {}
            for runtime in ("onnxruntime", "openvino"):
                spec = get_spec(name)
                spec = replace(spec, runtime=runtime, options=spec.options if runtime == spec.runtime else {})
                model = load_model(spec, models_dir, num_threads=1)
                model.embed(crops[:8])  # warm-up
                ms[runtime] = 1000 * best_of(lambda m=model, c=crops: m.embed(c), args.repeats).wall / len(crops)
                out[runtime] = model.embed(crops)
            a, b = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in out.values())
            own, best = get_spec(name).runtime, min(ms, key=ms.get)
            print(f"{name:22s} {ms['onnxruntime']:9.2f}ms {ms['openvino']:7.2f}ms   "
                  f"{np.einsum('ij,ij->i', a, b).min():.7f}   {own}: {ms[own] / ms[best]:.2f}x the best ({best})")


def _single_onnx(name: str) -> bool:
    files = get_spec(name).files
    return len(files) == 1 and files[0].path.endswith(".onnx")


if __name__ == "__main__":
    main()
