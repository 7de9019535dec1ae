"""Detection records, the choice among several faces, the fallback face, and the 68 -> 5 landmark reduction."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError, MissingDependencyError, MissingFileError
from facebridge.faces import (
    FALLBACK,
    LANDMARKS_5,
    Detection,
    align,
    choose_face,
    face_priority,
    fallback_detection,
    runtime,
)
from facebridge.faces.dlib_hog import DlibHogDetector, five_from_68
from facebridge.faces.templates import ARC112_POINTS
from facebridge.faces.yunet import YuNetDetector


def det(x: float, y: float, w: float, h: float, score: float = 0.9) -> Detection:
    return Detection((x, y, w, h), None, score, "test")


def test_detection_validates_and_converts() -> None:
    d = Detection([1, 2, 3, 4], ARC112_POINTS, np.float64(0.5), "yunet")
    assert d.box.dtype == np.float32 and d.landmarks.dtype == np.float32 and type(d.score) is float
    with pytest.raises(InvalidInputError, match="w, h > 0"):
        det(0, 0, 0, 10)
    with pytest.raises(InvalidInputError, match="w, h > 0"):
        det(np.nan, 0, 10, 10)
    with pytest.raises(InvalidInputError, match=r"\(5, 2\)"):
        Detection((0, 0, 1, 1), np.zeros((68, 2)), 1.0, "x")
    with pytest.raises(InvalidInputError, match="score"):
        det(0, 0, 1, 1, score=float("inf"))
    assert LANDMARKS_5[0] == "left_eye" and LANDMARKS_5[-1] == "right_mouth"


def test_priority_reference_value() -> None:
    # 250x250 image; box centre (135, 125): offset 10 = 0.4 * CENTRE_SCALE * 250; size 100/250; score 0.8 -> 0.9.
    assert face_priority(det(85, 75, 100, 100, 0.8), (250, 250, 3)) == pytest.approx(0.9 * 0.4 / (1 + 0.4**2))
    assert face_priority(det(85, 75, 100, 100, 7.0), (250, 250)) == pytest.approx(1.0 * 0.4 / 1.16)


def test_choose_prefers_central_then_large_then_confident() -> None:
    shape = (250, 250, 3)
    central = det(80, 75, 95, 100)
    big_offside = det(150, 10, 100, 120, 0.99)
    small_central = det(112, 110, 26, 30)
    assert choose_face([big_offside, small_central, central], shape) is central
    sure, unsure = det(80, 75, 95, 100, 0.95), det(81, 75, 95, 100, 0.65)
    assert choose_face([unsure, sure], shape) is sure
    assert choose_face([central, det(80, 75, 95, 100)], shape) is central  # ties: the first
    assert choose_face([], shape) is None
    with pytest.raises(InvalidInputError, match="image_shape"):
        choose_face([central], (0, 250))


def test_fallback_is_central_and_aligns_to_the_template() -> None:
    fb = fallback_detection((250, 250, 3))
    assert fb.detector == FALLBACK and fb.score == 0.0
    x, y, w, h = fb.box
    assert abs(x + w / 2 - 125) < 3 and abs(y + h / 2 - 128) < 3 and 80 < w < h < 130
    assert fb.landmarks[0, 0] < fb.landmarks[1, 0] and fb.landmarks[0, 1] < fb.landmarks[3, 1]
    face = align(np.zeros((250, 250, 3), np.uint8), fb, "arc112")
    mapped = fb.landmarks @ face.matrix[:, :2].T + face.matrix[:, 2]
    np.testing.assert_allclose(mapped, ARC112_POINTS, atol=1e-3)  # template placed in a square: exact fit
    np.testing.assert_allclose(face.matrix[0, 0], 112 / (0.504 * 250), rtol=1e-5)
    wide = fallback_detection((200, 400))  # sizes follow the shorter side, centres each axis
    np.testing.assert_allclose(wide.box[2:], fb.box[2:] * 200 / 250, rtol=1e-5)
    assert abs(wide.box[0] + wide.box[2] / 2 - 200) < 2


def test_five_from_68() -> None:
    pts = np.zeros((68, 2))
    pts[36:42] = [[10, 50], [12, 48], [14, 48], [16, 50], [14, 52], [12, 52]]
    pts[42:48] = pts[36:42] + np.array([30, 0])
    pts[30], pts[48], pts[54] = (28, 70), (15, 90), (43, 90)
    np.testing.assert_allclose(five_from_68(pts), [[13, 50], [43, 50], [28, 70], [15, 90], [43, 90]])
    with pytest.raises(InvalidInputError, match="68"):
        five_from_68(np.zeros((5, 2)))


def test_missing_runtime_and_weights(tmp_path) -> None:
    with pytest.raises(MissingDependencyError, match="pip install some-wheel"):
        runtime.require("facebridge_no_such_module", "some-wheel")
    pytest.importorskip("cv2")
    with pytest.raises(MissingFileError, match="YuNet model not found"):
        YuNetDetector(tmp_path / "none.onnx")
    pytest.importorskip("dlib")
    with pytest.raises(MissingFileError, match="shape predictor not found"):
        DlibHogDetector(predictor_path=tmp_path / "none.dat")
