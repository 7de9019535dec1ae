"""ONNX Runtime adapter (edgeface-xs/xxs, faceplugin-512, dlib-resnet29 converted, and any user ONNX model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from facebridge.errors import InvalidInputError
from facebridge.models.base import EmbeddingModel, pick_name

#: The ``graph_optimization`` option: ONNX Runtime's graph optimisation level. ``all`` (the default) adds layout
#: changes (NCHWc convolutions) that are faster for most networks but can be several times slower for some, on some
#: CPUs: faceplugin-512 took 65 ms per image with ``all`` and 21 with ``extended`` on a Xeon with AVX-512, but 15
#: with ``all`` and 25 with ``extended`` on an AVX2-only EPYC (``bench/bench_batch.py``). So the option is a level,
#: or a table of levels by instruction set: ``{ avx512 = ..., default = ... }``.
GRAPH_OPTIMIZATION = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}
DEFAULT_GRAPH_OPTIMIZATION = "all"
#: Keys of a ``graph_optimization`` table: the instruction sets it may name, then the level for any other CPU.
ISA_KEYS = ("avx512", "default")


def cpu_has_avx512(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has AVX-512 (the ``avx512f`` flag of Linux's ``/proc/cpuinfo``; False where unreadable)."""
    try:
        return "avx512f" in cpuinfo.read_text().split()
    except OSError:
        return False


def graph_level(option: object, name: str, avx512: bool | None = None) -> str:
    """The level a ``graph_optimization`` option (a level, or a table by instruction set) gives on this CPU
    (``avx512``: whether it has AVX-512, read from the CPU when None); InvalidInputError naming model ``name``."""
    if isinstance(option, dict):
        unknown = sorted(set(option) - set(ISA_KEYS))
        if unknown or "default" not in option:
            raise InvalidInputError(
                f"{name}: a graph_optimization table takes the keys {', '.join(ISA_KEYS)} (default required), "
                f"got {', '.join(map(str, option)) or 'none'}"
            )
        use_avx512 = "avx512" in option and (cpu_has_avx512() if avx512 is None else avx512)
        option = option["avx512" if use_avx512 else "default"]
    if option not in GRAPH_OPTIMIZATION:
        raise InvalidInputError(
            f"{name}: option graph_optimization must be one of {', '.join(GRAPH_OPTIMIZATION)}, got {option!r}"
        )
    return str(option)


class OrtModel(EmbeddingModel):
    """One ``.onnx`` file on the CPU execution provider, ``num_threads`` intra-op threads, the graph optimised at
    the level of the ``graph_optimization`` option for this CPU (default ``all``)."""

    def _load(self, paths: list[Path]) -> None:
        level = graph_level(self.options.get("graph_optimization", DEFAULT_GRAPH_OPTIMIZATION), self.spec.name)
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
