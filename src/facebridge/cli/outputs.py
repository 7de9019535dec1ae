"""Checks every writing command applies to its output path before doing any work."""

from __future__ import annotations

from pathlib import Path

from facebridge.errors import InvalidInputError
from facebridge.storage import check_output_file


def output_path(path: Path, suffix: str, *, force: bool, option: str = "--out") -> Path:
    """``path`` checked for writing a ``suffix`` file (e.g. ``".fbmap"``).

    No suffix gets ``suffix`` appended; another suffix (``m.npz`` for a map) is refused, since the file would
    not be what its name says; an existing file is refused unless ``force``. Raises InvalidInputError.
    """
    if not str(path) or not path.name:
        raise InvalidInputError(f"{option} {str(path)!r} names no file; give a file name ending in {suffix}")
    if path.suffix == "":
        path = path.with_suffix(suffix)
    elif path.suffix.lower() != suffix:
        raise InvalidInputError(f"{option} {path}: this command writes a {suffix} file; name it {path.stem}{suffix}")
    if path.is_dir():
        raise InvalidInputError(f"{option} {path} is a folder; give a file name ending in {suffix}")
    check_output_file(path)
    if path.exists() and not force:
        raise InvalidInputError(f"{option} {path} exists; pass --force to replace it")
    return path


def nonempty_path(value: str) -> Path:
    """Typer parser for a path option: ``''`` is refused (``Path('')`` would silently mean the current folder)."""
    if not value.strip():
        raise ValueError("an empty path names nothing; give a folder or file name")
    return Path(value)
