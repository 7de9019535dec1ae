"""Benchmark: the extraction pipeline (decode + detect + align + embed + store) against bare model inference, per
model, and dlib-resnet29 through facebridge against the ``face_recognition`` library.

All runs use the same images: the first ``--images`` LFW ids in sorted order. "Ours" is the public extraction API
(:func:`facebridge.extraction.extract.extract`) writing a real store in a temporary folder, so it includes
everything a user pays for: weight verification, model loading, worker start-up, decoding, alignment, inference and
the Parquet parts. It is timed in two phases, because detection is computed once per image and shared by all models:

- detection: ``detect_images`` with YuNet (decode + detect + detection cache), reported per image, once (and with
  dlib HOG for the ``face_recognition`` comparison);
- embedding: ``extract`` on a store whose detections are already cached, one model at a time, ``workers=1`` (inline,
  two runtime threads) and ``workers=2`` (two processes, one runtime thread each).

Bare inference is the model alone: loaded once (two runtime threads), warmed up, then ``model.embed`` on crops made
before timing. Overhead = embedding-phase time / bare time - 1; it EXCLUDES the shared detection and includes
decode, align, weight check, model loading, process start-up and writing. A negative wall-clock overhead means two
processes beat two runtime threads.

``face_recognition`` runs with its defaults: ``load_image_file``, ``face_locations`` (HOG, upsample 1) and
``face_encodings`` (5-point model, num_jitters=1), one image at a time, in this process. It encodes every face it
finds (several in some images, none in others), so both images/s and faces/s are shown; the goal compares images/s
(every image through the whole path). Like is compared with like: the goal's ratio is facebridge with the same
detector (``--detector dlib-hog``: dlib's HOG, upsample 1, then dlib-resnet29 on dlib's 5-point chip); facebridge
with YuNet, a different and cheaper detector, is shown on a separate line for information. ``face_recognition`` is
installed with ``pip install --no-deps face_recognition`` (its dependencies are facebridge's ``models`` extra).

Every measurement is reported in wall-clock time and in CPU time (this process plus its finished worker processes,
user + system). On a machine shared with other jobs, wall clock depends on what else runs; CPU time measures the
work (it counts spinning runtime threads as work, too). Take ``--repeats`` > 1 for the best of several runs.

Run: ``.venv/bin/python bench/bench_pipeline.py [--images 500] [--models all] [--repeats 1] [--skip-fr]``
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facebridge.extraction.detect import detect_images, make_detector
from facebridge.extraction.extract import extract, model_names
from facebridge.faces import DetectionCache, align
from facebridge.images import list_images, load_image
from facebridge.models import get_spec, load_model, resolve_models_dir
from facebridge.paths import default_data_dir

OVERHEAD_GOAL = 0.20
FR_SPEEDUP_GOAL = 1.5
WORKERS = (1, 2)


@dataclass(frozen=True)
class Timing:
    """Seconds of one measured call: wall clock and CPU (this process + children that finished during it)."""

    wall: float
    cpu: float


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_of(fn: Callable[[], object], repeats: int) -> Timing:
    """The run with the shortest wall time of ``repeats`` calls (the least disturbed by other processes)."""
    runs = []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), cpu_seconds()
        fn()
        runs.append(Timing(time.perf_counter() - wall, cpu_seconds() - cpu))
    return min(runs, key=lambda t: t.wall)


def time_detection(
    ids: list[str], root: Path, models_dir: Path, work: Path, repeats: int, detector_name: str = "yunet"
) -> tuple[Timing, Path]:
    """Decode + detect ``ids`` into fresh stores; returns the timing and a store holding the result."""
    detector = make_detector(detector_name, models_dir)
    runs = iter(range(repeats))
    timing = best_of(lambda: detect_images(ids, root, detector, work / f"detect-{detector_name}-{next(runs)}",
                                           chunk_size=256, fallback=True), repeats)  # fmt: skip
    return timing, work / f"detect-{detector_name}-0"


def time_pipeline(
    name: str,
    ids: list[str],
    root: Path,
    models_dir: Path,
    detected: Path,
    work: Path,
    workers: int,
    repeats: int,
    detector_name: str = "yunet",
) -> Timing:
    """``extract`` for one model on a copy of a store whose detections are cached (the embedding phase)."""
    detector = make_detector(detector_name, models_dir)
    runs = iter(range(repeats))

    def run() -> None:
        out = work / f"{name}-{detector_name}-w{workers}-{next(runs)}"
        shutil.copytree(detected, out)
        extract(ids, root, [name], detector, out, models_dir=models_dir, workers=workers)

    return best_of(run, repeats)


def aligned_crops(name: str, ids: list[str], root: Path, cache: DetectionCache) -> np.ndarray:
    """(n, h, w, 3) the model ``name``'s crops of the images ``ids`` under ``root``, from detections in ``cache``."""
    spec = get_spec(name)
    return np.stack(
        [align(load_image(root / i).rgb, cache.get(i), spec.alignment, **spec.alignment_params).crop for i in ids]
    )


def time_bare(name: str, ids: list[str], root: Path, detected: Path, models_dir: Path, repeats: int) -> Timing:
    """``model.embed`` alone on crops made beforehand (model loaded and warmed up first)."""
    crops = aligned_crops(name, ids, root, DetectionCache.load(detected / "detections-yunet.parquet"))
    model = load_model(name, models_dir, num_threads=2)
    model.embed(crops[:8])
    return best_of(lambda: model.embed(crops), repeats)


