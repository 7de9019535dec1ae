"""Detection on a copy of bounded size: sizes, mapping back to full-image pixels, cache validity per scale."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.extraction.detect import detect_images
from facebridge.faces import DetectionCache, detect_bounded, detection_scale
from facebridge.faces.bounded import detection_size
from facebridge.faces.detection import Detection


class BrightSquare:
    """Finds the one bright square of an image: box = its extent, landmarks = its corners and centre, in the
    convention that integer coordinates are pixel centres. Records the sizes it was shown."""

    name = "yunet"

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        self.seen.append(rgb.shape[:2])
        mask = rgb[:, :, 0].astype(float) / 255
        if mask.sum() == 0:
            return []
        ys, xs = np.indices(mask.shape)
        cx, cy = (mask * xs).sum() / mask.sum(), (mask * ys).sum() / mask.sum()
        half = np.sqrt(mask.sum()) / 2  # side from the (area-averaged) mass
        corners = [(cx - half + 0.5, cy - half + 0.5), (cx + half - 0.5, cy - half + 0.5)]
        corners += [(cx, cy), (cx - half + 0.5, cy + half - 0.5), (cx + half - 0.5, cy + half - 0.5)]
        box = (cx + 0.5 - half, cy + 0.5 - half, 2 * half, 2 * half)
        return [Detection(box, np.array(corners), 0.9, self.name)]


def square_image(height: int, width: int, x0: int, y0: int, side: int) -> np.ndarray:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[y0 : y0 + side, x0 : x0 + side] = 255
    return rgb


def test_detection_size_and_scale() -> None:
    assert detection_size((250, 250, 3), 640) == (250, 250) and detection_scale((250, 250, 3), 640) == 1.0
    assert detection_size((640, 300, 3), 640) == (640, 300)
    assert detection_size((7000, 3500, 3), 640) == (640, 320) and detection_scale((7000, 3500), 640) == 640 / 7000
    assert detection_size((7000, 7000, 3), None) == (7000, 7000) and detection_scale((7000, 7000), None) == 1.0
    with pytest.raises(InvalidInputError, match="max_side"):
        detection_size((10, 10), 0)


def test_small_images_go_to_the_detector_untouched() -> None:
    det, rgb = BrightSquare(), square_image(250, 250, 80, 60, 100)
    got = detect_bounded(det, rgb, 640)
    want = BrightSquare().detect(rgb)
    assert det.seen == [(250, 250)]
    np.testing.assert_array_equal(got[0].box, want[0].box)
    np.testing.assert_array_equal(got[0].landmarks, want[0].landmarks)


def test_large_images_are_detected_small_and_mapped_back() -> None:
    det, rgb = BrightSquare(), square_image(2000, 3200, 1000, 480, 800)
    (face,) = detect_bounded(det, rgb, 640)
    assert det.seen == [(400, 640)]  # 1/5 scale: the square becomes exactly 160 px
    (full,) = BrightSquare().detect(rgb)
    np.testing.assert_allclose(face.box, full.box, atol=0.5)
    np.testing.assert_allclose(face.landmarks, full.landmarks, atol=2.6)  # half a pixel of the 1/5 copy
    np.testing.assert_allclose(face.landmarks[2], (1399.5, 879.5), atol=0.01)  # the centre maps exactly


def test_a_cached_face_found_at_another_scale_is_detected_again(tmp_path) -> None:
    from PIL import Image

    root = tmp_path / "images"
    root.mkdir()
    Image.fromarray(square_image(1280, 1280, 400, 400, 320)).save(root / "big.png")
    Image.fromarray(square_image(250, 250, 80, 60, 100)).save(root / "small.png")
    det = BrightSquare()
    out = tmp_path / "store"
    out.mkdir()
    # faces of both images found at full resolution (scale 1.0), as every cache before bounded detection holds
    old = DetectionCache.load(out / "detections-yunet.parquet", "yunet")
    for name in ("big.png", "small.png"):
        old.put(name, BrightSquare().detect(np.asarray(Image.open(root / name).convert("RGB")))[0])
    old.flush()
    rows = detect_images(["big.png", "small.png"], root, det, out, chunk_size=8, fallback=True, detect_max_side=640)
    assert det.seen == [(640, 640)]  # only the big image is detected again, at the bounded size
    assert rows["big.png"][0] == rows["small.png"][0] == "ok"
    cache = DetectionCache.load(out / "detections-yunet.parquet")
    assert cache.scale("big.png") == 0.5 and cache.scale("small.png") == 1.0
    np.testing.assert_allclose(cache.get("big.png").landmarks[2], (559.5, 559.5), atol=0.01)
