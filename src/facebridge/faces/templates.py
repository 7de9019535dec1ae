"""Named alignment targets and the aligned face they produce.

Coordinates follow OpenCV: pixel ``(i, j)`` has its centre at ``x = j, y = i``. Landmark rows are in
:data:`facebridge.faces.detection.LANDMARKS_5` order (image-left eye first).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from facebridge.errors import NotFoundError


def _frozen(points: list[list[float]] | np.ndarray) -> np.ndarray:
    arr = np.array(points, dtype=np.float64)
    arr.setflags(write=False)
    return arr


ARC112_POINTS = _frozen(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
)
"""(5, 2) ArcFace destination points in a 112x112 crop (insightface ``arcface_dst``)."""


@dataclass(frozen=True)
class Template:
    """An alignment target.

    Parameters
    ----------
    name : registry name, e.g. ``"arc112"``.
    method : how crops are made: ``"similarity"`` (5-point similarity onto ``points``), ``"box"`` (square crop
        around the detector box) or ``"dlib_chip"`` (dlib's own 5-point chip).
    size : side of the square crop in pixels.
    points : (5, 2) destination landmarks for ``"similarity"``, else None.
    """

    name: str
    method: str
    size: int
    points: np.ndarray | None = None


TEMPLATES = MappingProxyType(
    {
        "arc112": Template("arc112", "similarity", 112, ARC112_POINTS),
        "arc128": Template("arc128", "similarity", 128, _frozen(ARC112_POINTS * (128 / 112))),
        "box224": Template("box224", "box", 224),
        "dlib150": Template("dlib150", "dlib_chip", 150),
    }
)
"""Every template :func:`facebridge.faces.align.align` knows, by name."""


def get_template(name: str) -> Template:
    """The template called ``name``; an unknown name raises NotFoundError listing close matches."""
    try:
        return TEMPLATES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), TEMPLATES, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(TEMPLATES)}"
        raise NotFoundError(f"unknown alignment template {name!r}; {hint}") from None


@dataclass(frozen=True, eq=False)
class AlignedFace:
    """A face crop and where it came from.

    Parameters
    ----------
    crop : (size, size, 3) uint8 RGB.
    matrix : (2, 3) float64 affine map from image coordinates to crop coordinates (``cv2.warpAffine`` convention).
    """

    crop: np.ndarray
    matrix: np.ndarray
