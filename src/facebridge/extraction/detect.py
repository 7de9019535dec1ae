"""Extraction's first phase: each image decoded and its face detected once, by a detector chosen by name; the
detections cached and each image's status recorded in the store (``images.parquet``) after every chunk."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from facebridge.embeddings.store import (
    STATUS_FILE,
    read_status,
    write_status,
)
from facebridge.errors import NotFoundError
from facebridge.faces import (
    DETECT_MAX_SIDE,
    FALLBACK,
    MIN_IMAGE_SIDE,
    DetectionCache,
    Detector,
    FallbackChain,
    chain_members,
    choose_face,
    detect_bounded,
    detection_scale,
    fallback_detection,
)
from facebridge.images import DecodedImage, image_file, load_image
from facebridge.images.corruptions import Corruption
from facebridge.models.detectors import YUNET
from facebridge.models.weights import verify_file

log = logging.getLogger(__name__)

DETECTORS = ("yunet", "dlib-hog")
#: Status of an image whose shorter side is under ``MIN_IMAGE_SIDE``: never searched for a face nor embedded.
TOO_SMALL = "too_small"

Progress = Callable[[str, float], None]  # (stage 'detect' or 'embed', images finished)


def make_detector(name: str, models_dir: Path) -> Detector:
    """A face detector by name: ``yunet`` (OpenCV, weights from the models dir), ``dlib-hog`` (dlib + 68 points),
    or a fallback chain such as ``dlib-hog+yunet`` (the second asked only where the first finds no face)."""
    members = chain_members(name)
    if len(members) == 2:
        return FallbackChain(make_detector(members[0], models_dir), make_detector(members[1], models_dir))
    if name == "yunet":
        from facebridge.faces.yunet import YuNetDetector

        return YuNetDetector(verify_file(YUNET, models_dir, "yunet"))
    if name == "dlib-hog":
        from facebridge.faces.dlib_hog import DlibHogDetector

        return DlibHogDetector()
    close = difflib.get_close_matches(name, DETECTORS, n=2)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise NotFoundError(f"unknown detector {name!r}{hint} (known: {', '.join(DETECTORS)}, or two joined by '+')")


def decode(root: Path, image_id: str, corrupt: Corruption | None = None) -> DecodedImage:
    """The image ``image_id`` under ``root``, passed through ``corrupt`` when given (the shifted-domain protocol:
    the camera's corruption comes before detection, as it would in a deployment)."""
    decoded = load_image(image_file(root, image_id))
    if corrupt is None or decoded.rgb is None:
        return decoded
    return DecodedImage(corrupt.apply(decoded.rgb, image_id), decoded.status, decoded.note)


def detect_images(
    image_ids: Sequence[str],
    root: Path,
    detector: Detector,
    out: Path,
    *,
    chunk_size: int,
    fallback: bool,
    detect_max_side: int | None = DETECT_MAX_SIDE,
    corrupt: Corruption | None = None,
    progress: Progress | None = None,
) -> dict[str, tuple[str, str, str, float]]:
    """Decode and detect every image not yet in ``out/images.parquet``; returns id -> (status, note, detector, score).

    Detection runs on a copy no larger than ``detect_max_side`` (:func:`~facebridge.faces.detect_bounded`); a
    cached face found at another scale is detected again.

    Status is the image's decode status when it failed (``missing``, ``empty``, ``truncated``, ``not_image``,
    ``unreadable``, ``too_large``), ``too_small`` (shorter side under ``MIN_IMAGE_SIDE``: not searched, not embedded),
    else ``ok``, ``fallback`` (no face found: fixed centre region) or ``no_face``.
    """
    status_path = out / STATUS_FILE
    rows = read_status(status_path)
    cache = DetectionCache.load(out / f"detections-{detector.name}.parquet", detector.name)
    pending = [i for i in image_ids if i not in rows]
    if progress:
        progress("detect", len(image_ids) - len(pending))
    for start in range(0, len(pending), chunk_size):
        for image_id in pending[start : start + chunk_size]:
            decoded = decode(root, image_id, corrupt)
            if decoded.rgb is None:
                rows[image_id] = (decoded.status, decoded.note, "", float("nan"))
                continue
            if min(decoded.rgb.shape[:2]) < MIN_IMAGE_SIDE:  # no face to find, nor a centre region worth embedding
                note = f"{decoded.rgb.shape[1]}x{decoded.rgb.shape[0]} px: under the {MIN_IMAGE_SIDE} px minimum side"
                rows[image_id] = (TOO_SMALL, note, "", float("nan"))
                continue
            scale = detection_scale(decoded.rgb.shape, detect_max_side)
            if image_id not in cache or cache.scale(image_id) != scale:
                det = choose_face(detect_bounded(detector, decoded.rgb, detect_max_side), decoded.rgb.shape)
                det = fallback_detection(decoded.rgb.shape) if det is None and fallback else det
                cache.put(image_id, det, scale)
            det = cache.get(image_id)
            status = "no_face" if det is None else FALLBACK if det.detector == FALLBACK else "ok"
            rows[image_id] = (status, decoded.note, det.detector if det else "", det.score if det else float("nan"))
        cache.flush()
        write_status(status_path, rows)
        if progress:
            progress("detect", len(pending[start : start + chunk_size]))
    return rows
