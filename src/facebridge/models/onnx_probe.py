"""What an ONNX graph says about itself: its image input (name, layout, size) and its embedding output (name, dim)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facebridge.errors import DataFormatError, InvalidInputError, MissingDependencyError, MissingFileError


@dataclass(frozen=True)
class OnnxProbe:
    """The declared interface of an ONNX face network.

    Parameters
    ----------
    input_name, output_name : the graph's (single) image input and embedding output.
    layout : ``NCHW`` or ``NHWC``, from where the size-3 channel axis is.
    input_size : (w, h) when the graph fixes it, else None.
    dim : the size of one item's (flattened) output when the graph fixes it, else None.
    fixed_batch : the batch size the graph is frozen to, or None for a dynamic batch.
    """

    input_name: str
    output_name: str
    layout: str
    input_size: tuple[int, int] | None
    dim: int | None
    fixed_batch: int | None


def _dims(value_info: Any) -> list[int | None]:
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _pick(items: list[Any], declared: str, what: str, path: Path) -> Any:
    if declared:
        match = [v for v in items if v.name == declared]
        if not match:
            names = ", ".join(v.name for v in items)
            raise InvalidInputError(f"{path}: no {what} named '{declared}' (the graph has: {names})")
        return match[0]
    if len(items) != 1:
        names = ", ".join(v.name for v in items)
        raise InvalidInputError(f"{path}: the graph has several {what}s ({names}); choose one with --{what}-name")
    return items[0]


def probe_onnx(path: str | os.PathLike[str], input_name: str = "", output_name: str = "") -> OnnxProbe:
    """Read the interface of the ONNX file ``path`` from its graph (no inference).

    ``input_name`` / ``output_name`` pick one when the graph has several. Raises MissingFileError, DataFormatError
    (not an ONNX model, or an input that is not a 4-d image tensor with 3 channels) or InvalidInputError.
    """
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("probing an ONNX model needs the onnx package: pip install onnx") from None
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"ONNX model {path} does not exist")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and others for a file that is not a model
        raise DataFormatError(f"{path}: not a readable ONNX model ({type(exc).__name__})") from None
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    if not inputs or not graph.output:
        raise DataFormatError(f"{path}: the graph has no inputs or no outputs")
    image = _pick(inputs, input_name, "input", path)
    output = _pick(list(graph.output), output_name, "output", path)
    shape = _dims(image)
    if len(shape) != 4 or 3 not in (shape[1], shape[3]):
        raise DataFormatError(f"{path}: input '{image.name}' has shape {shape}, expected [N,3,H,W] or [N,H,W,3]")
    layout = "NCHW" if shape[1] == 3 else "NHWC"
    h, w = (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])
    per_item = _dims(output)[1:]  # facebridge flattens each item's output, so [N, 256, 1, 1] is 256-d
    known = [d for d in per_item if d]
    dim = math.prod(known) if per_item and len(known) == len(per_item) else None
    return OnnxProbe(
        image.name,
        output.name,
        layout,
        (w, h) if w and h else None,
        dim,
        shape[0] if shape[0] and shape[0] > 0 else None,
    )
