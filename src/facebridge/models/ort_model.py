"""ONNX Runtime adapter (edgeface-xs/xxs, faceplugin-512, hse-faceres, and any user ONNX model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from facebridge.errors import InvalidInputError
from facebridge.models.base import EmbeddingModel, pick_name

#: The ``graph_optimization`` option: ONNX Runtime's graph optimisation level. ``all`` (the default) adds layout
#: changes (NCHWc convolutions) that are faster for most networks but can be several times slower for some (on
#: one CPU, faceplugin-512 took 65 ms per image with ``all`` and 21 with ``extended``: ``bench/bench_batch.py``).
GRAPH_OPTIMIZATION = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
DEFAULT_GRAPH_OPTIMIZATION = "all"


class OrtModel(EmbeddingModel):
    """One ``.onnx`` file on the CPU execution provider, ``num_threads`` intra-op threads, the graph optimised at
    the level of the ``graph_optimization`` option (default ``all``)."""

    def _load(self, paths: list[Path]) -> None:
        level = self.options.get("graph_optimization", DEFAULT_GRAPH_OPTIMIZATION)
        if level not in GRAPH_OPTIMIZATION:
            raise InvalidInputError(
                f"{self.spec.name}: option graph_optimization must be one of {', '.join(GRAPH_OPTIMIZATION)}, "
                f"got {level!r}"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.num_threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = GRAPH_OPTIMIZATION[level]
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(paths[0]), opts, providers=["CPUExecutionProvider"])
        name = self.spec.name
        self._input = pick_name([i.name for i in self._session.get_inputs()], self.spec.input_name, "input", name)
        self._output = pick_name([o.name for o in self._session.get_outputs()], self.spec.output_name, "output", name)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run([self._output], {self._input: batch})[0]
