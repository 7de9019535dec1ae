"""Benchmark: ``facebridge reproduce``'s two phases against what they cannot beat, written as JSON (``--json``).

Embed phase. The first ``--images`` LFW ids (sorted) go through the public extraction API
(:func:`facebridge.extraction.extract.extract`: decode, YuNet, align, every model, Parquet parts) into a fresh store
with ``--workers`` processes, as ``reproduce`` runs it. The floor is measured in the same run on the same images:
YuNet's ``detect`` on images decoded beforehand, and each model's ``embed`` on crops aligned beforehand, each alone,
loaded and warmed up first, with one runtime thread. Floor wall time on ``--workers`` cores = the floor's total
CPU time / workers (perfect packing). Printed: per model the floor's ms/image on its default engine, with
dlib-resnet29 on both its runtimes side by side (ONNX Runtime, the default, which the floor counts, and dlib's own,
the reference), then the phase's wall time and its ratio to the floor (goal: <= 1.15 x the floor).

Study phase. With a store holding every model's LFW embeddings (``--store``, default ``store/lfw-yunet``),
``reproduce`` itself (:func:`facebridge.experiments.reproduce.reproduce`: nothing left to embed, then the study,
the privacy audit and the upgrade study, or their ``--quick`` grids; ``--no-privacy``/``--no-upgrade`` leave them
out): each stage's wall time as the run records it (``meta.stages_s``), wall and CPU time, and the phase's peak RSS
(goals: peak memory under 3 GB; the study stages, moments to sample size, under 300 s in full, 180 s quick).

Wall time on a machine shared with other jobs counts those jobs; the load average is printed, and CPU time beside.

Run: ``.venv/bin/python bench/bench_reproduce.py [--images 500 --workers 2 --store store/lfw-yunet --quick
--json FILE]``; docs/performance.md renders ``--skip-study --json bench/results/reproduce-embed.json`` and
``--skip-embed --json bench/results/reproduce-study.json`` (``bench/render_performance.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench_pipeline import Timing, best_of, cpu_seconds
from facebridge.experiments.reproduce import ReproduceInputs, reproduce
from facebridge.extraction.detect import detect_images, make_detector
from facebridge.extraction.extract import extract, model_names
from facebridge.faces import DetectionCache, align
from facebridge.images import list_images, load_image
from facebridge.models import get_spec, load_model, resolve_models_dir
from facebridge.paths import default_data_dir
from facebridge.storage import atomic_write

EMBED_GOAL = 1.15
#: Models timed a second time on another engine, printed beside the floor's: name -> load_model options.
REFERENCE_ENGINES = {"dlib-resnet29": {"engine": "dlib"}}
#: The engine each model of REFERENCE_ENGINES runs on by default (the floor's).
DEFAULT_ENGINES = {"dlib-resnet29": "onnxruntime"}
STUDY_STAGES = ("moments", "penalty", "rank", "sample_size")
STUDY_GOAL_S = {False: 300.0, True: 180.0}
MEMORY_GOAL_GB = 3.0


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


def embed_phase(args: argparse.Namespace, names: list[str], models_dir: Path) -> dict[str, Any]:
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
    ms = {name: round(t.cpu / n * 1e3, 2) for name, t in bare.items()}
    engines = {  # the floor's runtime first, then the reference's
        name: {DEFAULT_ENGINES[name]: ms[name], REFERENCE_ENGINES[name]["engine"]: round(t.cpu / n * 1e3, 2)}
        for name, t in reference.items()
    }
    print(f"embed phase: first {n} LFW ids (sorted), {len(names)} models, {args.workers} workers")
    print(f"{'floor, one thread':<24} {'ms/image CPU':>12}   other runtime")
    for name, value in ms.items():
        beside = ""
        if name in engines:
            other = REFERENCE_ENGINES[name]["engine"]
            beside = f"   {engines[name][other]:.2f} on {other} ({engines[name][other] / value:.1f}x); the floor " \
                f"counts {DEFAULT_ENGINES[name]}"  # fmt: skip
        print(f"{name:<24} {value:12.2f}{beside}")
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
    return {
        "images": n,
        "workers": args.workers,
        "floor_ms_per_image": ms,
        "floor_total_ms_per_image": round(floor_cpu / n * 1e3, 2),
        "engines_ms_per_image": engines,
        "floor_wall_s": round(floor_wall, 2),
        "phase_wall_s": round(phase.wall, 2),
        "ratio_to_floor": round(ratio, 3),
        "extrapolated_13233_min": {
            "floor": round(floor_wall / n * 13233 / 60, 1),
            "phase": round(phase.wall / n * 13233 / 60, 1),
        },
    }


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux ``clear_refs``), so that the next phase's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_gb() -> float:
    """This process's peak RSS since the last reset (``VmHWM``), else since it started (``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def study_phase(args: argparse.Namespace, names: list[str]) -> dict[str, Any] | None:
    missing = [n for n in names if not (args.store / f"{n}.parquet").exists()]
    if missing:
        print(f"study phase skipped: {args.store} lacks {', '.join(missing)} (run facebridge reproduce first)")
        return None
    own_peak = _reset_peak()
    with tempfile.TemporaryDirectory(prefix="bench_reproduce_") as tmp:
        inputs = ReproduceInputs(
            default_data_dir(args.data), args.store, workers=args.study_threads or args.workers,
            audit_checkpoint=Path(tmp) / "privacy", upgrade_checkpoint=Path(tmp) / "upgrade",
        )  # fmt: skip
        wall, cpu = time.perf_counter(), cpu_seconds()
        results = reproduce(inputs, models=names, quick=args.quick, privacy=args.privacy, upgrade=args.upgrade)
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    peak_gb = _peak_gb()
    if args.results:
        args.results.write_text(json.dumps(results.to_dict(), indent=1, default=str))
    stages = results.meta["stages_s"]
    study_s = sum(stages.get(k, 0.0) for k in STUDY_STAGES)
    goal = STUDY_GOAL_S[args.quick]
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
    print(f"study phase ({'quick' if args.quick else 'full'}, {len(names)} models, {results.meta['n_pool_images']} "
          f"images, {results.meta['threads']} threads): {timings}")  # fmt: skip
    print(
        f"study phase: wall {wall:.1f} s, CPU {cpu:.1f} s; study stages {study_s:.1f} s (goal < {goal:.0f} s: "
        f"{'met' if study_s < goal else 'NOT met'}); peak RSS {peak_gb:.2f} GiB"
        f"{'' if own_peak else ' (of the whole process: the peak could not be reset)'} "
        f"(goal < {MEMORY_GOAL_GB} GiB: {'met' if peak_gb < MEMORY_GOAL_GB else 'NOT met'})"
    )
    return {
        "quick": args.quick,
        "privacy": args.privacy,
        "upgrade": args.upgrade,
        "models": len(names),
        "images": results.meta["n_pool_images"],
        "threads": results.meta["threads"],
        "stages_s": stages,
        "study_stages_s": round(study_s, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_gb": round(peak_gb, 3),
        "peak_is_the_phase_s": own_peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500, help="first N LFW images by sorted id (embed phase)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--models", default="all")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--store", type=Path, default=Path("store/lfw-yunet"), help="store for the study phase")
    parser.add_argument("--quick", action="store_true", help="reproduce's --quick grids")
    parser.add_argument("--no-privacy", dest="privacy", action="store_false", help="leave out the privacy audit")
    parser.add_argument("--no-upgrade", dest="upgrade", action="store_false", help="leave out the upgrade study")
    parser.add_argument("--results", type=Path, default=None, help="write the study results JSON here")
    parser.add_argument("--study-threads", type=int, default=None, help="study threads (default: --workers)")
    parser.add_argument("--skip-embed", action="store_true")
    parser.add_argument("--skip-study", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write what is printed as JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    names = model_names(args.models)
    load = [round(x, 1) for x in os.getloadavg()]
    print(f"{os.cpu_count()} CPUs, load {', '.join(map(str, load))}")
    out: dict[str, Any] = {
        "benchmark": "bench_reproduce",
        "machine": {"cpus": os.cpu_count(), "processor": _processor(), "load_average": load},
        "embed": None if args.skip_embed else embed_phase(args, names, resolve_models_dir(None)),
        "study": None if args.skip_study else study_phase(args, names),
    }
    if args.json is not None:
        atomic_write(args.json, lambda tmp: tmp.write_text(json.dumps(out, indent=1) + "\n"))


def _processor() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
