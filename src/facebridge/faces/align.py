"""Align a detected face to a named template: pure functions returning the crop and the image->crop matrix."""

from __future__ import annotations

import inspect

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.faces import runtime
from facebridge.faces.detection import Detection
from facebridge.faces.dlib_chip import dlib_chip
from facebridge.faces.templates import AlignedFace, Template, get_template
from facebridge.images.rgb import check_rgb


def similarity_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The (2, 3) similarity (rotation, uniform scale, translation; no reflection) that maps ``src`` onto ``dst``
    with least squared error, for (n, 2) point sets, n >= 2.

    This is Umeyama's estimate (as insightface uses through scikit-image); in 2-D it has the closed form of a
    complex least-squares fit ``d = z s + t`` with ``z = a + ib = sum(conj(s_c) d_c) / sum(|s_c|^2)`` on centred
    points, giving ``[[a, -b, tx], [b, a, ty]]``.
    """
    src, dst = np.asarray(src, dtype=np.float64), np.asarray(dst, dtype=np.float64)
    if src.ndim != 2 or src.shape[1] != 2 or src.shape != dst.shape or len(src) < 2:
        raise InvalidInputError(f"need two (n, 2) point sets with n >= 2, got {src.shape} and {dst.shape}")
    src_c, dst_c = src - src.mean(0), dst - dst.mean(0)
    norm = float((src_c**2).sum())
    if norm <= 1e-12:
        raise InvalidInputError("source points all coincide; no similarity transform is defined")
    a = float((src_c * dst_c).sum()) / norm
    b = float((src_c[:, 0] * dst_c[:, 1] - src_c[:, 1] * dst_c[:, 0]).sum()) / norm
    linear = np.array([[a, -b], [b, a]])
    return np.hstack([linear, (dst.mean(0) - linear @ src.mean(0))[:, None]])


def warp(rgb: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """(size, size, 3) uint8: ``rgb`` resampled through ``matrix`` (bilinear; outside the image is black)."""
    cv2 = runtime.cv2()
    return cv2.warpAffine(
        rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0)
    )


def align_similarity(rgb: np.ndarray, detection: Detection, template: Template) -> AlignedFace:
    """Map the detection's five landmarks onto ``template.points`` by :func:`similarity_matrix` and warp."""
    if detection.landmarks is None:
        raise InvalidInputError(f"template {template.name!r} needs 5 landmarks; the {detection.detector} face has none")
    if template.points is None:
        raise InvalidInputError(f"template {template.name!r} has no landmark points to align to")
    matrix = similarity_matrix(detection.landmarks, template.points)
    return AlignedFace(warp(rgb, matrix, template.size), matrix)


def box_matrix(box: np.ndarray, size: int, margin: float) -> np.ndarray:
    """(2, 3) matrix taking the square around ``box`` to a ``size`` x ``size`` crop.

    The square has the box's centre and side ``max(w, h) * (1 + 2 * margin)``: ``margin`` is added on every side,
    as a fraction of the box's longer side. Its area ``[x0, x0 + side)`` maps onto the crop's ``[0, size)`` with
    pixel centres at half-integers, as ``cv2.resize`` does (so a box covering a whole square image with margin 0
    gives exactly ``cv2.resize``).
    """
    if margin < 0 or not np.isfinite(margin):
        raise InvalidInputError(f"margin must be a finite number >= 0, got {margin}")
    x, y, w, h = (float(v) for v in box)
    side = max(w, h) * (1 + 2 * margin)
    x0, y0 = x + w / 2 - side / 2, y + h / 2 - side / 2
    s = size / side
    return np.array([[s, 0.0, s * (0.5 - x0) - 0.5], [0.0, s, s * (0.5 - y0) - 0.5]])


def align_box(rgb: np.ndarray, detection: Detection, template: Template, *, margin: float = 0.1) -> AlignedFace:
    """Square crop around the detection box (see :func:`box_matrix`), padded with black outside the image."""
    matrix = box_matrix(detection.box, template.size, margin)
    return AlignedFace(warp(rgb, matrix, template.size), matrix)


_ALIGNERS = {"similarity": align_similarity, "box": align_box, "dlib_chip": dlib_chip}


def align(rgb: np.ndarray, detection: Detection, template: str, /, **params: float) -> AlignedFace:
    """Crop the face of ``detection`` from ``rgb`` (H, W, 3) uint8 as the named template wants.

    ``params`` are the template's keyword options (``box224``: ``margin``; ``dlib150``: ``padding``); unknown
    templates raise NotFoundError with close matches, unknown options InvalidInputError.
    """
    tpl = get_template(template)
    aligner = _ALIGNERS[tpl.method]
    options = [p.name for p in inspect.signature(aligner).parameters.values() if p.kind is p.KEYWORD_ONLY]
    unknown = sorted(set(params) - set(options))
    if unknown:
        raise InvalidInputError(f"template {template!r} takes options {options}, got unknown {unknown}")
    return aligner(check_rgb(rgb), detection, tpl, **params)
