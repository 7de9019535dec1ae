"""OpenCV DNN adapter (mobilefacenet-caffe): Caffe ``.prototxt`` + ``.caffemodel``.

OpenCV's thread count is process-wide: loading this model sets ``cv2.setNumThreads(num_threads)``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from facebridge.models.base import EmbeddingModel, pick_name


class OpenCvModel(EmbeddingModel):
    """A Caffe network run by ``cv2.dnn``; spec files are ``[net.prototxt, net.caffemodel]``."""

    def _load(self, paths: list[Path]) -> None:
        cv2.setNumThreads(self.num_threads)
        self._net = cv2.dnn.readNetFromCaffe(str(paths[0]), str(paths[1]))
        outputs = list(self._net.getUnconnectedOutLayersNames())
        self._output = pick_name(outputs, self.spec.output_name, "output layer", self.spec.name)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        self._net.setInput(batch, self.spec.input_name)
        return self._net.forward(self._output).copy()
