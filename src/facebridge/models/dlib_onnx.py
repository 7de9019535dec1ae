"""dlib's face-recognition ResNet as an ONNX graph, built from the user's own ``.dat`` and cached by its sha256.

The graph takes the 150x150 chip as dlib does (uint8 RGB, NHWC): ``(pixel - mean colour) / 256`` with the input
layer's mean colour, then the stem (7x7/2 convolution, affine, relu, 3x3/2 max pool), the residual blocks, a global
average pool and the 128-d linear layer. Each affine (dlib's inference batch norm) is folded into the convolution
before it. A residual sum whose sides differ in channels or size is taken as dlib's ``add_prev`` takes it: the
smaller side zero-padded at its end (in this network, the downsampling blocks' channels and the last two levels'
rows and columns).

The converted file lives under the user cache (``platformdirs.user_cache_dir("facebridge")/onnx``), named by the
``.dat``'s sha256 and :data:`CONVERTER_VERSION`, beside a ``.sha256`` of the ONNX file itself; a file that no
longer matches it is rebuilt. It is never shipped: weights stay the user's.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import platformdirs
from onnx import TensorProto, helper, numpy_helper

from facebridge.errors import DataFormatError, ModelRuntimeError
from facebridge.models.dlib_dat import DlibLayer, DlibNet, read_dlib_net
from facebridge.models.weights import file_sha256

log = logging.getLogger(__name__)

#: Bumped whenever the graph this module builds changes (part of the cached file's name).
CONVERTER_VERSION = 1
INPUT, OUTPUT = "chip", "embedding"
_OPSET = 17
_IR_VERSION = 8


def cache_dir() -> Path:
    """Where converted graphs are kept: ``onnx`` under the user cache directory (honours ``$XDG_CACHE_HOME``)."""
    return Path(platformdirs.user_cache_dir("facebridge")) / "onnx"


def converted_onnx(dat: Path, dat_sha256: str, folder: Path | None = None) -> Path:
    """The ONNX graph of the dlib network ``dat`` (whose sha256, already checked, is ``dat_sha256``): the cached
    file when its own sha256 still matches, else converted now under a lock, written atomically."""
    folder = folder or cache_dir()
    target = folder / f"dlib-{dat_sha256}-v{CONVERTER_VERSION}.onnx"
    if _cached(target):
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise ModelRuntimeError(
            f"cannot write the converted dlib network under {folder} ({exc.strerror}): set $XDG_CACHE_HOME to a "
            "writable folder, or use engine = 'dlib'"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process converting the same file: wait, then use its result
        if not _cached(target):
            log.info("converting %s to ONNX at %s", dat, target)
            data = build_onnx(read_dlib_net(dat)).SerializeToString()
            for path, content in ((target, data), (_sidecar(target), hashlib.sha256(data).hexdigest().encode())):
                tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(content)
                os.replace(tmp, path)
    finally:
        os.close(fd)
    return target


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _cached(target: Path) -> bool:
    """Whether ``target`` exists and still has the sha256 written beside it at conversion."""
    sidecar = _sidecar(target)
    if not (target.is_file() and sidecar.is_file()):
        return False
    if file_sha256(target) == sidecar.read_text().strip():
        return True
    log.warning("%s no longer matches its sha256; converting again", target)
    return False


class _Graph:
    """Nodes and initialisers of the graph being built, with unique names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out


def _conv(g: _Graph, x: str, shape: tuple[int, int, int], con: DlibLayer, affine: DlibLayer) -> tuple[str, tuple]:
    """A convolution with the affine after it folded in; returns the output and its (c, h, w)."""
    assert con.weight is not None and con.bias is not None and affine.weight is not None and affine.bias is not None
    out, n_in, kh, kw = con.weight.shape
    gamma, beta = affine.weight.astype(np.float64).ravel(), affine.bias.astype(np.float64).ravel()
    if n_in != shape[0] or gamma.size != out:
        raise DataFormatError(f"dlib network: a convolution of {n_in}->{out} channels on {shape[0]}")
    weight = (con.weight.astype(np.float64) * gamma[:, None, None, None]).astype(np.float32)
    bias = (con.bias.astype(np.float64) * gamma + beta).astype(np.float32)
    (sy, sx), (py, px) = con.stride, con.padding
    y = g.op(
        "Conv",
        [x, g.const("w", weight), g.const("b", bias)],
        kernel_shape=[kh, kw],
        strides=[sy, sx],
        pads=[py, px, py, px],
    )
    return y, (out, _out_size(shape[1], kh, sy, py), _out_size(shape[2], kw, sx, px))


