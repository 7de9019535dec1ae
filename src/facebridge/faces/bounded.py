"""Detection on a downscaled copy, so that memory and time per image are bounded whatever its size.

A detector run at full resolution costs memory and time in proportion to the pixel count (YuNet on a 4096x4096
image: 1.3 GB, 5 s) and misses faces much larger than the ones it was trained on (YuNet's largest anchors are
256 px: a face of 800 px is not found). Detecting on a copy whose longer side is at most ``max_side`` and mapping
boxes and landmarks back to the full image bounds both. Images no larger than ``max_side`` are passed through
untouched, so their detections are exactly those of the detector itself (every LFW image is 250x250).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.faces import runtime
from facebridge.faces.detection import Detection, Detector
from facebridge.images.rgb import check_rgb

DETECT_MAX_SIDE = 640
"""Default bound on the longer side of the image a detector sees: twice YuNet's 320 px input, so that a face
filling a photo comes out not far above YuNet's largest anchors (256 px). The price: faces below about
``10 * long side / 640`` px are lost with YuNet (its smallest anchor is 10 px), e.g. 64 px in a 4096 px photo,
40 px with dlib HOG (upsample 1)."""


def detection_scale(image_shape: Sequence[int], max_side: int | None) -> float:
    """Longer side of the copy a detector sees over the image's longer side (1.0: full resolution)."""
    height, width = detection_size(image_shape, max_side)
    return max(height, width) / max(int(image_shape[0]), int(image_shape[1]))


def detection_size(image_shape: Sequence[int], max_side: int | None) -> tuple[int, int]:
    """``(height, width)`` of the copy a detector sees: the image's own size when its longer side is at most
    ``max_side`` (or ``max_side`` is None), else scaled down so that the longer side is ``max_side``."""
    if max_side is not None and max_side < 1:
        raise InvalidInputError(f"max_side must be >= 1 or None, got {max_side}")
    height, width = int(image_shape[0]), int(image_shape[1])
    if max_side is None or max(height, width) <= max_side:
        return height, width
    scale = max_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def rescale(det: Detection, sx: float, sy: float) -> Detection:
    """``det`` found on a copy resized by ``(sx, sy)`` (copy size / full size), in full-image pixels.

    Box edges scale as lengths (``x / sx``); landmarks are pixel-centre coordinates, as ``cv2.resize`` maps them
    (``(x + 0.5) / sx - 0.5``).
    """
    factor = np.array([sx, sy], dtype=np.float64)
    box = np.asarray(det.box, dtype=np.float64).reshape(2, 2) / factor
    landmarks = None if det.landmarks is None else (np.asarray(det.landmarks, np.float64) + 0.5) / factor - 0.5
    return Detection(box.ravel(), landmarks, det.score, det.detector)


def detect_bounded(detector: Detector, rgb: np.ndarray, max_side: int | None = DETECT_MAX_SIDE) -> list[Detection]:
    """All faces ``detector`` finds in (H, W, 3) uint8 ``rgb``, detected on a copy no larger than ``max_side``
    (area-averaged, as :func:`detection_size` says) and given in full-image pixels; None: full resolution."""
    rgb = check_rgb(rgb)
    height, width = detection_size(rgb.shape, max_side)
    if (height, width) == rgb.shape[:2]:
        return detector.detect(rgb)
    cv2 = runtime.cv2()
    small = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    sx, sy = width / rgb.shape[1], height / rgb.shape[0]
    return [rescale(d, sx, sy) for d in detector.detect(small)]
