"""Find the images under a folder and name them by stable, relative ids."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from facebridge.errors import InvalidInputError, MissingFileError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})
"""File name endings :func:`list_images` picks up, compared case-insensitively (a GIF's or TIFF's first frame is
the image)."""


#: An escape of an id: ``\\\\`` (a backslash of the name) or ``\\xNN`` (a byte that is not UTF-8).
_ESCAPE = re.compile(rb"\\(\\|x[0-9a-f]{2})")


def _escape(name: str) -> str:
    """``name`` itself when it is valid UTF-8 without a backslash; else its backslashes doubled and its undecodable
    bytes written ``\\xNN`` (``caf\\xe9.jpg``), so that no two names share an id: an id holds a backslash only
    when escaped, and every backslash of an escaped id starts an escape.

    A file name that is not UTF-8 arrives from the OS with surrogate escapes, which no Parquet string can hold.
    """
    if "\\" not in name:
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return name
    raw = name.encode("utf-8", "surrogateescape").replace(b"\\", b"\\\\")
    return raw.decode("utf-8", "backslashreplace")


def image_file(root: str | os.PathLike[str], image_id: str) -> Path:
    """The file of ``image_id`` under ``root``: the inverse of :func:`image_id`, escaped names included."""
    if "\\" not in image_id:
        return Path(root, image_id)
    raw = _ESCAPE.sub(
        lambda m: b"\\" if m.group(1) == b"\\" else bytes([int(m.group(1)[1:], 16)]), image_id.encode("utf-8")
    )
    return Path(root, os.fsdecode(raw))


def image_id(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """The id of ``path``: its path relative to ``root`` in posix form, e.g. ``Aaron_Eckhart/Aaron_Eckhart_0001.jpg``.

    Both are made absolute without resolving links, so ids do not depend on the working directory. Bytes of a name
    that are not UTF-8 are written ``\\xNN`` and a backslash ``\\\\`` (reversed by :func:`image_file`), so such a file
    is embedded too, and under an id no other file has.
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
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(folder, name) for name in files if not name.startswith("."))
    return found
