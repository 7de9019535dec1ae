"""dlib adapter (dlib-resnet29): dlib's ResNet-29 face descriptor on 150x150 chips from ``dlib.get_face_chip``.

Option ``engine``: ``onnxruntime`` (the default) runs the network as an ONNX graph converted from the same ``.dat``
(:mod:`facebridge.models.dlib_onnx`, cached by sha256) through :class:`~facebridge.models.ort_model.OrtModel`;
``dlib`` runs dlib's own ``face_recognition_model_v1``, the reference (same embeddings to cosine >= 0.9999, measured
by ``bench/bench_dlib_onnx.py``). Option ``graph_optimization`` is ONNX Runtime's, as for any ONNX model.

Option ``num_jitters`` (default 0, engine ``dlib`` only above 0): with more than 1, dlib averages over randomly
jittered copies of each chip, which is slower and, because dlib's generator is process-global, not reproducible
call to call.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from facebridge.errors import InvalidInputError, MissingDependencyError
from facebridge.models.base import EmbeddingModel
from facebridge.models.dlib_onnx import INPUT, OUTPUT, converted_onnx
from facebridge.models.ort_model import OrtModel

ENGINES = ("onnxruntime", "dlib")
DEFAULT_ENGINE = "onnxruntime"


class DlibModel(EmbeddingModel):
    """dlib's ResNet-29 face descriptor; the spec's single file is ``dlib_face_recognition_resnet_model_v1.dat``."""

    def _load(self, paths: list[Path]) -> None:
        engine = self.options.get("engine", DEFAULT_ENGINE)
        jitters = self.options.get("num_jitters", 0)
        if engine not in ENGINES:
            raise InvalidInputError(f"{self.spec.name}: engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if isinstance(jitters, bool) or not isinstance(jitters, int) or jitters < 0:
            raise InvalidInputError(f"num_jitters must be an int >= 0, got {jitters!r}")
        if engine == "onnxruntime":
            if jitters:
                raise InvalidInputError(f"{self.spec.name}: num_jitters={jitters} needs engine = 'dlib'")
            self._runner = _ort_model(self, paths[0])._run
            return
        if "graph_optimization" in self.options:
            raise InvalidInputError(f"{self.spec.name}: graph_optimization applies to engine 'onnxruntime' only")
        try:
            import dlib
        except ModuleNotFoundError:
            raise MissingDependencyError("engine 'dlib' needs dlib: pip install dlib-bin") from None
        net = dlib.face_recognition_model_v1(str(paths[0]))
        self._runner = lambda batch: np.array(net.compute_face_descriptor(list(batch), jitters), dtype=np.float32)

    def _run(self, batch: np.ndarray) -> np.ndarray:
        return self._runner(batch)


def _ort_model(model: DlibModel, dat: Path) -> OrtModel:
    """The ONNX Runtime adapter on the graph converted from ``dat`` (whose sha256 the loader has checked)."""
    onnx_path = converted_onnx(dat, model.spec.files[0].sha256)
    spec = dataclasses.replace(model.spec, runtime="onnxruntime", input_name=INPUT, output_name=OUTPUT)
    options = {k: v for k, v in model.options.items() if k == "graph_optimization"}
    return OrtModel(
        spec,
        [onnx_path],
        model.fingerprint,
        num_threads=model.num_threads,
        batch_size=model.batch_size,
        options=options,
    )