def time_face_recognition(ids: list[str], root: Path, repeats: int) -> tuple[Timing, int]:
    """``face_recognition`` loading, locating and encoding every face of ``ids``; and the faces encoded."""
    import face_recognition

    faces = []

    def run() -> None:
        faces.clear()
        for i in ids:
            image = face_recognition.load_image_file(root / i)
            faces.append(len(face_recognition.face_encodings(image, face_recognition.face_locations(image))))

    return best_of(run, repeats), sum(faces)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def model_table(names: list[str], ids: list[str], root: Path, models_dir: Path, detected: Path, work: Path,
                det: Timing, repeats: int) -> dict[tuple[str, int], Timing]:  # fmt: skip
    """Print one row per model (wall clock, then CPU); returns the pipeline timings by (model, workers)."""
    n = len(ids)
    head = (
        f"{'model':<20} {'bare':>6} | {'w=1':>6} {'ovh':>5} {'e2e':>6} | {'w=2':>6} {'ovh':>5} {'e2e':>6} | "
        f"{'cpu ms/face: bare':>17} {'w=1':>6} {'ovh':>5} {'w=2':>6} {'ovh':>5} | "
        f"overhead <= {OVERHEAD_GOAL:.0%} (wall)"
    )
    print(head)
    print("-" * len(head))
    out = {}
    for name in names:
        bare = time_bare(name, ids, root, detected, models_dir, repeats)
        wall, cpu, ok = [], [], []
        for w in WORKERS:
            t = out[name, w] = time_pipeline(name, ids, root, models_dir, detected, work, w, repeats)
            overhead = t.wall / bare.wall - 1
            ok.append(f"w={w} {verdict(overhead <= OVERHEAD_GOAL)}")
            wall.append(f"{n / t.wall:6.1f} {overhead:+5.0%} {n / (t.wall + det.wall):6.1f}")
            cpu.append(f"{t.cpu / n * 1e3:6.1f} {t.cpu / bare.cpu - 1:+5.0%}")
        print(f"{name:<20} {n / bare.wall:6.1f} | {' | '.join(wall)} | {bare.cpu / n * 1e3:17.1f} {' '.join(cpu)} | "
              f"{', '.join(ok)}")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500, help="first N LFW images by sorted id")
    parser.add_argument("--models", default="all", help="comma-separated model names, or all")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs per measurement")
    parser.add_argument("--skip-fr", action="store_true", help="skip the face_recognition comparison")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    root = default_data_dir(None) / "lfw" / "images"
    models_dir = resolve_models_dir(None)
    ids = list_images(root)[: args.images]
    names = model_names(args.models)
    n = len(ids)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"images: first {n} LFW ids (sorted); best of {args.repeats} run(s); {os.cpu_count()} CPUs, load {load}")
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as tmp:
        work = Path(tmp)
        det, detected = time_detection(ids, root, models_dir, work, args.repeats)
        print(f"shared detection (YuNet: decode + detect + cache), once per image for all models: "
              f"{det.wall / n * 1e3:.1f} ms/image wall, {det.cpu / n * 1e3:.1f} ms/image CPU")  # fmt: skip
        print()
        pipeline = model_table(names, ids, root, models_dir, detected, work, det, args.repeats)
        print()
        print("bare, w=1, w=2: faces/s (one face per image) of bare inference and of the embedding phase with 1 or 2")
        print("workers; ovh: embedding phase / bare - 1, EXCLUDING the shared detection (its cost is shown above),")
        print("including decode, align, weight check, model load, worker start-up and writing the store;")
        print("e2e: faces/s of detection + embedding phase for this one model. cpu ms/face: the same runs in CPU time.")
        if args.skip_fr or "dlib-resnet29" not in names:
            return
        fr, fr_faces = time_face_recognition(ids, root, args.repeats)
        hog_det, hog_detected = time_detection(ids, root, models_dir, work, args.repeats, "dlib-hog")
        hog = {
            w: time_pipeline("dlib-resnet29", ids, root, models_dir, hog_detected, work, w, args.repeats, "dlib-hog")
            for w in WORKERS
        }
        print()
        print(f"dlib-resnet29 vs face_recognition (its defaults: HOG upsample 1, 5-point, num_jitters=1), {n} images")
        print(f"{'':<34} {'images/s':>9} {'faces/s':>8} {'wall ratio':>11} {'cpu ms/img':>11} {'cpu ratio':>10}")
        print(f"{'face_recognition (dlib HOG)':<34} {n / fr.wall:9.2f} {fr_faces / fr.wall:8.2f} {'1.00x':>11} "
              f"{fr.cpu / n * 1e3:11.1f} {'1.00x':>10}  ({fr_faces} faces)")  # fmt: skip
        rows = [("dlib-hog", hog_det, hog, True), ("yunet", det, {w: pipeline["dlib-resnet29", w] for w in WORKERS},
                                                      False)]  # fmt: skip
        for detector_name, detection, embedding, same in rows:
            if not same:
                print("not like for like (another detector), for information:")
            for w in WORKERS:
                e2e = Timing(embedding[w].wall + detection.wall, embedding[w].cpu + detection.cpu)
                ratio = fr.wall / e2e.wall
                goal = f"goal >= {FR_SPEEDUP_GOAL}x (wall): {verdict(ratio >= FR_SPEEDUP_GOAL)}" if same else ""
                line = (f"{f'facebridge {detector_name} + dlib, w={w}':<34} {n / e2e.wall:9.2f} {n / e2e.wall:8.2f} "
                        f"{ratio:10.2f}x {e2e.cpu / n * 1e3:11.1f} {fr.cpu / e2e.cpu:9.2f}x  {goal}")  # fmt: skip
                print(line.rstrip())


if __name__ == "__main__":
    main()
