"""Fixtures for the real-model tests: the shared weights and a few LFW faces aligned by a crude, local aligner.

The aligner here is deliberately independent of ``facebridge.faces`` (YuNet + similarity warp for the ArcFace
templates and box224, dlib HOG + 5-point chip for dlib150), so these tests check the models alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import LFW_IMAGES, SHARED, require_shared

MODELS_DIR = Path(os.environ.get("FACEBRIDGE_MODELS") or SHARED / "models")
#: Six people, three images each (LFW image numbers): 18 same-person and 135 different-person pairs.
PEOPLE = {
    "Aaron_Peirsol": (1, 2, 3),
    "Abdullah_Gul": (1, 6, 7),
    "Adam_Sandler": (1, 2, 3),
    "Adrien_Brody": (2, 3, 5),
    "Al_Gore": (1, 2, 3),
    "Alan_Greenspan": (1, 2, 3),
}
ARC112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


def require_models() -> None:
    """Skip when the shared weights or LFW are absent; under CI=true that is a failure instead."""
    require_shared(MODELS_DIR / "SHA256SUMS", LFW_IMAGES)


def _lfw_images() -> tuple[list[str], list[np.ndarray]]:
    import cv2

    labels, images = [], []
    for person, numbers in PEOPLE.items():
        for i in numbers:
            bgr = cv2.imread(str(LFW_IMAGES / person / f"{person}_{i:04d}.jpg"), cv2.IMREAD_COLOR)
            labels.append(person)
            images.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return labels, images


def _yunet_faces(images: list[np.ndarray]) -> list[np.ndarray]:
    """The most central face per image as a YuNet row: box x, y, w, h, then 5 (x, y) landmarks."""
    import cv2

    detector = cv2.FaceDetectorYN.create(str(MODELS_DIR / "yunet" / "face_detection_yunet.onnx"), "", (250, 250))
    rows = []
    for rgb in images:
        h, w = rgb.shape[:2]
        detector.setInputSize((w, h))
        _, faces = detector.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        assert faces is not None, "YuNet found no face in a test image"
        centres = faces[:, :2] + faces[:, 2:4] / 2
        rows.append(faces[np.argmin(np.linalg.norm(centres - [w / 2, h / 2], axis=1))])
    return rows


def _arc_crop(rgb: np.ndarray, face: np.ndarray, size: int) -> np.ndarray:
    import cv2

    matrix, _ = cv2.estimateAffinePartial2D(face[4:14].reshape(5, 2), ARC112 * (size / 112), method=cv2.LMEDS)
    return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR)


def _box_crop(rgb: np.ndarray, face: np.ndarray, size: int = 224, margin: float = 0.1) -> np.ndarray:
    import cv2

    x, y, w, h = face[:4]
    side = max(w, h) * (1 + 2 * margin)
    scale = size / side
    cx, cy = x + w / 2, y + h / 2
    matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], dtype=np.float64)
    return cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_AREA)


def _dlib_chips(images: list[np.ndarray]) -> list[np.ndarray]:
    import dlib
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())
    chips = []
    for rgb in images:
        h, w = rgb.shape[:2]
        rects = list(detector(rgb, 1)) or [dlib.rectangle(w // 4, h // 4, 3 * w // 4, 3 * h // 4)]
        rect = min(rects, key=lambda r: abs(r.center().x - w / 2) + abs(r.center().y - h / 2))
        chips.append(dlib.get_face_chip(rgb, predictor(rgb, rect), size=150, padding=0.25))
    return chips


@pytest.fixture(scope="session")
def lfw_crops() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(labels (18,), {alignment name: (18, h, w, 3) uint8 RGB crops}) for the fixed people above."""
    require_models()
    labels, images = _lfw_images()
    faces = _yunet_faces(images)
    crops = {
        "arc112": np.stack([_arc_crop(im, f, 112) for im, f in zip(images, faces, strict=True)]),
        "arc128": np.stack([_arc_crop(im, f, 128) for im, f in zip(images, faces, strict=True)]),
        "box224": np.stack([_box_crop(im, f) for im, f in zip(images, faces, strict=True)]),
        "dlib150": np.stack(_dlib_chips(images)),
    }
    return np.array(labels), crops
