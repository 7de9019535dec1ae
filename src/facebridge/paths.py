"""Where facebridge looks for data it does not own: ``../shared`` beside a checkout, env vars, user dirs."""

from __future__ import annotations

import os
from pathlib import Path

from facebridge.errors import MissingFileError

#: The source checkout's root (``src/facebridge/paths.py`` -> repository root).
_CHECKOUT = Path(__file__).resolve().parents[2]


def shared_candidates(subdir: str) -> list[Path]:
    """``../shared/<subdir>`` relative to the working directory, then to the source checkout.

    The checkout location counts only when running from a source tree (it has a ``pyproject.toml``), so an
    installed wheel never picks up a stray folder.
    """
    out = [Path.cwd().parent / "shared" / subdir]
    if (_CHECKOUT / "pyproject.toml").is_file():
        out.append(_CHECKOUT.parent / "shared" / subdir)
    return out


def default_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``explicit`` > ``$FACEBRIDGE_DATA`` > ``../shared/data``; raises when none exists."""
    for candidate in ([explicit] if explicit else []) + [os.environ.get("FACEBRIDGE_DATA")]:
        if candidate:
            path = Path(candidate)
            if not path.is_dir():
                raise MissingFileError(f"data folder not found: {path}")
            return path
    for path in shared_candidates("data"):
        if path.is_dir():
            return path
    raise MissingFileError("no data folder: pass --data DIR or set FACEBRIDGE_DATA")
