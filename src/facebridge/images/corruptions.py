"""A named, versioned, deterministic set of camera corruptions (the shifted-domain protocol) and image variants.

Each corruption is a pure function of an RGB uint8 image (H, W, 3), a level (1 = mild ... 3 = strong) and a seed
(used only where the corruption is random), returning an image of the same shape and dtype. The same image, level
and seed always give the same bytes (with the same Pillow build). :data:`VERSION` changes whenever a corruption's
maths or a level's parameter changes, so that a store or report names exactly which set it used.

- ``downscale``: the image shrunk so that a typical LFW face (~100 px) is ~32, ~20 or ~12 px wide, then enlarged
  back (a small face far from the camera).
- ``jpeg``: re-encoded at JPEG quality 20, 10 or 5.
- ``grayscale``: colour removed (level 1: half, 2: fully; 3: fully, with the contrast halved).
- ``blur``: Gaussian blur of radius 1, 2 or 3.5 px (focus, motion).
- ``exposure``: under-exposure: linear gain 0.55, 0.35 or 0.2 on the sRGB values.
- ``noise``: Gaussian sensor noise of standard deviation 6, 12 or 24 grey levels (seeded).

Variants (:data:`VARIANTS`) have no level (level 0, written without ``:LEVEL``): not a camera's damage but another
photo of the same face, embedded to give maps more corresponding pairs.

- ``flip``: the horizontal mirror image (left and right swapped; the face's person is unchanged).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from facebridge.errors import InvalidInputError
from facebridge.images.rgb import check_rgb

VERSION = "fb-corrupt-1"
LEVELS = (1, 2, 3)


def _pil(rgb: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")


def downscale(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Shrink by 0.32, 0.2 or 0.12 (bilinear, antialiased) and enlarge back to the original size (bicubic)."""
    factor = {1: 0.32, 2: 0.2, 3: 0.12}[level]
    h, w = rgb.shape[:2]
    small = _pil(rgb).resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.BILINEAR)
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.uint8)


def jpeg(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Encode as a baseline JPEG at quality 20, 10 or 5 (4:2:0 chroma) and decode."""
    quality = {1: 20, 2: 10, 3: 5}[level]
    buf = io.BytesIO()
    _pil(rgb).save(buf, format="JPEG", quality=quality, subsampling=2, optimize=False)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def grayscale(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Blend towards the ITU-R 601 luma (level 1: half way, 2: fully, 3: fully and the contrast halved)."""
    x = rgb.astype(np.float32)
    luma = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    mix = 0.5 if level == 1 else 1.0
    out = (1 - mix) * x + mix * luma[..., None]
    if level == 3:
        out = 0.5 * out + 64.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def blur(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Gaussian blur of radius 1, 2 or 3.5 pixels."""
    radius = {1: 1.0, 2: 2.0, 3: 3.5}[level]
    return np.asarray(_pil(rgb).filter(ImageFilter.GaussianBlur(radius)), dtype=np.uint8)


def exposure(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Under-exposure: every sRGB value times 0.55, 0.35 or 0.2, rounded."""
    gain = {1: 0.55, 2: 0.35, 3: 0.2}[level]
    return np.clip(np.rint(rgb.astype(np.float32) * gain), 0, 255).astype(np.uint8)


def noise(rgb: np.ndarray, level: int, seed: int = 0) -> np.ndarray:
    """Additive Gaussian noise of standard deviation 6, 12 or 24, drawn from ``seed`` (PCG64)."""
    sigma = {1: 6.0, 2: 12.0, 3: 24.0}[level]
    drawn = np.random.default_rng(seed).normal(0.0, sigma, size=rgb.shape).astype(np.float32)
    return np.clip(np.rint(rgb.astype(np.float32) + drawn), 0, 255).astype(np.uint8)


def flip(rgb: np.ndarray, level: int = 0, seed: int = 0) -> np.ndarray:
    """The horizontal mirror image: column ``j`` becomes column ``W - 1 - j`` (exact, no resampling)."""
    return np.ascontiguousarray(rgb[:, ::-1])


CORRUPTIONS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "downscale": downscale,
    "jpeg": jpeg,
    "grayscale": grayscale,
    "blur": blur,
    "exposure": exposure,
    "noise": noise,
}
#: Level-less variants (level 0): more photos of the same faces, not corruptions.
VARIANTS: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {"flip": flip}


def image_seed(seed: int, image_id: str) -> int:
    """A per-image seed from the run's ``seed`` and the image id (stable across processes and runs)."""
    return int.from_bytes(hashlib.sha256(f"{seed}\0{image_id}".encode()).digest()[:8], "little")


@dataclass(frozen=True)
class Corruption:
    """One protocol variant: a corruption of :data:`CORRUPTIONS` at a level, with the seed of its random ones, or a
    level-less variant of :data:`VARIANTS` (level 0)."""

    name: str
    level: int
    seed: int = 0

    def __post_init__(self) -> None:
        if self.name in VARIANTS:
            if self.level != 0:
                raise InvalidInputError(f"variant {self.name!r} has no level (write {self.name}), got {self.level!r}")
            return
        if self.name not in CORRUPTIONS:
            known = ", ".join((*CORRUPTIONS, *VARIANTS))
            raise InvalidInputError(f"unknown corruption {self.name!r}; known: {known}")
        if self.level not in LEVELS:
            raise InvalidInputError(f"corruption level must be one of {LEVELS}, got {self.level!r}")

    @property
    def key(self) -> str:
        """``name:level`` with the set's version and the seed, e.g. ``jpeg:2@fb-corrupt-1/seed0``; a variant's
        ``name@version`` (``flip@fb-corrupt-1``: it draws nothing)."""
        if self.name in VARIANTS:
            return f"{self.name}@{VERSION}"
        return f"{self.name}:{self.level}@{VERSION}/seed{self.seed}"

    def apply(self, rgb: np.ndarray, image_id: str = "") -> np.ndarray:
        """The corrupted copy of ``rgb``; random corruptions draw from :func:`image_seed` of ``image_id``."""
        transform = VARIANTS.get(self.name) or CORRUPTIONS[self.name]
        return transform(check_rgb(rgb), self.level, image_seed(self.seed, image_id))


def parse_corruption(text: str, seed: int = 0) -> Corruption:
    """``NAME:LEVEL`` (e.g. ``jpeg:2``), or a variant's bare ``NAME`` (``flip``), as a :class:`Corruption`;
    InvalidInputError names the known ones."""
    name, sep, level = text.strip().partition(":")
    if not sep and name.strip().lower() in VARIANTS:
        return Corruption(name.strip().lower(), 0, seed)
    if not sep or not level.strip().isdigit():
        raise InvalidInputError(f"corruption must be NAME:LEVEL (e.g. jpeg:2), got {text!r}")
    return Corruption(name.strip().lower(), int(level), seed)
