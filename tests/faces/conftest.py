"""Fixtures for the real-data face tests: 21 LFW images pinned by id and the YuNet weights from ``../shared``
(skipped when absent, failed when ``CI=true``), and detectors built once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facebridge.images import load_image
from tests.helpers import LFW_IMAGES, SHARED, require_shared

YUNET_ONNX = SHARED / "models" / "yunet" / "face_detection_yunet.onnx"


def require(path: Path) -> Path:
    require_shared(path)
    return path


# Pinned by id: "every Nth sorted id" drew other images when the image set grew (9,056 -> 13,233), which moved the
# results. These are every 630th of the 13,233 sorted LFW ids, taken once and written out.
LFW_SAMPLE = (
    "AJ_Cook/AJ_Cook_0001.jpg",
    "Andy_Roddick/Andy_Roddick_0011.jpg",
    "Bill_Gates/Bill_Gates_0008.jpg",
    "Charles_Ingram/Charles_Ingram_0001.jpg",
    "Daisy_Fuentes/Daisy_Fuentes_0001.jpg",
    "Dora_Bakoyianni/Dora_Bakoyianni_0001.jpg",
    "Gabriel_Valdes/Gabriel_Valdes_0002.jpg",
    "George_W_Bush/George_W_Bush_0463.jpg",
    "Hans_Blix/Hans_Blix_0026.jpg",
    "Jada_Pinkett_Smith/Jada_Pinkett_Smith_0001.jpg",
    "Jesse_Harris/Jesse_Harris_0002.jpg",
    "Jonathan_Woodgate/Jonathan_Woodgate_0001.jpg",
    "Kim_Jong-Il/Kim_Jong-Il_0003.jpg",
    "Ludivine_Sagnier/Ludivine_Sagnier_0005.jpg",
    "Megawati_Sukarnoputri/Megawati_Sukarnoputri_0030.jpg",
    "Naomi_Watts/Naomi_Watts_0016.jpg",
    "Perry_Farrell/Perry_Farrell_0001.jpg",
    "Rick_Carlisle/Rick_Carlisle_0004.jpg",
    "Scott_McNealy/Scott_McNealy_0001.jpg",
    "Tara_Dawn_Christensen/Tara_Dawn_Christensen_0001.jpg",
    "Trent_Lott/Trent_Lott_0012.jpg",
)


@pytest.fixture(scope="session")
def lfw_faces() -> dict[str, np.ndarray]:
    """The 21 :data:`LFW_SAMPLE` images, decoded."""
    root = require(LFW_IMAGES)
    return {i: load_image(root / i).rgb for i in LFW_SAMPLE}


@pytest.fixture(scope="session")
def yunet():
    from facebridge.faces.yunet import YuNetDetector

    return YuNetDetector(require(YUNET_ONNX))


@pytest.fixture(scope="session")
def dlib_hog():
    from facebridge.faces.dlib_hog import DlibHogDetector

    return DlibHogDetector(upsample=1)
