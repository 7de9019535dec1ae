"""Benchmark: ``facebridge reproduce``'s two phases against what they cannot beat.

Embed phase. The first ``--images`` LFW ids (sorted) go through the public extraction API
(:func:`facebridge.extraction.extract.extract`: decode, YuNet, align, every model, Parquet parts) into a fresh store
with ``--workers`` processes, as ``reproduce`` runs it. The floor is measured in the same run on the same images:
YuNet's ``detect`` on images decoded beforehand, and each model's ``embed`` on crops aligned beforehand, each alone,
loaded and warmed up first, with one runtime thread. Floor wall time on ``--workers`` cores = the floor's total
CPU time / workers (perfect packing). Printed: per model the floor's ms/image (dlib-resnet29 beside it on dlib's own
runtime, the reference engine, which the floor does not count), then the phase's wall time and its ratio to the floor
(goal: <= 1.15 x the floor).

Study phase. With a store holding every model's LFW embeddings (``--store``, default ``store/lfw-yunet``), the
study (:func:`facebridge.experiments.run_study`, every default method and curve, or ``--quick``) on LFW View 2, its
stage timings (``meta.timings_s``), wall and CPU time, and the process's peak RSS (goals: under 300 s for the full
study, under 180 s for ``--quick``; peak memory under 4 GB).

Wall time on a machine shared with other jobs counts those jobs; the load average is printed, and CPU time beside.

Run: ``.venv/bin/python bench/bench_reproduce.py [--images 500 --workers 2 --store store/lfw-yunet --quick]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from bench_pipeline import Timing, best_of, cpu_seconds
from facebridge.embeddings import read_embeddings
from facebridge.experiments import run_study
from facebridge.extraction.detect import detect_images, make_detector
from facebridge.extraction.extract import extract, model_names
from facebridge.faces import DetectionCache, align
from facebridge.images import list_images, load_image
from facebridge.models import get_spec, load_model, resolve_models_dir
from facebridge.paths import default_data_dir
from facebridge.protocols import parse_lfw_pairs

EMBED_GOAL = 1.15
#: Models timed a second time on another engine, printed beside the floor's: name -> load_model options.
REFERENCE_ENGINES = {"dlib-resnet29": {"engine": "dlib"}}
STUDY_GOAL_S = {False: 300.0, True: 180.0}
MEMORY_GOAL_GB = 4.0


def floor(
    names: list[str], ids: list[str], root: Path, models_dir: Path, work: Path
) -> tuple[dict[str, Timing], dict[str, Timing]]:
    """One-thread bare time of YuNet and of each model on ``ids``, decoded and aligned before timing; and of the
    models of :data:`REFERENCE_ENGINES` on their reference engine."""
    import cv2

    cv2.setNumThreads(1)
    decoded = [load_image(root / i).rgb for i in ids]
    detector = make_detector("yunet", models_dir)
    detector.detect(decoded[0])
    out = {"yunet (detect)": best_of(lambda: [detector.detect(rgb) for rgb in decoded], 1)}
    reference: dict[str, Timing] = {}
    detect_images(ids, root, detector, work, chunk_size=256, fallback=True)
    cache = DetectionCache.load(work / "detections-yunet.parquet")
    for name in names:
        spec = get_spec(name)
        crops = np.stack(
            [
                align(rgb, cache.get(i), spec.alignment, **spec.alignment_params).crop
                for i, rgb in zip(ids, decoded, strict=True)
            ]
        )
        for options, into in (({}, out), (REFERENCE_ENGINES.get(name), reference)):
            if options is not None:
                model = load_model(name, models_dir, num_threads=1, **options)
                model.embed(crops[:8])
                into[name] = best_of(lambda m=model, c=crops: m.embed(c), 1)
    return out, reference


def embed_phase(args: argparse.Namespace, names: list[str], models_dir: Path) -> None:
    root = default_data_dir(args.data) / "lfw" / "images"
    ids = list_images(root)[: args.images]
    n = len(ids)
    with tempfile.TemporaryDirectory(prefix="bench_reproduce_") as tmp:
        bare, reference = floor(names, ids, root, models_dir, Path(tmp) / "floor")
        detector = make_detector("yunet", models_dir)
        store = Path(tmp) / "store"
        phase = best_of(
            lambda: extract(ids, root, names, detector, store, models_dir=models_dir, workers=args.workers), 1
        )
    floor_cpu = sum(t.cpu for t in bare.values())
    floor_wall = floor_cpu / args.workers
    print(f"embed phase: first {n} LFW ids (sorted), {len(names)} models, {args.workers} workers")
    print(f"{'floor, one thread':<24} {'ms/image CPU':>12}   reference engine")
    for name, t in bare.items():
        ref = reference.get(name)
        beside = f"   {ref.cpu / n * 1e3:.2f} ({', '.join(f'{k}={v}' for k, v in REFERENCE_ENGINES[name].items())}; " \
            f"{ref.cpu / t.cpu:.1f}x)" if ref else ""
        print(f"{name:<24} {t.cpu / n * 1e3:12.2f}{beside}")
    print(f"{'total':<24} {floor_cpu / n * 1e3:12.2f}")
    ratio = phase.wall / floor_wall
    # The phase's CPU time is not shown: its workers are the forkserver's children, not this process's, so
    # RUSAGE_CHILDREN does not see them.
    print(
        f"embed phase: wall {phase.wall:.1f} s vs floor {floor_wall:.1f} s on {args.workers} cores (ratio "
        f"{ratio:.2f}, goal <= {EMBED_GOAL}: {'met' if ratio <= EMBED_GOAL else 'NOT met'}); it includes weight "
        "checks, model loading and worker start-up, which a larger --images amortises"
    )
    print(f"extrapolated to 13,233 images: floor {floor_wall / n * 13233 / 60:.1f} min, phase "
          f"{phase.wall / n * 13233 / 60:.1f} min")  # fmt: skip


def study_phase(args: argparse.Namespace, names: list[str]) -> None:
    missing = [n for n in names if not (args.store / f"{n}.parquet").exists()]
    if missing:
        print(f"study phase skipped: {args.store} lacks {', '.join(missing)} (run facebridge reproduce first)")
        return
    sets = {n: read_embeddings(args.store / f"{n}.parquet") for n in names}
    pairs = parse_lfw_pairs(default_data_dir(args.data) / "lfw" / "pairs.txt")
    wall, cpu = time.perf_counter(), cpu_seconds()
    results = run_study(
        sets, pairs, quick=args.quick, seed=0, blas_threads=args.blas_threads, workers=args.study_threads
    )
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    if args.results:
        args.results.write_text(json.dumps(results.to_dict(), indent=1, default=str))
    goal = STUDY_GOAL_S[args.quick]
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in results.meta["timings_s"].items())
    print(f"study phase ({'quick' if args.quick else 'full'}, {len(names)} models, {results.meta['n_pool_images']} "
          f"images, {results.meta['threads']} threads): {stages}")  # fmt: skip
    print(
        f"study phase: wall {wall:.1f} s (goal < {goal:.0f} s: {'met' if wall < goal else 'NOT met'}), "
        f"CPU {cpu:.1f} s, "
        f"peak RSS {peak_gb:.2f} GB (goal < {MEMORY_GOAL_GB} GB: {'met' if peak_gb < MEMORY_GOAL_GB else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500, help="first N LFW images by sorted id (embed phase)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--models", default="all")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--store", type=Path, default=Path("store/lfw-yunet"), help="store for the study phase")
    parser.add_argument("--quick", action="store_true", help="the study's --quick grids")
    parser.add_argument("--results", type=Path, default=None, help="write the study results JSON here")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of the study (its default: 1)")
    parser.add_argument("--study-threads", type=int, default=None, help="study threads (default: usable CPUs)")
    parser.add_argument("--skip-embed", action="store_true")
    parser.add_argument("--skip-study", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    names = model_names(args.models)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load {load}")
    if not args.skip_embed:
        embed_phase(args, names, resolve_models_dir(None))
    if not args.skip_study:
        study_phase(args, names)


if __name__ == "__main__":
    main()
