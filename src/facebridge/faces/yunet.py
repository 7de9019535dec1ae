"""YuNet (OpenCV ``FaceDetectorYN``): boxes, five landmarks and a probability per face."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facebridge.errors import MissingFileError
from facebridge.faces import runtime
from facebridge.faces.detection import Detection
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
        """All faces in an (H, W, 3) uint8 RGB image."""
        rgb = check_rgb(rgb)
        height, width = rgb.shape[:2]
        self._net.setInputSize((width, height))
        _, faces = self._net.detect(self._cv2.cvtColor(rgb, self._cv2.COLOR_RGB2BGR))
        if faces is None:
            return []
        return [Detection(f[:4], f[4:14].reshape(5, 2), float(f[14]), self.name) for f in faces]
