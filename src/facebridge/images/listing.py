"""Find the images under a folder and name them by stable, relative ids."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from facebridge.errors import InvalidInputError, MissingFileError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})
"""File name endings :func:`list_images` picks up, compared case-insensitively (a GIF's or TIFF's first frame is
the image)."""


_ESCAPED_BYTE = re.compile(rb"\\x([0-9a-f]{2})")


def _escape(name: str) -> str:
    """``name`` itself when it is valid UTF-8; else its undecodable bytes as ``\\xNN`` (``caf\\xe9.jpg``).

    A file name that is not UTF-8 arrives from the OS with surrogate escapes, which no Parquet string can hold.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def image_file(root: str | os.PathLike[str], image_id: str) -> Path:
    """The file of ``image_id`` under ``root``: the inverse of :func:`image_id`, escaped names included."""
    path = Path(root, image_id)
    if "\\x" not in image_id or path.exists():
        return path
    raw = _ESCAPED_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), image_id.encode("utf-8"))
    return Path(root, os.fsdecode(raw))


def image_id(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """The id of ``path``: its path relative to ``root`` in posix form, e.g. ``Aaron_Eckhart/Aaron_Eckhart_0001.jpg``.

    Both are made absolute without resolving links, so ids do not depend on the working directory. Bytes of a name
    that are not UTF-8 are written ``\\xNN`` (reversed by :func:`image_file`), so such a file is embedded too.
    """
    root_abs, path_abs = Path(os.path.abspath(root)), Path(os.path.abspath(path))
    try:
        rel = path_abs.relative_to(root_abs)
    except ValueError:
        raise InvalidInputError(f"{path} is not inside {root}") from None
    if not rel.parts:
        raise InvalidInputError(f"{path} is the root folder itself, not an image in it")
    return _escape(str(PurePosixPath(*rel.parts)))


def list_images(root: str | os.PathLike[str]) -> list[str]:
    """Ids of all images under ``root`` (recursively), sorted by id.

    Images are files whose suffix is in :data:`IMAGE_SUFFIXES`; hidden files and folders (name starting with ``.``,
    e.g. macOS ``._x.jpg`` resource forks) are skipped and symbolic links to folders are not followed.
    """
    root = Path(root)
    return sorted(image_id(root, path) for path in _files(root) if path.suffix.lower() in IMAGE_SUFFIXES)


def other_files(root: str | os.PathLike[str]) -> list[str]:
    """Ids of the files under ``root`` that :func:`list_images` leaves out for their suffix (``.heic``, ``.txt``),
    sorted, so that a summary can say how many were not embedded."""
    root = Path(root)
    return sorted(image_id(root, path) for path in _files(root) if path.suffix.lower() not in IMAGE_SUFFIXES)


def _files(root: Path) -> list[Path]:
    """Every file under ``root`` not hidden and not in a hidden folder (links to folders not followed)."""
    if not root.is_dir():
        raise MissingFileError(f"image folder not found: {root}")
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(folder, name) for name in files if not name.startswith("."))
    return found
