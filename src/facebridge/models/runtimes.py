"""The runtimes facebridge can run a face model on: adapter location, install hint and options, as data.

Nothing here imports a runtime; :func:`adapter_class` does so only when a model is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

from facebridge.errors import MissingDependencyError


@dataclass(frozen=True)
class Runtime:
    """One inference runtime.

    Parameters
    ----------
    adapter : ``"module:Class"`` of the :class:`~facebridge.models.base.EmbeddingModel` subclass.
    imports : top-level modules the adapter needs; a missing one becomes MissingDependencyError.
    pip : what to install when they are missing.
    options : names of the adapter-specific options a spec's ``[options]`` table or ``load_model`` may set.
    """

    adapter: str
    imports: tuple[str, ...]
    pip: str
    options: tuple[str, ...] = ()


RUNTIMES: dict[str, Runtime] = {
    "onnxruntime": Runtime(
        "facebridge.models.ort_model:OrtModel", ("onnxruntime",), "onnxruntime", ("graph_optimization",)
    ),
    "openvino": Runtime("facebridge.models.openvino_model:OpenVinoModel", ("openvino",), "openvino"),
    "ncnn": Runtime("facebridge.models.ncnn_model:NcnnModel", ("ncnn",), "ncnn"),
    "opencv-dnn": Runtime("facebridge.models.opencv_model:OpenCvModel", ("cv2",), "'opencv-python-headless<5'"),
    "dlib": Runtime(
        "facebridge.models.dlib_model:DlibModel",
        ("onnx", "onnxruntime"),
        "onnx onnxruntime",
        ("engine", "num_jitters", "graph_optimization"),
    ),
}


def unknown_option(runtime: str, names: Iterable[str]) -> str:
    """Why ``names`` are not all options of ``runtime``, or ``""`` when they are."""
    allowed = RUNTIMES[runtime].options
    unknown = sorted(set(names) - set(allowed))
    if not unknown:
        return ""
    return f"runtime '{runtime}' has no option '{unknown[0]}' (it has: {', '.join(allowed) or 'none'})"


def adapter_class(runtime: str) -> type:
    """Import and return the adapter class of ``runtime`` (a key of :data:`RUNTIMES`).

    Raises MissingDependencyError with the pip command when the runtime itself is not installed.
    """
    info = RUNTIMES[runtime]
    module_name, class_name = info.adapter.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in info.imports:
            raise
        raise MissingDependencyError(
            f"runtime '{runtime}' is not installed: pip install {info.pip} (or pip install 'facebridge[models]')"
        ) from exc
    return getattr(module, class_name)
