"""Face detections, the detector protocol, and which face to use when an image has several or none."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.faces.templates import ARC112_POINTS

LANDMARKS_5 = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
"""Order of the five landmark rows, as they appear in the image (image-left first); the arc112 template order."""

MIN_IMAGE_SIDE = 40
"""Images whose shorter side is under this many pixels are not searched for a face (status ``too_small``): no face
there is large enough for a recognition model, and YuNet returns garbage boxes (~4e27) for such inputs."""

FALLBACK = "fallback"
"""Detector name of :func:`fallback_detection`, recorded so that callers can count and report fallbacks."""

CENTRE_SCALE = 0.1
"""Offset (as a fraction of the image's shorter side) at which :func:`choose_face` halves a face's priority."""

# Fallback geometry, fitted on the face YuNet (score >= 0.6) chose in each of the 9,056 LFW images (250x250): the
# box is the median box centre and median box size; the square is the scale + translation that best maps the arc112
# template onto the median landmarks (largest residual 2.6 px). Centres are fractions of (width, height), sizes
# fractions of the shorter side.
FALLBACK_BOX_CENTRE = (0.502, 0.513)
FALLBACK_BOX_SIZE = (0.371, 0.488)
FALLBACK_SQUARE_CENTRE = (0.505, 0.466)
FALLBACK_SQUARE_SIDE = 0.504


@dataclass(frozen=True, eq=False)
class Detection:
    """One detected face.

    Parameters
    ----------
    box : (4,) float32 ``x, y, w, h`` in pixels; the box covers ``[x, x + w) x [y, y + h)``.
    landmarks : (5, 2) float32 ``(x, y)`` rows in :data:`LANDMARKS_5` order, or None when the detector gives none.
    score : the detector's confidence (its own scale: YuNet a probability, dlib HOG an SVM margin).
    detector : name of the detector that produced it (``"fallback"`` for :func:`fallback_detection`).
    """

    box: np.ndarray
    landmarks: np.ndarray | None
    score: float
    detector: str

    def __post_init__(self) -> None:
        box = np.asarray(self.box, dtype=np.float32)
        if box.shape != (4,) or not np.isfinite(box).all() or box[2] <= 0 or box[3] <= 0:
            raise InvalidInputError(f"box must be 4 finite numbers x, y, w, h with w, h > 0, got {self.box}")
        object.__setattr__(self, "box", box)
        if self.landmarks is not None:
            landmarks = np.asarray(self.landmarks, dtype=np.float32)
            if landmarks.shape != (5, 2) or not np.isfinite(landmarks).all():
                raise InvalidInputError(f"landmarks must be a finite (5, 2) array, got shape {landmarks.shape}")
            object.__setattr__(self, "landmarks", landmarks)
        if not math.isfinite(self.score):
            raise InvalidInputError(f"score must be finite, got {self.score}")
        object.__setattr__(self, "score", float(self.score))


class Detector(Protocol):
    """Anything that finds faces: a ``name`` (cache key, recorded in outputs) and ``detect``."""

    name: str

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """All faces in an (H, W, 3) uint8 RGB image, in no particular order."""
        ...


def _image_hw(image_shape: Sequence[int]) -> tuple[int, int]:
    if len(image_shape) < 2 or min(image_shape[:2]) < 1:
        raise InvalidInputError(f"image_shape must start with height, width >= 1, got {tuple(image_shape)}")
    return int(image_shape[0]), int(image_shape[1])


def face_priority(det: Detection, image_shape: Sequence[int]) -> float:
    """How likely ``det`` is the labelled face of a centred photo such as LFW's; higher is better.

    ``priority = confidence * size / (1 + (offset / (CENTRE_SCALE * side))^2)`` with ``side`` the image's shorter
    side, ``size = sqrt(w * h) / side``, ``offset`` the distance from the box centre to the image centre, and
    ``confidence = 0.5 + 0.5 * clip(score, 0, 1)`` so that the detector's score separates near-equal candidates
    but never outweighs position (scores of different detectors are on different scales).
    """
    height, width = _image_hw(image_shape)
    side = min(height, width)
    x, y, w, h = (float(v) for v in det.box)
    offset = math.hypot(x + w / 2 - width / 2, y + h / 2 - height / 2)
    confidence = 0.5 + 0.5 * min(max(det.score, 0.0), 1.0)
    return confidence * (math.sqrt(w * h) / side) / (1.0 + (offset / (CENTRE_SCALE * side)) ** 2)


def choose_face(dets: Sequence[Detection], image_shape: Sequence[int]) -> Detection | None:
    """The detection with the highest :func:`face_priority` (the first on ties), or None when ``dets`` is empty."""
    if not dets:
        return None
    priorities = [face_priority(d, image_shape) for d in dets]
    return dets[int(np.argmax(priorities))]


def fallback_detection(image_shape: Sequence[int]) -> Detection:
    """The fixed face used when no face is found, placed where LFW's centred faces are (constants above).

    The box is the typical YuNet box (so box crops and the dlib box mapping behave as for a detection); the
    landmarks are the arc112 template points mapped into the fallback square (``x0 + template / 112 * side``), so
    every alignment template still produces a crop. ``detector`` is :data:`FALLBACK`, ``score`` 0.
    """
    height, width = _image_hw(image_shape)
    side = min(height, width)
    centre = np.array(FALLBACK_BOX_CENTRE) * (width, height)
    size = np.array(FALLBACK_BOX_SIZE) * side
    square_side = FALLBACK_SQUARE_SIDE * side
    square_origin = np.array(FALLBACK_SQUARE_CENTRE) * (width, height) - square_side / 2
    landmarks = square_origin + ARC112_POINTS / 112.0 * square_side
    return Detection(np.concatenate([centre - size / 2, size]), landmarks, 0.0, FALLBACK)
