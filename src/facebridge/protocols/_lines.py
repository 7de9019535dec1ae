"""Line-oriented reading shared by the protocol parsers, so every parse error names the file and the line."""

from __future__ import annotations

import os
from pathlib import Path

from facebridge.errors import DataFormatError, MissingFileError


def read_lines(path: str | os.PathLike[str]) -> list[tuple[int, str]]:
    """The non-blank lines of a UTF-8 text file, stripped, with their 1-based line numbers.

    Raises MissingFileError when the file does not exist, DataFormatError when it is not UTF-8 or has no lines.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"pair file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: not UTF-8 text") from None
    lines = [(i, line.strip()) for i, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise DataFormatError(f"{path}: empty file")
    return lines


def line_error(path: str | os.PathLike[str], lineno: int, message: str) -> DataFormatError:
    """A DataFormatError located at ``path:lineno``."""
    return DataFormatError(f"{path}:{lineno}: {message}")


#: The largest integer a protocol file may hold (folds, counts, image numbers): far above any real one, and small
#: enough for int64 arrays and loops over counts.
MAX_INT = 2**31 - 1


def parse_int(token: str, path: str | os.PathLike[str], lineno: int, what: str, minimum: int) -> int:
    """``token`` as an integer in ``minimum..MAX_INT``; otherwise a located DataFormatError naming ``what``."""
    try:
        value = int(token)
    except ValueError:
        raise line_error(path, lineno, f"{what} must be an integer, got {token!r}") from None
    if value < minimum:
        raise line_error(path, lineno, f"{what} must be >= {minimum}, got {value}")
    if value > MAX_INT:
        raise line_error(path, lineno, f"{what} must be <= {MAX_INT}, got {token[:30]}")
    return value
