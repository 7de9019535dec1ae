"""ONNX Runtime adapter (edgeface-xs/xxs, faceplugin-512, hse-faceres, and any user ONNX model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from facebridge.models.base import EmbeddingModel, pick_name


class OrtModel(EmbeddingModel):
    """One ``.onnx`` file on the CPU execution provider, ``num_threads`` intra-op threads."""

    def _load(self, paths: list[Path]) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.num_threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(paths[0]), opts, providers=["CPUExecutionProvider"])
        name = self.spec.name
        self._input = pick_name([i.name for i in self._session.get_inputs()], self.spec.input_name, "input", name)
        self._output = pick_name([o.name for o in self._session.get_outputs()], self.spec.output_name, "output", name)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run([self._output], {self._input: batch})[0]
