"""Read dlib's serialised face-recognition network (``dlib_face_recognition_resnet_model_v1.dat``) with numpy.

dlib writes a network outermost layer first, each ``add_layer`` as a version number, its subnetwork, then its own
layer's details and state; tags and skips are a bare version and their subnetwork. Integers use dlib's variable
length code (a byte holding the length, bit 7 the sign, then little-endian bytes), floats outside tensors dlib's
portable ``float_details`` (an integer mantissa and exponent), strings a length and bytes, and tensors (version 2)
their four dimensions and raw little-endian float32s. The reader returns the layers innermost first; which tag or
skip each anonymous mark is comes from the network's definition (:mod:`facebridge.models.dlib_onnx`).

Anything else (a truncated or altered file, another network) is a DataFormatError with one line saying where.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facebridge.errors import DataFormatError

#: Layer kinds :class:`DlibLayer` can hold: dlib's layer names without their version suffix; ``mark`` is a tag or
#: skip (they are serialised alike).
KINDS = ("con", "affine", "relu", "max_pool", "avg_pool", "add_prev", "fc", "mark")
_MAX_TENSOR = 1 << 26  # floats: far above any layer of this network, far below memory trouble
_BOOL = {b"0": False, b"1": True}


@dataclass(frozen=True)
class DlibLayer:
    """One layer: ``kind`` (:data:`KINDS`), its tensors and its integer settings.

    ``con``: weight (out, in, kh, kw) and bias (out,), stride and padding (y, x). ``affine``: gamma and beta (per
    channel). ``max_pool``/``avg_pool``: size (0, 0 = the whole map), stride and padding. ``fc``: weight (in, out).
    """

    kind: str
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    size: tuple[int, int] = (0, 0)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class DlibNet:
    """A parsed network: the input layer's mean colour (R, G, B) and size (rows, cols), then its layers innermost
    first, and the loss layer's name."""

    mean_rgb: tuple[float, float, float]
    input_size: tuple[int, int]
    layers: tuple[DlibLayer, ...] = field(repr=False)
    loss: str = "loss_metric_2"


