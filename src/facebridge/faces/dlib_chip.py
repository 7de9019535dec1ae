"""The ``dlib150`` template: dlib's own 5-point face chip, from any detector's box."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.faces import runtime
from facebridge.faces.detection import Detection
from facebridge.faces.dlib_hog import DlibHogDetector
from facebridge.faces.templates import AlignedFace, Template

# A box from another detector is mapped to dlib HOG geometry: with s = sqrt(w * h), the dlib box is a square of
# side BOX_SCALE * s centred at (cx + BOX_DX * s, cy + BOX_DY * s), (cx, cy) the box centre. Fitted by
# fit_box_mapping on the boxes of the face chosen by YuNet (score >= 0.6) and by dlib HOG (upsample 1) in 202 LFW
# images (every 45th of the sorted ids; both found a face in all). Mean absolute residual 6-8 px per coordinate for
# dlib boxes of 105 px on average (dlib's boxes come in discrete pyramid scales).
BOX_SCALE = 0.9726
BOX_DX = -0.0355
BOX_DY = 0.0407


def fit_box_mapping(src: np.ndarray, dst: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``(scale, dx, dy)`` of the mapping above, from (n, 4) ``x, y, w, h`` boxes ``src`` to the
    matching (n, 4) boxes ``dst`` (dst side taken as ``sqrt(w * h)``)."""
    src, dst = np.asarray(src, dtype=np.float64), np.asarray(dst, dtype=np.float64)
    if src.ndim != 2 or src.shape[1] != 4 or src.shape != dst.shape or len(src) == 0:
        raise InvalidInputError(f"need two matching (n, 4) box arrays, got {src.shape} and {dst.shape}")
    s_src, s_dst = np.sqrt(src[:, 2] * src[:, 3]), np.sqrt(dst[:, 2] * dst[:, 3])
    centre_src, centre_dst = src[:, :2] + src[:, 2:] / 2, dst[:, :2] + dst[:, 2:] / 2
    scale = float(s_src @ s_dst / (s_src @ s_src))
    dx, dy = ((centre_dst - centre_src) * s_src[:, None]).sum(0) / (s_src @ s_src)
    return scale, float(dx), float(dy)


def dlib_box(detection: Detection) -> np.ndarray:
    """(4,) ``x, y, w, h`` of the box dlib's HOG detector would give for this face: its own box for a dlib HOG
    detection, else the mapping of the constants above."""
    if detection.detector == DlibHogDetector.name:
        return detection.box.astype(np.float64)
    x, y, w, h = (float(v) for v in detection.box)
    s = math.sqrt(w * h)
    side = BOX_SCALE * s
    cx, cy = x + w / 2 + BOX_DX * s, y + h / 2 + BOX_DY * s
    return np.array([cx - side / 2, cy - side / 2, side, side])


@functools.cache
def _five_point_predictor() -> Any:
    path = runtime.face_recognition_models().pose_predictor_five_point_model_location()
    return runtime.dlib().shape_predictor(path)


def chip_matrix(details: Any) -> np.ndarray:
    """(2, 3) image->chip matrix of a ``dlib.chip_details``, computed as dlib's ``get_mapping_to_chip`` does:
    the rotated rectangle's top-left, top-right and bottom-right corners go to the chip's corner pixels."""
    rect, angle = details.rect, details.angle
    centre = np.array([(rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2])
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    corners = np.array([[rect.left(), rect.top()], [rect.right(), rect.top()], [rect.right(), rect.bottom()]])
    src = (corners - centre) @ rotation.T + centre
    dst = np.array([[0, 0], [details.cols - 1, 0], [details.cols - 1, details.rows - 1]], dtype=np.float64)
    linear = np.linalg.solve(np.hstack([src, np.ones((3, 1))]), dst)
    return linear.T


def dlib_chip(rgb: np.ndarray, detection: Detection, template: Template, *, padding: float = 0.25) -> AlignedFace:
    """``dlib.get_face_chip(rgb, shape5, size=template.size, padding=padding)``, where ``shape5`` is dlib's 5-point
    predictor run on :func:`dlib_box` of the detection; the detection's own landmarks are not used."""
    if padding < 0 or not math.isfinite(padding):
        raise InvalidInputError(f"padding must be a finite number >= 0, got {padding}")
    dlib = runtime.dlib()
    x, y, w, h = dlib_box(detection)
    rect = dlib.rectangle(round(x), round(y), round(x + w) - 1, round(y + h) - 1)
    shape = _five_point_predictor()(rgb, rect)
    details = dlib.get_face_chip_details(shape, size=template.size, padding=padding)
    chip = dlib.extract_image_chip(rgb, details)
    return AlignedFace(np.ascontiguousarray(chip, dtype=np.uint8), chip_matrix(details))
