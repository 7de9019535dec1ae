"""Aligned crops -> the network's input tensor, exactly as the model's spec declares. The only place this happens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from facebridge.errors import InvalidInputError

if TYPE_CHECKING:
    from facebridge.models.spec import ModelSpec


def check_crops(crops: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Validate a batch of aligned crops for ``spec``: (n, h, w, 3) uint8 RGB at the spec's input size."""
    crops = np.asarray(crops)
    w, h = spec.input_size
    if crops.ndim != 4 or crops.shape[1:] != (h, w, 3):
        raise InvalidInputError(
            f"{spec.name} takes (n, {h}, {w}, 3) {spec.alignment} crops, got an array of shape {crops.shape}"
        )
    if crops.dtype != np.uint8:
        raise InvalidInputError(f"{spec.name} takes uint8 RGB crops, got dtype {crops.dtype}")
    return crops


def preprocess(crops: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """Turn aligned RGB crops into the tensor ``spec`` declares.

    Parameters
    ----------
    crops : (n, h, w, 3) uint8 RGB, (w, h) == ``spec.input_size``.
    spec : the model's declared colour order, ``(x - mean) / std`` scaling, layout and dtype.

    Returns
    -------
    (n, 3, h, w) or (n, h, w, 3) C-contiguous array: float32 normalised values, or for ``dtype = "uint8"`` specs
    the raw pixels in the declared colour order (the runtime or graph scales them).
    """
    x = check_crops(crops, spec)
    if spec.colour_order == "BGR":
        x = x[..., ::-1]
    if spec.dtype == "float32":
        x = (x.astype(np.float32) - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    if spec.layout == "NCHW":
        x = x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x)
