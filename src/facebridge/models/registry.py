"""Named model specs: the built-in ones shipped as TOML in ``models/specs/``, the user's models folder, and spec files.

Bringing another model is a spec file, not code: ``facebridge models add`` writes one into the user's models folder
(:func:`user_specs_dir`), whose specs are known by name; ``get_spec("path/to/my-model.toml")`` or
``register_spec_file(path)`` then ``get_spec("my-model")`` work for a spec file anywhere.
"""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import logging
import os
from pathlib import Path

import platformdirs

from facebridge.errors import FacebridgeError, InvalidInputError, NotFoundError
from facebridge.models.spec import ModelSpec, load_spec, loads_spec

log = logging.getLogger(__name__)

USER_SPECS_ENV = "FACEBRIDGE_USER_MODELS"
#: Extensions of weight files, which are given to ``models add``, never used as a model name or spec.
WEIGHT_SUFFIXES = (".onnx", ".xml", ".bin", ".param", ".caffemodel", ".prototxt", ".dat", ".pt", ".pth")

_USER_SPECS: dict[str, ModelSpec] = {}


@functools.cache
def _builtin_specs() -> dict[str, ModelSpec]:
    """The shipped specs, parsed on first use."""
    out = {}
    for entry in sorted(importlib.resources.files("facebridge.models").joinpath("specs").iterdir(), key=str):
        if entry.name.endswith(".toml"):
            spec = loads_spec(entry.read_text(encoding="utf-8"), f"models/specs/{entry.name}")
            out[spec.name] = spec
    return out


def user_specs_dir() -> Path:
    """The user's models folder, where ``facebridge models add`` writes specs: ``$FACEBRIDGE_USER_MODELS``, else
    ``platformdirs.user_data_dir("facebridge")/models``. Every ``*.toml`` in it is a model known by name."""
    return Path(os.environ.get(USER_SPECS_ENV) or Path(platformdirs.user_data_dir("facebridge")) / "models")


def _folder_specs() -> dict[str, ModelSpec]:
    """The specs in :func:`user_specs_dir`; a broken file is skipped with a warning so that it blocks no other model."""
    out = {}
    folder = user_specs_dir()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
        try:
            spec = load_spec(path)
        except FacebridgeError as exc:
            log.warning("skipping user model spec: %s", exc)
            continue
        out[spec.name] = spec
    return out


def _all_specs() -> dict[str, ModelSpec]:
    return {**_folder_specs(), **_USER_SPECS, **_builtin_specs()}


def list_specs() -> list[ModelSpec]:
    """Every known spec (built-in and registered), sorted by name."""
    return [spec for _, spec in sorted(_all_specs().items())]


def _looks_like_path(name: str | os.PathLike[str]) -> bool:
    return isinstance(name, os.PathLike) or str(name).endswith(".toml") or os.sep in str(name)


def get_spec(name_or_path: str | os.PathLike[str]) -> ModelSpec:
    """A spec by registry name, or loaded from a TOML path (anything ending in ``.toml`` or containing a separator).

    Raises NotFoundError listing close matches for an unknown name; load errors as in :func:`load_spec`.
    """
    if str(name_or_path).lower().endswith(WEIGHT_SUFFIXES):
        raise InvalidInputError(
            f"{name_or_path} is a weights file, not a model: add it once with 'facebridge models add NAME --onnx "
            f"{name_or_path} --alignment arc112 --colour rgb --mean .. --std ..', then use --model NAME"
        )
    if _looks_like_path(name_or_path):
        return load_spec(name_or_path)
    specs, name = _all_specs(), str(name_or_path)  # a name: _looks_like_path took every PathLike
    if name not in specs:
        close = difflib.get_close_matches(name, specs, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(specs))}"
        raise NotFoundError(f"unknown model '{name}'{hint}")
    return specs[name]


def register_spec_file(path: str | os.PathLike[str]) -> ModelSpec:
    """Load a spec file and make its name resolvable by :func:`get_spec` for this process.

    Registering the same spec twice is a no-op; a different spec under an existing name is an InvalidInputError.
    """
    spec = load_spec(Path(path))
    existing = _all_specs().get(spec.name)
    if existing is not None and existing != spec:
        raise InvalidInputError(f"{path}: a different model named '{spec.name}' is already registered")
    _USER_SPECS[spec.name] = spec
    return spec
