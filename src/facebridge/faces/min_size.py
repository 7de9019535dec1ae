"""A detector that ignores faces smaller than a given size (``embed --min-face``)."""

from __future__ import annotations

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.faces.detection import Detection, Detector


class MinFaceSize:
    """The faces ``inner`` finds whose box's shorter side is at least ``pixels``.

    Its ``name`` (``"yunet-min40"``) keys its own detection cache, so stores made with other sizes never mix.
    """

    def __init__(self, inner: Detector, pixels: int) -> None:
        if isinstance(pixels, bool) or not isinstance(pixels, int) or pixels < 1:
            raise InvalidInputError(f"min face size must be an int >= 1 pixels, got {pixels!r}")
        self.inner = inner
        self.pixels = pixels
        self.name = f"{inner.name}-min{pixels}"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """``inner``'s faces at least ``pixels`` wide and high."""
        return [d for d in self.inner.detect(rgb) if min(d.box[2], d.box[3]) >= self.pixels]
