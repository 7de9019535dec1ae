"""Decode any image file to RGB uint8, with a status instead of an exception for bad files.

Large images are decoded with bounded memory: the size is read from the header before any pixel is decoded, JPEGs
are decoded at a DCT-reduced scale (``draft``, see :func:`jpeg_reduction`), and other formats above a pixel budget
are refused as ``too_large``.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, JpegImagePlugin, UnidentifiedImageError

from facebridge.errors import InvalidInputError

log = logging.getLogger(__name__)

STATUSES = ("ok", "missing", "empty", "truncated", "not_image", "unreadable", "too_large")
"""Every value of :attr:`DecodedImage.status`; only ``ok`` comes with pixels."""

MAX_PIXELS = 50_000_000
"""Pixel budget for formats that cannot be decoded at a reduced scale (about 150 MB as RGB)."""

_JPEG_MAGIC = b"\xff\xd8\xff"
_IMAGE_MAGICS = (_JPEG_MAGIC, b"\x89PNG", b"BM", b"RIFF", b"GIF8", b"II*\x00", b"MM\x00*")
_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


@dataclass(frozen=True, eq=False)
class DecodedImage:
    """The result of :func:`load_image`.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 C-contiguous RGB pixels when ``status == "ok"``, else None.
    status : one of :data:`STATUSES`.
    note : what was converted (``ok``) or why decoding failed; empty when nothing happened.
    """

    rgb: np.ndarray | None
    status: str
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def load_image(path: str | os.PathLike[str], *, max_side: int = 4096, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Decode ``path`` to RGB uint8, never raising for a bad file.

    Parameters
    ----------
    path : image file (any format Pillow reads).
    max_side : images whose longer side exceeds this are downscaled to it (aspect kept).
    max_pixels : images with more pixels than this are not decoded (status ``too_large``), except JPEGs that fit
        at a DCT-reduced scale (:func:`jpeg_reduction`).

    Returns
    -------
    DecodedImage with status ``ok`` and a note listing any conversion (grayscale->RGB, CMYK->RGB, 16-bit->8-bit,
    RGBA->RGB with alpha dropped, EXIF orientation applied, downscaled from WxH), or a failure status and its reason.
    """
    if max_side < 1 or max_pixels < 1:
        raise InvalidInputError(f"max_side and max_pixels must be >= 1, got {max_side} and {max_pixels}")
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            return DecodedImage(None, "unreadable", f"{path} is not a regular file")
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return DecodedImage(None, "missing", f"{path} does not exist")
    except OSError as exc:
        return DecodedImage(None, "unreadable", f"{path}: {exc.strerror or exc}")
    if size == 0:
        return DecodedImage(None, "empty", f"{path} has zero bytes")
    try:
        return _decode(path, head, max_side, max_pixels)
    except UnidentifiedImageError:
        if head.startswith(_IMAGE_MAGICS):
            return DecodedImage(None, "unreadable", f"{path}: image header cannot be parsed")
        return DecodedImage(None, "not_image", f"{path} is not an image file")
    except Image.DecompressionBombError as exc:
        return DecodedImage(None, "too_large", f"{path}: {exc}")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        status = "truncated" if "truncated" in str(exc).lower() else "unreadable"
        log.debug("decoding %s failed: %s", path, exc)
        return DecodedImage(None, status, f"{path}: {exc}")


def jpeg_reduction(width: int, height: int, max_side: int, max_pixels: int) -> int | None:
    """The DCT reduction (1, 2, 4 or 8) at which to decode a ``width`` x ``height`` JPEG; None: too large at 1/8.

    Among the reductions whose size fits ``max_pixels``, the strongest that still keeps the longer side at least
    ``max_side`` (the image is downscaled to ``max_side`` anyway, so nothing is lost); when none keeps it, the
    mildest that fits (a 30000x30000 JPEG: 1/8, 3750x3750).
    """
    fits = [r for r in (1, 2, 4, 8) if -(-width // r) * -(-height // r) <= max_pixels]
    keep = [r for r in fits if -(-max(width, height) // r) >= max_side]
    return max(keep) if keep else min(fits, default=None)


def _open(path: Path, head: bytes) -> ImageFile.ImageFile:
    """Open without decoding pixels; JPEGs bypass Pillow's bomb check because they are decoded at reduced scale."""
    if head.startswith(_JPEG_MAGIC):
        return JpegImagePlugin.JpegImageFile(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(path)


def _decode(path: Path, head: bytes, max_side: int, max_pixels: int) -> DecodedImage:
    notes: list[str] = []
    with _open(path, head) as im:
        width, height = im.size
        reduction = jpeg_reduction(width, height, max_side, max_pixels) if im.format == "JPEG" else None
        if reduction is not None and reduction > 1:  # draft picks the strongest reduction keeping this size
            im.draft(im.mode, (max(1, width // reduction), max(1, height // reduction)))
        if im.size[0] * im.size[1] > max_pixels:
            return DecodedImage(None, "too_large", f"{path}: {width}x{height} exceeds the {max_pixels} pixel budget")
        sixteen_bit = any(";16" in str(tile.args) for tile in im.tile)
        im.load()
        oriented = _apply_orientation(im, notes)
        if max(oriented.size) > max_side:
            oriented.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if (width, height) != oriented.size and (height, width) != oriented.size:
            notes.append(f"downscaled from {width}x{height}")
        rgb = _to_rgb(oriented, notes, sixteen_bit)
    return DecodedImage(np.ascontiguousarray(rgb), "ok", "; ".join(notes))


def _apply_orientation(im: Image.Image, notes: list[str]) -> Image.Image:
    orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
    if orientation in range(2, 9):
        notes.append(f"EXIF orientation {orientation} applied")
        return ImageOps.exif_transpose(im)
    return im


def _to_rgb(im: Image.Image, notes: list[str], sixteen_bit: bool) -> np.ndarray:
    """(H, W, 3) uint8 from any Pillow mode, recording the conversion."""
    mode = im.mode
    if mode in _SIXTEEN_BIT_MODES:
        notes.append("16-bit->8-bit; grayscale->RGB")
        wide = np.asarray(im).astype(np.float32)
        gray = np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if sixteen_bit:
        notes.append("16-bit->8-bit")
    if mode in ("L", "1", "LA"):
        notes.append("grayscale->RGB")
    elif mode in ("RGBA", "RGBa", "PA") or (mode == "P" and "transparency" in im.info):
        notes.append("RGBA->RGB (alpha dropped)")
    elif mode == "CMYK":
        notes.append("CMYK->RGB")
    elif mode not in ("RGB", "P", "YCbCr"):
        notes.append(f"{mode}->RGB")
    return np.asarray(im.convert("RGB"), dtype=np.uint8)
