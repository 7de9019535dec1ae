"""ONNX graph pieces shared by the map families: ``x`` float32 (N, dx) in, ``y`` float32 (N, dy) out.

``onnx`` is imported inside each function, so the maps need it only when a graph is built (the ``models`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

#: The opset every map graph targets (onnxruntime >= 1.17 runs it).
OPSET = 18


class GraphBuilder:
    """Accumulates nodes and float32 constants; ``model(dx, dy)`` closes the graph from ``x`` to the last output."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.nodes: list[Any] = []
        self.constants: list[Any] = []
        self.last = "x"

    def constant(self, name: str, value: np.ndarray) -> str:
        """Register ``value`` as a float32 initializer (int64 when integral) called ``name``; returns the name."""
        from onnx import numpy_helper

        arr = np.asarray(value)
        arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32)
        self.constants.append(numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs: Any) -> str:
        """Append ``op_type(inputs)``; its output (``out`` or a fresh name) becomes ``last``."""
        from onnx import helper

        out = out or f"{op_type.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        self.last = out
        return out

    def l2_normalize(self, inp: str) -> str:
        """Rows of ``inp`` scaled to unit L2 norm; all-zero rows stay zero (as ``l2_normalize_rows``)."""
        axes = self.constant(f"axes_{len(self.nodes)}", np.array([1]))
        norm = self.op("ReduceL2", inp, axes, keepdims=1)
        zero = self.constant(f"zero_{len(self.nodes)}", np.array(0.0))
        one = self.constant(f"one_{len(self.nodes)}", np.array(1.0))
        safe = self.op("Where", self.op("Greater", norm, zero), norm, one)
        return self.op("Div", inp, safe)

    def affine(self, inp: str, coef: np.ndarray, bias: np.ndarray, prefix: str) -> str:
        """``inp @ coef + bias`` with ``coef`` (d_in, d_out) and ``bias`` (d_out,) as constants."""
        product = self.op("MatMul", inp, self.constant(f"{prefix}_coef", coef))
        return self.op("Add", product, self.constant(f"{prefix}_bias", bias))

    def model(self, dx: int, dy: int) -> onnx.ModelProto:
        """The checked model whose output ``y`` is the last op's output."""
        from onnx import TensorProto, checker, helper

        self.op("Identity", self.last, out="y")
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", dx])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dy])],
            self.constants,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="facebridge")
        model.ir_version = 8  # the oldest IR that opset 18 needs: runs on every onnxruntime >= 1.14
        checker.check_model(model)
        return model
