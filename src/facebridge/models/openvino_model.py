"""OpenVINO adapter (openvino-reid-0095: IR ``.xml`` + ``.bin``; hse-faceres: one ``.onnx``), reshaped to a dynamic
batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov

from facebridge.models.base import EmbeddingModel, pick_name


class OpenVinoModel(EmbeddingModel):
    """An OpenVINO IR or ONNX graph on the CPU plugin: spec files ``[model.xml, weights.bin]`` or ``[model.onnx]``."""

    def _load(self, paths: list[Path]) -> None:
        core = ov.Core()
        model = core.read_model(*map(str, paths))
        name = self.spec.name
        inputs = {n: port for port in model.inputs for n in port.names}
        outputs = {n for port in model.outputs for n in port.names}
        self._input = pick_name(sorted(inputs), self.spec.input_name, "input", name)
        if self.spec.fixed_batch is None:
            shape = inputs[self._input].get_partial_shape()
            shape[0] = -1
            model.reshape({inputs[self._input]: shape})
        # f32 pinned: on CPUs with native bfloat16 (AVX512_BF16, AMX) the plugin's default is bf16, which moves the
        # embedding by ~0.3% in norm and makes a store depend on the machine that wrote it.
        config = {"INFERENCE_NUM_THREADS": self.num_threads, "INFERENCE_PRECISION_HINT": "f32"}
        compiled = core.compile_model(model, "CPU", config)
        self._request = compiled.create_infer_request()
        self._output = compiled.output(pick_name(sorted(outputs), self.spec.output_name, "output", name))

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._request.infer({self._input: batch})[self._output].copy()