class _Stream:
    """dlib's primitive encodings over one in-memory file; every failure names the file and the byte offset."""

    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.name, self.pos = data, name, 0

    def fail(self, what: str) -> DataFormatError:
        return DataFormatError(f"{self.name}: not a readable dlib network ({what} at byte {self.pos})")

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataFormatError(
                f"{self.name}: truncated dlib network (needs {n} more bytes at byte {self.pos} of {len(self.data)})"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def integer(self) -> int:
        head = self.take(1)[0]
        size = head & 0x7F
        if size > 8:
            raise self.fail(f"an integer of {size} bytes")
        value = int.from_bytes(self.take(size), "little")
        return -value if head & 0x80 else value

    def count(self, what: str, most: int = _MAX_TENSOR) -> int:
        value = self.integer()
        if not 0 <= value <= most:
            raise self.fail(f"{what} {value}")
        return value

    def real(self) -> float:
        mantissa, exponent = self.integer(), self.integer()
        if not -1100 <= exponent <= 1100:  # dlib's codes for inf and nan (32000..32002) land here too
            raise self.fail(f"a float exponent {exponent}")
        return float(mantissa) * 2.0**exponent

    def bool(self) -> bool:
        raw = self.take(1)
        if raw not in _BOOL:
            raise self.fail(f"a boolean byte {raw!r}")
        return _BOOL[raw]

    def string(self) -> str:
        raw = self.take(self.count("a string length", 256))
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise self.fail("a non-ASCII name") from None

    def expect(self, what: str, value: int) -> None:
        got = self.integer()
        if got != value:
            raise self.fail(f"{what} {got} (expected {value})")

    def shape(self) -> tuple[int, int, int, int]:
        dims = tuple(self.count("a tensor dimension") for _ in range(4))
        if int(np.prod(dims, dtype=np.int64)) > _MAX_TENSOR:
            raise self.fail(f"a tensor of shape {dims}")
        return dims  # type: ignore[return-value]

    def tensor(self) -> np.ndarray:
        self.expect("a tensor version", 2)
        dims = self.shape()
        raw = self.take(4 * int(np.prod(dims, dtype=np.int64)))
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if not np.isfinite(values).all():
            raise self.fail("a tensor with inf or nan")
        return values.reshape(dims)

    def alias(self) -> tuple[int, int, int, int]:
        self.expect("an alias tensor version", 1)
        return self.shape()


def read_dlib_net(path: str | os.PathLike[str]) -> DlibNet:
    """Parse a dlib ``loss_metric`` network file (the face-recognition ResNet's format); DataFormatError if it is
    not one, is truncated, or has bytes left over."""
    path = Path(path)
    stream = _Stream(path.read_bytes(), str(path))
    stream.expect("the loss layer's version", 1)
    loss = stream.string()
    if loss != "loss_metric_2":
        raise stream.fail(f"loss layer '{loss}' (expected loss_metric_2)")
    stream.real(), stream.real()  # margin and distance threshold: training settings
    layers: list[DlibLayer] = []
    mean, size = _node(stream, layers)
    if stream.pos != len(stream.data):
        raise stream.fail(f"{len(stream.data) - stream.pos} bytes after the network's end")
    return DlibNet(mean, size, tuple(layers), loss)


def _node(stream: _Stream, layers: list[DlibLayer]) -> tuple[tuple[float, float, float], tuple[int, int]]:
    """One (sub)network, innermost first into ``layers``; returns the input layer's mean colour and size.

    Written as a loop down the nesting and back up (the network is ~130 layers deep)."""
    pending: list[int] = []
    while True:
        version = stream.integer()
        if version == 3:  # the innermost add_layer, holding the input layer
            break
        if version not in (1, 2):
            raise stream.fail(f"a layer version {version}")
        pending.append(version)
    name = stream.string()
    if name != "input_rgb_image_sized":
        raise stream.fail(f"input layer '{name}' (expected input_rgb_image_sized)")
    mean = (stream.real(), stream.real(), stream.real())
    size = (stream.count("input rows", 4096), stream.count("input columns", 4096))
    layers.append(_details(stream))
    _state(stream, innermost=True)
    for version in reversed(pending):
        if version == 1:
            layers.append(DlibLayer("mark"))
            continue
        layers.append(_details(stream))
        _state(stream, innermost=False)
    return mean, size


def _state(stream: _Stream, *, innermost: bool) -> None:
    """Skip an add_layer's training state: three flags, then gradient and output buffers (and, innermost, the
    sample expansion factor)."""
    for _ in range(3):
        stream.bool()
    for _ in range(3):
        stream.tensor()
    if innermost:
        stream.count("a sample expansion factor")


def _details(stream: _Stream) -> DlibLayer:
    name = stream.string()
    if name == "con_4":
        params = stream.tensor().ravel()
        out, rows, cols = (stream.count("a filter count"), stream.count("a filter size"), stream.count("a filter size"))
        stride = (stream.count("a stride"), stream.count("a stride"))
        padding = (stream.count("a padding"), stream.count("a padding"))
        filters, biases = stream.alias(), stream.alias()
        for _ in range(4):  # learning-rate and weight-decay multipliers
            stream.real()
        n_in = filters[1]
        if (
            filters != (out, n_in, rows, cols)
            or biases != (1, out, 1, 1)
            or params.size != out * (n_in * rows * cols + 1)
        ):
            raise stream.fail(f"a convolution of {params.size} values for filters {filters}")
        weight = params[: out * n_in * rows * cols].reshape(filters)
        return DlibLayer("con", weight, params[weight.size :], (rows, cols), stride, padding)
    if name == "affine_":
        params = stream.tensor().ravel()
        gamma, beta = stream.alias(), stream.alias()
        stream.integer()  # mode: per channel (convolutional) or per element; the shapes say which
        n = int(np.prod(gamma))
        if gamma != beta or params.size != 2 * n:
            raise stream.fail(f"an affine layer of {params.size} values for gamma {gamma}")
        return DlibLayer("affine", params[:n], params[n:])
    if name in ("max_pool_2", "avg_pool_2"):
        size = (stream.count("a pool size"), stream.count("a pool size"))
        stride = (stream.count("a stride"), stream.count("a stride"))
        padding = (stream.count("a padding"), stream.count("a padding"))
        return DlibLayer(name[:-2], size=size, stride=stride, padding=padding)
    if name in ("relu_", "add_prev_"):
        return DlibLayer(name[:-1])
    if name == "fc_2":
        outputs, inputs = stream.count("an output count"), stream.count("an input count")
        params = stream.tensor().ravel()
        weights, biases = stream.alias(), stream.alias()
        bias_mode = stream.integer()  # 1: no bias (fc_no_bias)
        for _ in range(4):  # learning-rate and weight-decay multipliers
            stream.real()
        if bias_mode != 1 or weights != (inputs, outputs, 1, 1) or any(biases) or params.size != inputs * outputs:
            raise stream.fail(f"a fully connected layer of {params.size} values (bias mode {bias_mode})")
        return DlibLayer("fc", params.reshape(inputs, outputs))
    raise stream.fail(f"layer '{name}'")
