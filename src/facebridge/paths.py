"""Where facebridge looks for data it does not own: ``../shared`` beside a checkout, env vars, user dirs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

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


def resolve_dir(
    explicit: str | os.PathLike[str] | None, option: str, env_var: str, subdir: str, *, fallback: Path | None = None
) -> Path:
    """A folder by precedence: ``explicit`` (the CLI ``option``) > ``$env_var`` > ``../shared/<subdir>`` > ``fallback``.

    An explicit or environment folder that does not exist is an error, never silently skipped; without a fallback,
    finding nothing is an error that says how to point at one.
    """
    for given, how in ((explicit, option), (os.environ.get(env_var) or None, f"${env_var}")):
        if given is not None:
            path = Path(given).expanduser()
            if not path.is_dir():
                raise MissingFileError(f"{subdir} folder {path} (from {how}) does not exist")
            return path
    for candidate in shared_candidates(subdir):
        if candidate.is_dir():
            return candidate
    if fallback is None:
        raise MissingFileError(f"no {subdir} folder found: pass {option} DIR or set {env_var}")
    return fallback


def user_data_dir() -> Path:
    """Where ``facebridge data fetch`` puts data sets by default: the user data folder's ``data``."""
    return Path(platformdirs.user_data_dir("facebridge")) / "data"


def default_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``explicit`` (``--data``) > ``$FACEBRIDGE_DATA`` > ``../shared/data`` > what
    ``facebridge data fetch`` downloaded (:func:`user_data_dir`)."""
    fetched = user_data_dir()
    found = resolve_dir(explicit, "--data", "FACEBRIDGE_DATA", "data", fallback=fetched)
    if found == fetched and not fetched.is_dir():
        raise MissingFileError(
            "no data folder found: pass --data DIR, set FACEBRIDGE_DATA, or run 'facebridge data fetch lfw'"
        )
    return found
