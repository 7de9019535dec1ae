"""Faces much larger than LFW's: pinned LFW images upscaled 4x and 8x go through the extraction's detection step and
must give the face found at 1x, scaled up; LFW-size images must give exactly the detector's own faces."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facebridge.extraction.detect import detect_images
from facebridge.faces import DetectionCache, choose_face, detect_bounded
from tests.faces.conftest import LFW_SAMPLE
from tests.faces.test_lfw_faces import iou

pytestmark = pytest.mark.models
FACTORS = (4, 8)
PINNED = LFW_SAMPLE[:3]


@pytest.mark.parametrize("which", ["yunet", "dlib_hog"])
def test_upscaled_faces_are_found_with_the_1x_landmarks_scaled_up(tmp_path, request, lfw_faces, which) -> None:
    detector = request.getfixturevalue(which)
    root, out = tmp_path / "images", tmp_path / "store"
    ids = []
    for image_id in PINNED:
        for k in FACTORS:
            name = f"{k}x/{image_id.replace('/', '_')}"  # JPEG: quicker to write and read than PNG
            (root / f"{k}x").mkdir(parents=True, exist_ok=True)
            big = Image.fromarray(lfw_faces[image_id]).resize((250 * k, 250 * k), Image.Resampling.BICUBIC)
            big.save(root / name, quality=95)
            ids.append((image_id, k, name))
    out.mkdir()
    rows = detect_images([n for _, _, n in ids], root, detector, out, chunk_size=64, fallback=True)
    cache = DetectionCache.load(out / f"detections-{detector.name}.parquet")
    for image_id, k, name in ids:
        rgb = lfw_faces[image_id]
        base = choose_face(detector.detect(rgb), rgb.shape)
        face = cache.get(name)
        assert rows[name][0] == "ok" and face.detector == detector.name, name
        assert iou(face.box, base.box * k) > 0.5, (name, face.box, base.box * k)
        expected = (base.landmarks + 0.5) * k - 0.5  # pixel centres scale about the half-pixel offset
        eye_gap = k * np.linalg.norm(base.landmarks[1] - base.landmarks[0])
        error = np.linalg.norm(face.landmarks - expected, axis=1)
        assert error.max() < 0.25 * eye_gap and error.mean() < 0.15 * eye_gap, (name, error / eye_gap)


def test_lfw_size_images_give_the_detectors_own_faces(lfw_faces, yunet, dlib_hog) -> None:
    for rgb in list(lfw_faces.values())[:5]:
        for detector in (yunet, dlib_hog):
            own, bounded = detector.detect(rgb), detect_bounded(detector, rgb)
            assert len(own) == len(bounded) > 0
            for a, b in zip(own, bounded, strict=True):
                np.testing.assert_array_equal(a.box, b.box)
                np.testing.assert_array_equal(a.landmarks, b.landmarks)
                assert a.score == b.score