def _pool(g: _Graph, x: str, shape: tuple[int, int, int], pool: DlibLayer) -> tuple[str, tuple]:
    (kh, kw), (sy, sx), (py, px) = pool.size, pool.stride, pool.padding
    if (py, px) != (0, 0):  # dlib and ONNX would differ on what a padded average counts
        raise DataFormatError(f"dlib network: a padded {pool.kind} is not supported")
    kind = "MaxPool" if pool.kind == "max_pool" else "AveragePool"
    y = g.op(kind, [x], kernel_shape=[kh, kw], strides=[sy, sx])
    return y, (shape[0], _out_size(shape[1], kh, sy, 0), _out_size(shape[2], kw, sx, 0))


def _out_size(n: int, k: int, s: int, p: int) -> int:
    return 1 + (n + 2 * p - k) // s


def _pad_to(g: _Graph, x: str, shape: tuple, target: tuple) -> str:
    """``x`` zero-padded at the end of channels, rows and columns up to ``target`` (dlib's ``add`` of unequal
    tensors)."""
    if shape == target:
        return x
    pads = [0, 0, 0, 0, 0, *(t - s for s, t in zip(shape, target, strict=True))]
    return g.op("Pad", [x, g.const("pads", np.array(pads, dtype=np.int64))], mode="constant")


def build_onnx(net: DlibNet) -> onnx.ModelProto:
    """The ONNX graph of a parsed dlib face-recognition ResNet (:func:`~facebridge.models.dlib_dat.read_dlib_net`);
    DataFormatError when its layers are not that network's sequence."""
    layers, i = list(net.layers), 0

    def take(*kinds: str) -> list[DlibLayer]:
        nonlocal i
        got = [layer.kind for layer in layers[i : i + len(kinds)]]
        if got != list(kinds):
            raise DataFormatError(
                f"dlib network: layers {i}.. are {', '.join(got) or 'missing'}, expected {', '.join(kinds)} "
                "(not dlib's face-recognition ResNet)"
            )
        i += len(kinds)
        return layers[i - len(kinds) : i]

    def peek(*kinds: str) -> bool:
        return [layer.kind for layer in layers[i : i + len(kinds)]] == list(kinds)

    g = _Graph()
    rows, cols = net.input_size
    mean = np.array(net.mean_rgb, dtype=np.float32).reshape(1, 1, 1, 3)
    x = g.op("Cast", [INPUT], to=TensorProto.FLOAT)
    x = g.op("Mul", [g.op("Sub", [x, g.const("mean", mean)]), g.const("scale", np.array(1 / 256, np.float32))])
    x = g.op("Transpose", [x], perm=[0, 3, 1, 2])
    con, affine, _, pool = take("con", "affine", "relu", "max_pool")
    x, shape = _conv(g, x, (3, rows, cols), con, affine)
    x, shape = _pool(g, g.op("Relu", [x]), shape, pool)
    while peek("mark"):
        take("mark")
        con1, aff1, _, con2, aff2 = take("con", "affine", "relu", "con", "affine")
        y, y_shape = _conv(g, x, shape, con1, aff1)
        y, y_shape = _conv(g, g.op("Relu", [y]), y_shape, con2, aff2)
        if peek("mark", "mark", "avg_pool"):  # downsampling: the shortcut is the block's input, average pooled
            x, shape = _pool(g, x, shape, take("mark", "mark", "avg_pool")[2])
        take("add_prev", "relu")
        target = tuple(max(a, b) for a, b in zip(shape, y_shape, strict=True))
        x = g.op("Relu", [g.op("Add", [_pad_to(g, y, y_shape, target), _pad_to(g, x, shape, target)])])
        shape = target
    pool, fc = take("avg_pool", "fc")
    if pool.size != (0, 0) or i != len(layers) or fc.weight is None or fc.weight.shape[0] != shape[0]:
        raise DataFormatError("dlib network: the head is not a global average pool and a linear layer")
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])])
    y = g.op("MatMul", [x, g.const("fc", fc.weight.astype(np.float32))])
    g.nodes.append(helper.make_node("Identity", [y], [OUTPUT], name=OUTPUT))
    graph = helper.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet",
        [helper.make_tensor_value_info(INPUT, TensorProto.UINT8, ["batch", rows, cols, 3])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", fc.weight.shape[1]])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="facebridge")
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    return model
