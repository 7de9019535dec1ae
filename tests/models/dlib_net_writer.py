"""A small dlib face-recognition-style network written in dlib's serialisation format, for tests without weights.

:func:`write_net` mirrors what dlib writes for ``loss_metric<fc_no_bias<avg_pool_everything<residual blocks<max_pool<
relu<affine<con<input_rgb_image_sized>>>>>>>>``, and :func:`forward` is a plain numpy forward pass of the same network
with dlib's semantics (zero-padded sums of unequal tensors), to check the ONNX graph against.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

MEAN = (122.5, 117.0, 104.25)


def _int(v: int) -> bytes:
    raw = abs(v).to_bytes(max(1, (abs(v).bit_length() + 7) // 8), "little")
    return bytes([len(raw) | (0x80 if v < 0 else 0)]) + raw


def _float(x: float) -> bytes:
    mantissa, exponent = math.frexp(x)
    return _int(int(mantissa * 2**24)) + _int(exponent - 24)


def _str(s: str) -> bytes:
    return _int(len(s)) + s.encode()


def _tensor(a: np.ndarray, dims: tuple[int, ...] | None = None) -> bytes:
    dims = dims or (a.size, 1, 1, 1)
    return _int(2) + b"".join(_int(d) for d in dims) + a.astype("<f4").tobytes()


def _alias(*dims: int) -> bytes:
    return _int(1) + b"".join(_int(d) for d in dims)


def _state(innermost: bool = False) -> bytes:
    empty = _tensor(np.zeros(0), (0, 0, 0, 0))
    return b"110" + empty * 3 + (_int(1) if innermost else b"")


def _con(w: np.ndarray, b: np.ndarray, stride: int) -> bytes:
    out, n_in, k, _ = w.shape
    pad = 0 if stride != 1 else k // 2
    head = _str("con_4") + _tensor(np.concatenate([w.ravel(), b]))
    sizes = b"".join(_int(v) for v in (out, k, k, stride, stride, pad, pad))
    return head + sizes + _alias(out, n_in, k, k) + _alias(1, out, 1, 1) + _float(1) * 3 + _float(0)


def _affine(g: np.ndarray, b: np.ndarray) -> bytes:
    return _str("affine_") + _tensor(np.concatenate([g, b])) + _alias(1, g.size, 1, 1) * 2 + _int(1)


def _pool(kind: str, k: int, stride: int) -> bytes:
    return _str(f"{kind}_pool_2") + b"".join(_int(v) for v in (k, k, stride, stride, 0, 0))


def _fc(w: np.ndarray) -> bytes:
    n_in, out = w.shape
    return _str("fc_2") + _int(out) + _int(n_in) + _tensor(w.ravel()) + _alias(n_in, out, 1, 1) + \
        _alias(0, 0, 0, 0) + _int(1) + _float(1) * 3 + _float(0)  # fmt: skip


def random_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights of the small network: a 5x5/2 stem to 4 channels, one residual block at 4, one downsampling to 8."""
    p = {}
    for name, shape in {"c0": (4, 3, 5, 5), "c1": (4, 4, 3, 3), "c2": (4, 4, 3, 3), "c3": (8, 4, 3, 3),
                        "c4": (8, 8, 3, 3)}.items():  # fmt: skip
        p[name] = rng.normal(0, 0.3, shape).astype(np.float32)
        p[name + "b"] = rng.normal(0, 0.1, shape[0]).astype(np.float32)
        p[name + "g"] = rng.uniform(0.5, 1.5, shape[0]).astype(np.float32)
        p[name + "beta"] = rng.normal(0, 0.1, shape[0]).astype(np.float32)
    p["fc"] = rng.normal(0, 0.3, (8, 5)).astype(np.float32)
    return p


def write_net(path: Path, p: dict[str, np.ndarray], size: int = 24) -> None:
    """Write the network of ``p`` (:func:`random_params`) for ``size`` x ``size`` RGB chips to ``path``."""
    relu, add, mark = _str("relu_") + _state(), _str("add_prev_") + _state(), None

    def conv(c: str, s: int) -> list[bytes]:
        return [_con(p[c], p[c + "b"], s) + _state(), _affine(p[c + "g"], p[c + "beta"]) + _state()]

    # Innermost first; None is a tag or skip (a bare version and its subnetwork).
    layers: list[bytes | None] = [_con(p["c0"], p["c0b"], 2) + _state(True)]
    layers += [_affine(p["c0g"], p["c0beta"]) + _state(), relu, _pool("max", 3, 2) + _state()]
    layers += [mark, *conv("c1", 1), relu, *conv("c2", 1), add, relu]
    layers += [mark, *conv("c3", 2), relu, *conv("c4", 1), mark, mark, _pool("avg", 2, 2) + _state(), add, relu]
    layers += [_pool("avg", 0, 0) + _state(), _fc(p["fc"]) + _state()]
    data = _int(1) + _str("loss_metric_2") + _float(0.04) + _float(0.6)
    data += b"".join(_int(1 if layer is None else 2) for layer in reversed(layers[1:])) + _int(3)
    data += _str("input_rgb_image_sized") + b"".join(_float(m) for m in MEAN) + _int(size) + _int(size)
    path.write_bytes(data + b"".join(layer for layer in layers if layer is not None))


def _conv_np(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    k = w.shape[2]
    pad = 0 if stride != 1 else k // 2
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h, wd = 1 + (x.shape[2] - k) // stride, 1 + (x.shape[3] - k) // stride
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for i in range(h):
        for j in range(wd):
            patch = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out + b[None, :, None, None]


def _pool_np(x: np.ndarray, k: int, stride: int, reduce: str) -> np.ndarray:
    h, w = 1 + (x.shape[2] - k) // stride, 1 + (x.shape[3] - k) // stride
    out = np.zeros((*x.shape[:2], h, w))
    for i in range(h):
        for j in range(w):
            out[:, :, i, j] = getattr(np, reduce)(x[:, :, i * stride : i * stride + k, j * stride : j * stride + k],
                                                  axis=(2, 3))  # fmt: skip
    return out


def _add_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add of unequal tensors: each zero-padded at its end to the larger size."""
    shape = np.maximum(a.shape, b.shape)
    out = np.zeros(shape)
    out[tuple(slice(0, s) for s in a.shape)] += a
    out[tuple(slice(0, s) for s in b.shape)] += b
    return out


def forward(p: dict[str, np.ndarray], chips: np.ndarray) -> np.ndarray:
    """The network of ``p`` on (n, size, size, 3) uint8 RGB chips, in float64 numpy."""
    relu = lambda v: np.maximum(v, 0)  # noqa: E731

    def conv(x: np.ndarray, c: str, s: int) -> np.ndarray:
        return _conv_np(x, p[c], p[c + "b"], s) * p[c + "g"][None, :, None, None] + p[c + "beta"][None, :, None, None]

    x = ((chips.astype(np.float64) - np.array(MEAN)) / 256).transpose(0, 3, 1, 2)
    x = _pool_np(relu(conv(x, "c0", 2)), 3, 2, "max")
    x = relu(_add_np(conv(relu(conv(x, "c1", 1)), "c2", 1), x))
    x = relu(_add_np(conv(relu(conv(x, "c3", 2)), "c4", 1), _pool_np(x, 2, 2, "mean")))
    return x.mean(axis=(2, 3)) @ p["fc"]
