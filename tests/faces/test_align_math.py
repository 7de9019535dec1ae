"""Alignment maths: similarity estimation against exact answers and OpenCV, box geometry, template dispatch."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.faces import Detection, align, get_template, similarity_matrix
from facebridge.faces.align import box_matrix
from facebridge.faces.dlib_chip import BOX_DX, BOX_DY, BOX_SCALE, dlib_box, fit_box_mapping
from facebridge.faces.templates import ARC112_POINTS


def similarity(scale: float, angle: float, tx: float, ty: float) -> np.ndarray:
    c, s = scale * math.cos(angle), scale * math.sin(angle)
    return np.array([[c, -s, tx], [s, c, ty]])


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


def test_template_landmarks_give_identity() -> None:
    np.testing.assert_allclose(similarity_matrix(ARC112_POINTS, ARC112_POINTS), np.eye(2, 3), atol=1e-12)
    rgb = np.random.default_rng(0).integers(0, 256, (112, 112, 3), dtype=np.uint8)
    face = align(rgb, Detection((20, 20, 70, 80), ARC112_POINTS, 0.9, "test"), "arc112")
    np.testing.assert_array_equal(face.crop, rgb)
    big = align(rgb, Detection((20, 20, 70, 80), ARC112_POINTS, 0.9, "test"), "arc128")
    np.testing.assert_allclose(big.matrix, np.eye(2, 3) * 128 / 112, atol=1e-5)  # landmarks are float32
    assert big.crop.shape == (128, 128, 3)


@settings(max_examples=50, deadline=None)
@given(
    scale=st.floats(0.2, 5.0),
    angle=st.floats(-math.pi, math.pi),
    shift=st.tuples(st.floats(-300, 300), st.floats(-300, 300)),
    seed=st.integers(0, 1000),
)
def test_known_similarity_is_recovered(scale: float, angle: float, shift: tuple[float, float], seed: int) -> None:
    truth = similarity(scale, angle, *shift)
    src = np.random.default_rng(seed).uniform(0, 250, (5, 2))
    np.testing.assert_allclose(similarity_matrix(src, apply(truth, src)), truth, atol=1e-7)


def test_noisy_fit_matches_opencv_least_squares() -> None:
    rng = np.random.default_rng(1)
    src = ARC112_POINTS + rng.normal(0, 3, (5, 2)) + (60, 50)
    dst = apply(similarity(0.8, 0.3, -40, 10), src) + rng.normal(0, 2, (5, 2))
    ours = similarity_matrix(src, dst)
    # RANSAC with a huge threshold keeps every point, then Levenberg-Marquardt refines to the least-squares optimum.
    ref, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=1e6, maxIters=10, refineIters=100
    )
    assert inliers.all()
    np.testing.assert_allclose(ours[:, :2], ref[:, :2], atol=1e-6)
    np.testing.assert_allclose(ours[:, 2], ref[:, 2], atol=1e-4)  # LM stops within its own tolerance
    sse = lambda m: float(((apply(m, src) - dst) ** 2).sum())  # noqa: E731
    assert sse(ours) <= sse(ref) + 1e-9


def test_mirrored_points_give_no_reflection() -> None:
    mirrored = ARC112_POINTS * (-1, 1)
    m = similarity_matrix(ARC112_POINTS, mirrored)
    assert np.linalg.det(m[:, :2]) >= 0
    with pytest.raises(InvalidInputError, match="coincide"):
        similarity_matrix(np.ones((5, 2)), ARC112_POINTS)
    with pytest.raises(InvalidInputError, match=r"\(n, 2\)"):
        similarity_matrix(np.ones((5, 3)), np.ones((5, 3)))


def test_box224_of_whole_image_is_cv2_resize() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    face = align(rgb, Detection((0, 0, 100, 100), None, 1.0, "test"), "box224", margin=0.0)
    ref = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_LINEAR)
    # Same sampling grid: inside the outermost pixels (resize replicates the edge, the crop pads black) only the
    # fixed-point rounding differs (warpAffine quantises positions to 1/32 px); a grid off by half a pixel would
    # differ by tens of levels on this noise image.
    diff = np.abs(face.crop[2:-2, 2:-2].astype(int) - ref[2:-2, 2:-2])
    assert diff.mean() < 1.0 and diff.max() <= 8


def test_box224_geometry() -> None:
    # Box 100 wide, 80 tall at (50, 60): square side 100 * 1.2 = 120 around centre (100, 100), so the box's area
    # corner (50, 60) (pixel-centre coordinate 49.5, 59.5) lands at 224 * 0.1 / 1.2 from the crop's left edge.
    m = box_matrix(np.array([50, 60, 100, 80]), 224, 0.1)
    s = 224 / 120
    np.testing.assert_allclose(m[:, :2], np.eye(2) * s)
    edge = 224 * 0.1 / 1.2
    np.testing.assert_allclose(apply(m, np.array([[49.5, 59.5]])), [[edge - 0.5, edge + 10 * s - 0.5]])
    np.testing.assert_allclose(apply(m, np.array([[99.5, 99.5]])), [[111.5, 111.5]])  # centre to centre
    np.testing.assert_allclose(box_matrix(np.array([0, 0, 80, 100]), 224, 0.0)[0, 0], 224 / 100)
    with pytest.raises(InvalidInputError, match="margin"):
        box_matrix(np.array([0, 0, 10, 10]), 224, -0.1)


def test_box224_pads_outside_with_black() -> None:
    rgb = np.full((100, 100, 3), 200, np.uint8)
    crop = align(rgb, Detection((-50, -50, 100, 100), None, 1.0, "test"), "box224", margin=0.0).crop
    assert crop.shape == (224, 224, 3) and crop.dtype == np.uint8
    assert (crop[:100, :100] == 0).all() and (crop[120:, 120:] == 200).all()


def test_dispatch_errors() -> None:
    rgb = np.zeros((50, 50, 3), np.uint8)
    det = Detection((10, 10, 20, 20), None, 1.0, "test")
    with pytest.raises(NotFoundError, match="did you mean arc128, arc112"):
        align(rgb, det, "arc121")
    with pytest.raises(NotFoundError, match="known: arc112"):
        get_template("zzzzzz")
    with pytest.raises(InvalidInputError, match="unknown \\['padding'\\]"):
        align(rgb, det, "box224", padding=0.3)
    with pytest.raises(InvalidInputError, match="needs 5 landmarks"):
        align(rgb, det, "arc112")
    with pytest.raises(InvalidInputError, match="uint8"):
        align(rgb.astype(np.float32), det, "box224")


def test_box_mapping_fit_and_use() -> None:
    rng = np.random.default_rng(3)
    src = np.column_stack([rng.uniform(0, 100, (20, 2)), rng.uniform(50, 150, (20, 2))])
    s = np.sqrt(src[:, 2] * src[:, 3])
    centre = src[:, :2] + src[:, 2:] / 2 + np.column_stack([0.05 * s, -0.1 * s])
    dst = np.column_stack([centre - 0.45 * s[:, None], 0.9 * s, 0.9 * s])
    np.testing.assert_allclose(fit_box_mapping(src, dst), (0.9, 0.05, -0.1), atol=1e-12)
    box = np.array([10.0, 20.0, 90.0, 160.0])
    x, y, w, h = dlib_box(Detection(box, None, 0.9, "yunet"))
    side = BOX_SCALE * 120.0
    np.testing.assert_allclose((x + w / 2, y + h / 2, w, h), (55 + BOX_DX * 120, 100 + BOX_DY * 120, side, side))
    np.testing.assert_array_equal(dlib_box(Detection(box, None, 1.0, "dlib-hog")), box)
