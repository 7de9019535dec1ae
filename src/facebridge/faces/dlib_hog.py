"""dlib's HOG face detector with its 68-point shape predictor, reduced to the five arc112 landmarks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError, MissingFileError
from facebridge.faces import runtime
from facebridge.faces.detection import Detection
from facebridge.images.rgb import check_rgb


def five_from_68(points: np.ndarray) -> np.ndarray:
    """(5, 2) :data:`LANDMARKS_5` from (68, 2) iBUG points: eye centres (means of 36-41 and 42-47), nose tip 30,
    mouth corners 48 and 54. The iBUG subject's right eye (36-41) is the image-left one."""
    if points.shape != (68, 2):
        raise InvalidInputError(f"expected (68, 2) landmarks, got shape {points.shape}")
    return np.stack([points[36:42].mean(0), points[42:48].mean(0), points[30], points[48], points[54]])


def shape_points(shape: Any) -> np.ndarray:
    """(n, 2) float64 ``(x, y)`` of a ``dlib.full_object_detection``."""
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


class DlibHogDetector:
    """dlib's frontal HOG detector, each face refined by the 68-point predictor of ``face_recognition_models``.

    Parameters
    ----------
    upsample : times the image is doubled before detection (1 finds faces down to about 40 px).
    predictor_path : a ``shape_predictor_68_face_landmarks.dat``; default: the one in ``face_recognition_models``.
    """

    name = "dlib-hog"

    def __init__(self, *, upsample: int = 1, predictor_path: str | os.PathLike[str] | None = None) -> None:
        if upsample < 0:
            raise InvalidInputError(f"upsample must be >= 0, got {upsample}")
        dlib = runtime.dlib()
        if predictor_path is None:
            predictor_path = runtime.face_recognition_models().pose_predictor_model_location()
        if not Path(predictor_path).is_file():
            raise MissingFileError(f"dlib 68-point shape predictor not found: {predictor_path}")
        self.upsample = upsample
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(os.fspath(predictor_path))

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """All faces in an (H, W, 3) uint8 RGB image; ``score`` is the HOG SVM margin (0 at the threshold)."""
        rgb = check_rgb(rgb)
        rects, scores, _ = self._detector.run(rgb, self.upsample, 0.0)
        return [
            Detection(
                np.array((r.left(), r.top(), r.width(), r.height())),
                five_from_68(shape_points(self._predictor(rgb, r))),
                score,
                self.name,
            )
            for r, score in zip(rects, scores, strict=True)
        ]
