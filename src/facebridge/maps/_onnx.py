"""A small builder for the maps' ONNX graphs: input ``x`` float32 [N, dx], output ``y`` float32 [N, dy].

``onnx`` is imported inside, so the maps work without it (it is an optional dependency, in the ``models`` extra).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facebridge.errors import MissingDependencyError

OPSET = 17


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("ONNX export needs the onnx package: pip install 'facebridge[models]'") from None
    return onnx


class Graph:
    """Nodes and float32 constants of one graph, added in order; ``model`` closes it."""

    def __init__(self) -> None:
        self.onnx = _onnx()
        self.nodes: list[Any] = []
        self.constants: list[Any] = []
        self._count = 0

    def _name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, value: np.ndarray | float, stem: str = "c") -> str:
        name = self._name(stem)
        arr = np.asarray(value, dtype=np.float32)
        self.constants.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        out = self._name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def affine(self, x: str, coef: np.ndarray, intercept: np.ndarray | None = None) -> str:
        """``x @ coef (+ intercept)``."""
        out = self.op("MatMul", x, self.const(coef, "coef"))
        return out if intercept is None else self.op("Add", out, self.const(intercept, "bias"))

    def unit_rows(self, x: str) -> str:
        """Rows scaled to unit L2 norm, all-zero rows kept zero (as ``l2_normalize_rows``)."""
        norm = self.op("ReduceL2", x, axes=[1], keepdims=1)
        safe = self.op("Where", self.op("Greater", norm, self.const(0.0)), norm, self.const(1.0))
        return self.op("Div", x, safe)

    def model(self, y: str, dx: int, dy: int, name: str) -> Any:
        helper, proto = self.onnx.helper, self.onnx.TensorProto
        self.nodes.append(helper.make_node("Identity", [y], ["y"]))
        graph = helper.make_graph(
            self.nodes,
            name,
            [helper.make_tensor_value_info("x", proto.FLOAT, ["N", dx])],
            [helper.make_tensor_value_info("y", proto.FLOAT, ["N", dy])],
            self.constants,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="facebridge")
        model.ir_version = min(model.ir_version, 9)  # readable by onnxruntime releases of the last two years
        self.onnx.checker.check_model(model)
        return model
