"""FallbackChain: the second detector only where the first finds nothing; its cache holds both members' faces."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError, MismatchError
from facebridge.faces import Detection, DetectionCache, FallbackChain, chain_members, choose_face
from facebridge.faces.templates import ARC112_POINTS
from facebridge.images import load_image
from tests.helpers import LFW_IMAGES

from .conftest import require


class Fixed:
    """A stand-in detector returning fixed faces and counting its calls."""

    def __init__(self, name: str, faces: list[Detection]) -> None:
        self.name, self.faces, self.calls = name, faces, 0

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        self.calls += 1
        return list(self.faces)


def face(detector: str, x: float = 10.0) -> Detection:
    return Detection((x, 20, 50, 60), ARC112_POINTS + x, 0.9, detector)


IMAGE = np.zeros((8, 8, 3), np.uint8)


def test_primary_faces_when_found_without_asking_the_fallback() -> None:
    primary, fallback = Fixed("dlib-hog", [face("dlib-hog", 1), face("dlib-hog", 2)]), Fixed("yunet", [face("yunet")])
    chain = FallbackChain(primary, fallback)
    assert chain.name == "dlib-hog+yunet" and chain_members(chain.name) == ("dlib-hog", "yunet")
    assert [d.box[0] for d in chain.detect(IMAGE)] == [1, 2]
    assert (primary.calls, fallback.calls) == (1, 0)


def test_fallback_faces_only_when_the_primary_finds_none() -> None:
    fallback = Fixed("yunet", [face("yunet", 7)])
    chain = FallbackChain(Fixed("dlib-hog", []), fallback)
    (found,) = chain.detect(IMAGE)
    assert found.detector == "yunet" and found.box[0] == 7 and fallback.calls == 1
    assert FallbackChain(Fixed("dlib-hog", []), Fixed("yunet", [])).detect(IMAGE) == []


def test_same_detector_twice_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="two different detectors, got 'yunet' twice"):
        FallbackChain(Fixed("yunet", []), Fixed("yunet", []))


def test_chain_cache_holds_both_members_and_refuses_others(tmp_path) -> None:
    cache = DetectionCache.load(tmp_path / "detections-dlib-hog+yunet.parquet", "dlib-hog+yunet")
    cache.put("a.jpg", face("dlib-hog", 1))
    cache.put("b.jpg", face("yunet", 2))
    with pytest.raises(MismatchError, match="'mtcnn' detection put into the 'dlib-hog\\+yunet' cache"):
        cache.put("c.jpg", face("mtcnn"))
    cache.flush()
    back = DetectionCache.load(tmp_path / "detections-dlib-hog+yunet.parquet", "dlib-hog+yunet")
    assert back.detector == "dlib-hog+yunet"
    assert [(back.get(i).detector, back.get(i).box[0]) for i in back.ids()] == [("dlib-hog", 1), ("yunet", 2)]


@pytest.mark.models
def test_yunet_face_where_dlib_hog_finds_none(dlib_hog, yunet) -> None:
    # One of the 42 LFW images where dlib HOG (upsample 1) finds no face.
    rgb = load_image(require(LFW_IMAGES) / "Abdoulaye_Wade" / "Abdoulaye_Wade_0003.jpg").rgb
    assert dlib_hog.detect(rgb) == []
    chosen = choose_face(FallbackChain(dlib_hog, yunet).detect(rgb), rgb.shape)
    assert chosen is not None and chosen.detector == "yunet"
    x, y, w, h = chosen.box
    assert abs(x + w / 2 - 125) < 30 and abs(y + h / 2 - 125) < 30, chosen.box
