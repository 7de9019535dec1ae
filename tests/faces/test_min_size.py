"""``--min-face``: faces smaller than the minimum are ignored, under a detector name of their own."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.faces import Detection, choose_face
from facebridge.faces.min_size import MinFaceSize


class Fixed:
    """A detector returning the same faces for every image."""

    name = "fixed"

    def __init__(self, dets: list[Detection]) -> None:
        self.dets = dets

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return list(self.dets)


def test_small_faces_are_ignored_before_the_choice() -> None:
    small_central = Detection(np.array([90, 90, 20, 20]), None, 0.9, "fixed")
    large_corner = Detection(np.array([0, 0, 60, 40]), None, 0.9, "fixed")
    image = np.zeros((200, 200, 3), np.uint8)
    assert choose_face(Fixed([small_central, large_corner]).detect(image), image.shape) is small_central
    detector = MinFaceSize(Fixed([small_central, large_corner]), 40)
    assert detector.name == "fixed-min40"
    assert detector.detect(image) == [large_corner]  # 40 px: the shorter side counts
    assert MinFaceSize(Fixed([small_central, large_corner]), 41).detect(image) == []
    with pytest.raises(InvalidInputError, match="min face size"):
        MinFaceSize(Fixed([]), 0)
