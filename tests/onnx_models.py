"""Tiny ONNX face "networks" built with the onnx helper API, for tests of user models (no weights committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_onnx(path: Path, dim: int = 64, nhwc: bool = False, seed: int = 0) -> Path:
    """Write a Conv(8x8, stride 8) -> Flatten -> MatMul graph: [N,3,112,112] (or [N,112,112,3]) -> [N,dim]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    shape = ["N", 112, 112, 3] if nhwc else ["N", 3, 112, 112]
    nodes, first = [], "image"
    if nhwc:
        nodes.append(helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]))
        first = "nchw"
    nodes += [
        helper.make_node("Conv", [first, "w_conv"], ["conv"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Flatten", ["conv"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w_fc"], ["embedding"]),
    ]
    inits = [
        numpy_helper.from_array(rng.normal(size=(4, 3, 8, 8)).astype(np.float32) / 8, "w_conv"),
        numpy_helper.from_array(rng.normal(size=(4 * 14 * 14, dim)).astype(np.float32) / 28, "w_fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-face",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
