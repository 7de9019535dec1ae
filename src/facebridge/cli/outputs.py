"""The one check every writing command applies to its output paths before doing any work.

Every output option is declared with :func:`out_option` (an empty value, what an unset ``$OUTDIR`` gives, is refused
in one line instead of meaning the current folder) and checked in the command's body with :func:`check_outputs`
(or :func:`output_path` for a single file of a known suffix): files must be absent or regular, folders absent or
folders whose nearest existing parent is writable, and no two options may name the same path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from facebridge.errors import InvalidInputError
from facebridge.storage import WriteError, check_output_file

#: Output option name -> its path (None: not given).
Named = dict[str, Path | None]


def _parse(value: str) -> Path | str:
    """Typer parser of an output option: the empty string is kept as such for :func:`_refuse_empty`."""
    return Path(value) if value.strip() else value


def _refuse_empty(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """An empty output path is refused, naming its option (``Path('')`` would silently be the current folder)."""
    if isinstance(value, str):
        raise InvalidInputError(
            f"{param.opts[0]} is an empty path (an unset variable?): it would write into the current folder; "
            "give a path"
        )
    return value


def out_option(*names: str, help: str, **kwargs: Any) -> Any:
    """``typer.Option`` for an output path: refuses ``''`` with one line naming the option."""
    kwargs.setdefault("metavar", "<path>")
    return typer.Option(*names, parser=_parse, callback=_refuse_empty, help=help, **kwargs)


def _writable_folder(path: Path, option: str) -> None:
    """``path`` is, or can be created as, a folder: no file in its place and its nearest existing parent writable."""
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"{option} {path} is a file; give a folder")
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InvalidInputError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise WriteError(f"{option} {path}: cannot write in {parent} (permission denied)")


def check_outputs(*, files: Named | None = None, folders: Named | None = None) -> None:
    """Check a command's output ``files`` and ``folders`` (option name -> path; None: not given) before any work.

    A file must be absent or a regular file, a folder absent or a writable folder, and two options naming the same
    path are refused (the second write would replace the first). Raises InvalidInputError (WriteError: unwritable).
    """
    seen: dict[str, str] = {}
    for kind, given in (("file", files or {}), ("folder", folders or {})):
        for option, path in given.items():
            if path is None:
                continue
            if not str(path) or (kind == "file" and not path.name):
                raise InvalidInputError(f"{option} {str(path)!r} names no {kind}")
            if kind == "file":
                check_output_file(path)
                _writable_folder(path.parent, option)
            else:
                _writable_folder(path, option)
            key = os.path.realpath(path)
            if key in seen:
                raise InvalidInputError(f"{seen[key]} and {option} both name {path}; give each its own path")
            seen[key] = option


def output_path(path: Path, suffix: str, *, force: bool, option: str = "--out") -> Path:
    """``path`` checked (:func:`check_outputs`) for writing a ``suffix`` file (e.g. ``".fbmap"``).

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
    check_outputs(files={option: path})
    if path.exists() and not force:
        raise InvalidInputError(f"{option} {path} exists; pass --force to replace it")
    return path
