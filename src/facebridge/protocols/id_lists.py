"""Image-id lists as text files, one id a line (``Person/file.jpg``): what a protocol's subset hands to ``embed``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from facebridge.errors import DataFormatError, MissingFileError
from facebridge.storage import atomic_write


def write_id_list(ids: Iterable[str], path: str | os.PathLike[str]) -> Path:
    """Write ``ids`` one a line (atomically); returns the path."""
    text = "".join(f"{i}\n" for i in ids)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return Path(path)


def read_id_list(path: str | os.PathLike[str]) -> list[str]:
    """The ids of a file written by :func:`write_id_list` (blank lines skipped); errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"id list not found: {path}")
    ids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not ids:
        raise DataFormatError(f"{path}: no ids (one image id a line, e.g. Person/Person_0001.jpg)")
    return ids
