"""ncnn adapter (mobilefacenet-ncnn): ``.param`` + ``.bin``, one image per extractor, pixels in via ``from_pixels``.

``ncnn.Mat(numpy_array)`` crashes the process, so crops enter as 8-bit pixels (spec ``dtype = "uint8"``) and the
graph does its own scaling.
"""

from __future__ import annotations

from pathlib import Path

import ncnn
import numpy as np

from facebridge.errors import MismatchError
from facebridge.models.base import EmbeddingModel, pick_name

_PIXEL_TYPES = {"RGB": ncnn.Mat.PixelType.PIXEL_RGB, "BGR": ncnn.Mat.PixelType.PIXEL_BGR}


class NcnnModel(EmbeddingModel):
    """An ncnn network on the CPU; spec files are ``[model.param, model.bin]`` and ``fixed_batch = 1``."""

    def _load(self, paths: list[Path]) -> None:
        self._net = ncnn.Net()
        self._net.opt.use_vulkan_compute = False
        self._net.opt.num_threads = self.num_threads
        if self._net.load_param(str(paths[0])) != 0 or self._net.load_model(str(paths[1])) != 0:
            raise MismatchError(f"{self.spec.name}: ncnn could not load {paths[0].name} / {paths[1].name}")
        name = self.spec.name
        self._input = pick_name(list(self._net.input_names()), self.spec.input_name, "input", name)
        self._output = pick_name(list(self._net.output_names()), self.spec.output_name, "output", name)
        # The crop is already in the spec's colour order: tell ncnn it is in that order so it does not swap.
        self._pixel_type = _PIXEL_TYPES[self.spec.colour_order]

    def _run(self, batch: np.ndarray) -> np.ndarray:
        w, h = self.spec.input_size
        out = []
        for img in batch:
            mat = ncnn.Mat.from_pixels(np.ascontiguousarray(img), self._pixel_type, w, h)
            with self._net.create_extractor() as ex:
                ex.input(self._input, mat)
                status, result = ex.extract(self._output)
                if status != 0:
                    raise MismatchError(f"{self.spec.name}: ncnn could not extract blob '{self._output}'")
                out.append(np.array(result, dtype=np.float32).ravel())
        return np.stack(out)
