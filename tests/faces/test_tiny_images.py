"""Tiny images (a shorter side under ``MIN_IMAGE_SIDE``, such as 32 x 32 or 500 x 1) get a status of their own and never
reach the detector, and YuNet rows that are not a box in the image are dropped: before, YuNet's uninitialised boxes
(~4e27) stopped a whole ``embed`` run about half the time with "box must be 4 finite numbers"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.extraction.detect import TOO_SMALL, detect_images
from facebridge.faces import MIN_IMAGE_SIDE, Detection
from facebridge.faces.yunet import YuNetDetector
from tests.faces.conftest import YUNET_ONNX, require

#: name -> (width, height)
TINY = {"dot.png": (8, 8), "square32.png": (32, 32), "line.png": (500, 1), "column.png": (1, 500),
        "thin.png": (300, 20)}  # fmt: skip


class Recording:
    """A detector that finds one central face in any image and remembers the sizes it was asked about."""

    name = "recording"

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        self.seen.append((w, h))
        return [Detection(np.array([w / 4, h / 4, w / 2, h / 2]), None, 0.9, self.name)]


class GarbageNet:
    """Stands in for OpenCV's FaceDetectorYN: what YuNet returned for tiny inputs, next to one real face."""

    def setInputSize(self, size: tuple[int, int]) -> None:
        pass

    def detect(self, bgr: np.ndarray) -> tuple[int, np.ndarray]:
        good = [60, 50, 80, 100, 80, 90, 120, 90, 100, 110, 85, 130, 115, 130, 0.95]
        huge = [4e27, -3e27, 5e27, 1e27, *([2e27] * 10), 0.9]
        nan = [np.nan, 1, 2, 3, *([1.0] * 10), 0.8]
        flat = [10, 10, 0, 40, *([20.0] * 10), 0.7]
        return 1, np.array([huge, good, nan, flat], dtype=np.float32)


def tiny_folder(root: Path) -> None:
    root.mkdir()
    rng = np.random.default_rng(0)
    for name, (w, h) in TINY.items():
        Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)).save(root / name)
    Image.fromarray(rng.integers(0, 256, size=(200, 200, 3), dtype=np.uint8)).save(root / "big.png")


@pytest.mark.parametrize("fallback", [True, False])
def test_tiny_images_get_a_status_and_never_reach_the_detector(tmp_path, fallback: bool) -> None:
    tiny_folder(tmp_path / "images")
    detector = Recording()
    ids = sorted([*TINY, "big.png"])
    rows = detect_images(ids, tmp_path / "images", detector, tmp_path / "store", chunk_size=3, fallback=fallback)
    assert detector.seen == [(200, 200)]
    for name, (w, h) in TINY.items():
        status, note, det, _ = rows[name]
        assert (status, det) == (TOO_SMALL, "") and f"{w}x{h} px" in note and str(MIN_IMAGE_SIDE) in note
    assert rows["big.png"][0] == "ok"


def test_yunet_rows_outside_the_image_are_dropped() -> None:
    yunet = YuNetDetector.__new__(YuNetDetector)  # its OpenCV net replaced: no weights needed
    yunet._cv2 = __import__("facebridge.faces.runtime", fromlist=["cv2"]).cv2()
    yunet._net = GarbageNet()
    found = yunet.detect(np.zeros((240, 240, 3), np.uint8))
    assert len(found) == 1 and found[0].score == pytest.approx(0.95)
    assert yunet.detect(np.zeros((1, 500, 3), np.uint8)) == []  # too small: not even asked


def test_real_yunet_on_tiny_images_finds_nothing_and_never_raises() -> None:
    yunet = YuNetDetector(require(YUNET_ONNX))
    rng = np.random.default_rng(1)
    for _ in range(10):
        for w, h in TINY.values():
            assert yunet.detect(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)) == []
