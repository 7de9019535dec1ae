"""Benchmark: detection on large images and large faces, at full resolution against a bounded detection size.

Two measurements, each printed for full resolution (``--max-side 0``, what facebridge did before detection was
bounded) and for every bound given, side by side:

1. One huge photo: a pinned LFW image upscaled to ``--huge`` px square and written as PNG; decode + detect, in a fresh
   process per setting, reporting wall seconds and the process's peak resident memory (VmHWM).
2. Large faces: the 100 LFW images pinned in ``bench/lfw_sample_100.txt``, each upscaled 4x and 8x (bicubic). A face
   counts as found when the face the detector chooses in the upscaled image overlaps the face it chose in the 250x250
   original, scaled up, with IoU >= 0.5; the landmark error is the mean distance of the five landmarks from the 1x
   ones scaled up, over the 1x inter-eye distance (median over found faces). Images where the 1x detection finds no
   face are left out and counted.

Run: ``.venv/bin/python bench/bench_large_faces.py [--detectors yunet,dlib-hog] [--max-side 640,1024] [--n 100]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from facebridge.extraction.detect import make_detector
from facebridge.faces import choose_face, detect_bounded
from facebridge.images import load_image
from facebridge.models import resolve_models_dir
from facebridge.paths import default_data_dir

SAMPLE = Path(__file__).with_name("lfw_sample_100.txt")
HUGE_SOURCE = "Aaron_Eckhart/Aaron_Eckhart_0001.jpg"
FACTORS = (4, 8)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = np.maximum(a[:2], b[:2])
    x1, y1 = np.minimum(a[:2] + a[2:], b[:2] + b[2:])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


def upscale(rgb: np.ndarray, factor: int) -> np.ndarray:
    import cv2

    return cv2.resize(rgb, (rgb.shape[1] * factor, rgb.shape[0] * factor), interpolation=cv2.INTER_CUBIC)


def huge_image(root: Path, side: int, work: Path) -> Path:
    import cv2

    rgb = load_image(root / HUGE_SOURCE).rgb
    path = work / f"huge-{side}.png"
    cv2.imwrite(str(path), cv2.resize(rgb, (side, side), interpolation=cv2.INTER_CUBIC)[:, :, ::-1])
    return path


def measure_huge(path: Path, detector: str, max_side: int | None, models_dir: Path) -> tuple[float, float, str]:
    """(seconds, peak MB, what was found) of decode + detect in a fresh process."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from facebridge.extraction.detect import make_detector
        from facebridge.faces import choose_face, detect_bounded
        from facebridge.images import load_image
        det = make_detector({detector!r}, Path({str(models_dir)!r}))
        start = time.perf_counter()
        rgb = load_image({str(path)!r}).rgb
        face = choose_face(detect_bounded(det, rgb, {max_side!r}), rgb.shape)
        seconds = time.perf_counter() - start
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
        found = "no face" if face is None else "box " + " ".join(str(int(v)) for v in face.box)
        print(seconds, int(hwm) / 1024, found, sep="|")
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seconds, peak, found = res.stdout.strip().splitlines()[-1].split("|")
    return float(seconds), float(peak), found


def large_faces(ids: list[str], root: Path, detector, max_side: int | None) -> dict:
    """Found rate and landmark error per factor, and seconds per upscaled image."""
    found = {k: [] for k in FACTORS}
    errors = {k: [] for k in FACTORS}
    seconds = {k: 0.0 for k in FACTORS}
    missing_1x = 0
    for image_id in ids:
        rgb = load_image(root / image_id).rgb
        base = choose_face(detector.detect(rgb), rgb.shape)
        if base is None:
            missing_1x += 1
            continue
        eye_gap = float(np.linalg.norm(base.landmarks[1] - base.landmarks[0]))
        for k in FACTORS:
            big = upscale(rgb, k)
            start = time.perf_counter()
            face = choose_face(detect_bounded(detector, big, max_side), big.shape)
            seconds[k] += time.perf_counter() - start
            ok = face is not None and iou(face.box, base.box * k) >= 0.5
            found[k].append(ok)
            if ok:
                expected = (base.landmarks + 0.5) * k - 0.5
                errors[k].append(float(np.linalg.norm(face.landmarks - expected, axis=1).mean() / (k * eye_gap)))
    n = len(ids) - missing_1x
    return {
        "missing_1x": missing_1x,
        "rate": {k: float(np.mean(found[k])) if n else float("nan") for k in FACTORS},
        "error": {k: float(np.median(errors[k])) if errors[k] else float("nan") for k in FACTORS},
        "seconds": {k: seconds[k] / max(n, 1) for k in FACTORS},
    }


def label(max_side: int | None) -> str:
    return "full resolution" if max_side is None else f"long side <= {max_side}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", default="yunet,dlib-hog")
    parser.add_argument("--max-side", default="640,1024", help="bounds to compare with full resolution (0)")
    parser.add_argument("--n", type=int, default=100, help="images of the pinned sample to use")
    parser.add_argument("--huge", type=int, default=7000, help="side of the huge PNG")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    root = default_data_dir(args.data) / "lfw" / "images"
    models_dir = resolve_models_dir(None)
    ids = [line for line in SAMPLE.read_text().splitlines() if line and not line.startswith("#")][: args.n]
    bounds: list[int | None] = [None] + [int(v) for v in args.max_side.split(",") if int(v) > 0]
    detectors = [d.strip() for d in args.detectors.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        path = huge_image(root, args.huge, Path(tmp))
        print(f"## One {args.huge}x{args.huge} PNG ({HUGE_SOURCE} upscaled): decode + detect, fresh process\n")
        print("| detector | detection size | seconds | peak MB | found |\n|---|---|---:|---:|---|")
        for name in detectors:
            for bound in bounds:
                seconds, peak, found = measure_huge(path, name, bound, models_dir)
                print(f"| {name} | {label(bound)} | {seconds:.2f} | {peak:.0f} | {found} |", flush=True)
    print(f"\n## Large faces: {len(ids)} pinned LFW images upscaled {' and '.join(f'{k}x' for k in FACTORS)}\n")
    head = " | ".join(f"found {k}x | landmark err {k}x | s/img {k}x" for k in FACTORS)
    print(f"| detector | detection size | {head} | no face at 1x |\n|---|---|" + "---:|" * (3 * len(FACTORS) + 1))
    for name in detectors:
        detector = make_detector(name, models_dir)
        for bound in bounds:
            r = large_faces(ids, root, detector, bound)
            cells = " | ".join(
                f"{r['rate'][k]:.1%} | {r['error'][k]:.3f} | {r['seconds'][k]:.2f}" for k in FACTORS
            )
            print(f"| {name} | {label(bound)} | {cells} | {r['missing_1x']} |", flush=True)


if __name__ == "__main__":
    main()
