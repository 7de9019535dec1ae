"""Detectors and alignment on 21 real LFW images pinned by id (skipped without ../shared, failed under CI=true)."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.faces import DetectionCache, align, choose_face
from facebridge.faces.dlib_chip import _five_point_predictor, dlib_box
from facebridge.faces.templates import ARC112_POINTS

pytestmark = pytest.mark.models


def iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = np.maximum(a[:2], b[:2])
    x1, y1 = np.minimum(a[:2] + a[2:], b[:2] + b[2:])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter))


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


@pytest.fixture(scope="module")
def chosen(lfw_faces, yunet, dlib_hog) -> dict[str, dict]:
    """The face YuNet and dlib HOG choose in each image."""
    out = {}
    for image_id, rgb in lfw_faces.items():
        out[image_id] = {
            name: choose_face(d.detect(rgb), rgb.shape) for name, d in [("yunet", yunet), ("dlib", dlib_hog)]
        }
    return out


def test_yunet_finds_the_central_face_with_ordered_landmarks(lfw_faces, yunet, chosen) -> None:
    for image_id, rgb in lfw_faces.items():
        assert yunet.detect(rgb), image_id
        face = chosen[image_id]["yunet"]
        x, y, w, h = face.box
        assert np.hypot(x + w / 2 - 125, y + h / 2 - 125) < 30 and 60 < w < 160, (image_id, face.box)
        left_eye, right_eye, nose, left_mouth, right_mouth = face.landmarks
        assert left_eye[0] < nose[0] < right_eye[0] and left_mouth[0] < right_mouth[0], image_id
        assert max(left_eye[1], right_eye[1]) < nose[1] < min(left_mouth[1], right_mouth[1]), image_id


def test_dlib_hog_agrees_with_yunet(lfw_faces, chosen) -> None:
    for image_id in lfw_faces:
        ours, theirs = chosen[image_id]["dlib"], chosen[image_id]["yunet"]
        assert ours is not None and ours.detector == "dlib-hog", image_id
        assert iou(ours.box, theirs.box) > 0.4, image_id
        assert ours.landmarks[0, 0] < ours.landmarks[1, 0] and ours.landmarks[3, 0] < ours.landmarks[4, 0]
        eye_gap = np.linalg.norm(theirs.landmarks[1] - theirs.landmarks[0])
        assert np.abs(ours.landmarks[:2] - theirs.landmarks[:2]).max() < 0.25 * eye_gap, image_id


def test_arc112_puts_independent_eye_landmarks_near_the_template(lfw_faces, chosen) -> None:
    errors = []
    for image_id, rgb in lfw_faces.items():
        face = align(rgb, chosen[image_id]["yunet"], "arc112")
        assert face.crop.shape == (112, 112, 3) and face.crop.dtype == np.uint8
        # dlib's 68-point eyes, an independent estimate, land near the template eyes in the YuNet-aligned crop.
        errors.append(
            np.linalg.norm(apply(face.matrix, chosen[image_id]["dlib"].landmarks[:2]) - ARC112_POINTS[:2], axis=1)
        )
    errors = np.array(errors)
    # An unaligned crop is off by 20+ px. Two independent landmark estimators disagree most on tilted faces behind
    # glasses (Jesse_Harris_0002: 9.7 and 10.9 px), so one image may exceed 10 px, none 15.
    assert np.median(errors) < 5.0 and errors.max() < 15.0, errors.round(1)
    assert (errors.max(axis=1) >= 10.0).sum() <= 1, errors.round(1)


def test_box224_crop(lfw_faces, chosen) -> None:
    image_id = next(iter(lfw_faces))
    face = align(lfw_faces[image_id], chosen[image_id]["yunet"], "box224")
    assert face.crop.shape == (224, 224, 3) and face.crop.std() > 10


def test_dlib150_chip(lfw_faces, chosen) -> None:
    import cv2
    import dlib

    ious = []
    for image_id, rgb in list(lfw_faces.items())[:8]:
        own = chosen[image_id]["dlib"]
        chip = align(rgb, own, "dlib150")
        assert chip.crop.shape == (150, 150, 3) and chip.crop.dtype == np.uint8
        x, y, w, h = (int(v) for v in own.box)
        shape = _five_point_predictor()(rgb, dlib.rectangle(x, y, x + w - 1, y + h - 1))
        np.testing.assert_array_equal(chip.crop, dlib.get_face_chip(rgb, shape, size=150, padding=0.25))
        resampled = cv2.warpAffine(rgb, chip.matrix, (150, 150), flags=cv2.INTER_LINEAR)
        assert np.abs(resampled.astype(int) - chip.crop).mean() < 1.5, image_id  # the matrix is dlib's mapping
        ious.append(iou(dlib_box(chosen[image_id]["yunet"]), own.box))
        assert align(rgb, chosen[image_id]["yunet"], "dlib150", padding=0.3).crop.shape == (150, 150, 3)
    assert np.median(ious) > 0.75, np.round(ious, 2)  # the fitted YuNet -> dlib box mapping


def test_cache_round_trip_with_real_detections(tmp_path, chosen) -> None:
    cache = DetectionCache.load(tmp_path / "detections-yunet.parquet", "yunet")
    cache.put_many((i, c["yunet"]) for i, c in chosen.items())
    cache.flush()
    back = DetectionCache.load(tmp_path / "detections-yunet.parquet")
    for image_id, c in chosen.items():
        np.testing.assert_array_equal(back.get(image_id).landmarks, c["yunet"].landmarks)
