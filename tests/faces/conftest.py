"""Fixtures for the real-data face tests: 21 LFW images and the YuNet weights from ``../shared`` (skipped when
absent, failed when ``CI=true``), and detectors built once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facebridge.images import list_images, load_image
from tests.helpers import LFW_IMAGES, SHARED, require_shared

YUNET_ONNX = SHARED / "models" / "yunet" / "face_detection_yunet.onnx"


def require(path: Path) -> Path:
    require_shared(path)
    return path


@pytest.fixture(scope="session")
def lfw_faces() -> dict[str, np.ndarray]:
    """Every 450th LFW image by sorted id (21 of 9,056), decoded."""
    root = require(LFW_IMAGES)
    return {i: load_image(root / i).rgb for i in list_images(root)[::450][:21]}


@pytest.fixture(scope="session")
def yunet():
    from facebridge.faces.yunet import YuNetDetector

    return YuNetDetector(require(YUNET_ONNX))


@pytest.fixture(scope="session")
def dlib_hog():
    from facebridge.faces.dlib_hog import DlibHogDetector

    return DlibHogDetector(upsample=1)
