"""Find the images under a folder and name them by stable, relative ids."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from facebridge.errors import InvalidInputError, MissingFileError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
"""File name endings :func:`list_images` picks up, compared case-insensitively."""


def image_id(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """The id of ``path``: its path relative to ``root`` in posix form, e.g. ``Aaron_Eckhart/Aaron_Eckhart_0001.jpg``.

    Both are made absolute without resolving links, so ids do not depend on the working directory.
    """
    root_abs, path_abs = Path(os.path.abspath(root)), Path(os.path.abspath(path))
    try:
        rel = path_abs.relative_to(root_abs)
    except ValueError:
        raise InvalidInputError(f"{path} is not inside {root}") from None
    if not rel.parts:
        raise InvalidInputError(f"{path} is the root folder itself, not an image in it")
    return str(PurePosixPath(*rel.parts))


def list_images(root: str | os.PathLike[str]) -> list[str]:
    """Ids of all images under ``root`` (recursively), sorted by id.

    Images are files whose suffix is in :data:`IMAGE_SUFFIXES`; hidden files and folders (name starting with ``.``,
    e.g. macOS ``._x.jpg`` resource forks) are skipped and symbolic links to folders are not followed.
    """
    root = Path(root)
    if not root.is_dir():
        raise MissingFileError(f"image folder not found: {root}")
    ids = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        ids.extend(
            image_id(root, Path(folder, name))
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES
        )
    return sorted(ids)
