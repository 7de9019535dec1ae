"""dlib adapter (dlib-resnet29): ``face_recognition_model_v1`` on 150x150 chips from ``dlib.get_face_chip``.

Option ``num_jitters`` (default 0): with more than 1, dlib averages over randomly jittered copies of each chip,
which is slower and, because dlib's generator is process-global, not reproducible call to call.
"""

from __future__ import annotations

from pathlib import Path

import dlib
import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.models.base import EmbeddingModel


class DlibModel(EmbeddingModel):
    """dlib's ResNet-29 face descriptor; the spec's single file is ``dlib_face_recognition_resnet_model_v1.dat``."""

    def _load(self, paths: list[Path]) -> None:
        self._net = dlib.face_recognition_model_v1(str(paths[0]))
        self._jitters = self.options.get("num_jitters", 0)
        if isinstance(self._jitters, bool) or not isinstance(self._jitters, int) or self._jitters < 0:
            raise InvalidInputError(f"num_jitters must be an int >= 0, got {self._jitters!r}")

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return np.array(self._net.compute_face_descriptor(list(batch), self._jitters), dtype=np.float32)
