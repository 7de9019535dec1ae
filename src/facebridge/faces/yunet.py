"""YuNet (OpenCV ``FaceDetectorYN``): boxes, five landmarks and a probability per face."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facebridge.errors import MissingFileError
from facebridge.faces import runtime
from facebridge.faces.detection import MIN_IMAGE_SIDE, Detection
from facebridge.images.rgb import check_rgb


class YuNetDetector:
    """Detect faces with a YuNet ONNX model through OpenCV.

    YuNet lists landmarks as right eye, left eye, nose, right and left mouth corner from the subject's view; the
    subject's right eye appears on the image's left, so that order is already :data:`LANDMARKS_5` and the rows are
    used unchanged (``tests/faces`` checks it on LFW). One instance is not thread-safe: it resizes its network input
    per image.

    Parameters
    ----------
    model_path : the ``.onnx`` file (checking its sha256 is the caller's job).
    score_threshold : minimum probability of a reported face.
    nms_threshold : IoU above which overlapping boxes are merged.
    top_k : most candidates kept before NMS.
    """

    name = "yunet"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        top_k: int = 50,
    ) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise MissingFileError(f"YuNet model not found: {path}")
        self._cv2 = runtime.cv2()
        self._net = self._cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, nms_threshold, top_k)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """All faces in an (H, W, 3) uint8 RGB image; none in one whose shorter side is under ``MIN_IMAGE_SIDE``.

        Rows YuNet returns that are not a box inside the image (non-finite or huge numbers, no area: what it gives
        for a 500 x 1 image from uninitialised memory) are dropped.
        """
        rgb = check_rgb(rgb)
        height, width = rgb.shape[:2]
        if min(height, width) < MIN_IMAGE_SIDE:
            return []
        self._net.setInputSize((width, height))
        _, faces = self._net.detect(self._cv2.cvtColor(rgb, self._cv2.COLOR_RGB2BGR))
        if faces is None:
            return []
        kept = [f for f in faces if _plausible(f, width, height)]
        return [Detection(f[:4], f[4:14].reshape(5, 2), float(f[14]), self.name) for f in kept]


def _plausible(face: np.ndarray, width: int, height: int) -> bool:
    """A YuNet row whose 15 numbers are finite, with a box of positive size no farther than its own size outside
    the image (landmarks and box alike)."""
    face = np.asarray(face, dtype=np.float64)
    if face.shape != (15,) or not np.isfinite(face).all():
        return False
    x, y, w, h = face[:4]
    if w <= 0 or h <= 0 or w > 2 * width or h > 2 * height:
        return False
    xs, ys = np.append(face[4:14:2], (x, x + w)), np.append(face[5:14:2], (y, y + h))
    return bool((xs >= -width).all() and (xs <= 2 * width).all() and (ys >= -height).all() and (ys <= 2 * height).all())
