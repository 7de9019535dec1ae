"""The one in-memory image type every later stage accepts: (H, W, 3) uint8 RGB."""

from __future__ import annotations

import numpy as np

from facebridge.errors import InvalidInputError


def check_rgb(rgb: np.ndarray) -> np.ndarray:
    """Return ``rgb`` as a C-contiguous (H, W, 3) uint8 array, or raise InvalidInputError naming what is wrong."""
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise InvalidInputError(f"expected an (H, W, 3) RGB image, got shape {getattr(rgb, 'shape', type(rgb))}")
    if rgb.dtype != np.uint8:
        raise InvalidInputError(f"expected a uint8 RGB image, got dtype {rgb.dtype}")
    return np.ascontiguousarray(rgb)
