"""Map files (``.fbmap``): one portable safetensors file, no pickle.

Tensors ``coef`` (dx, dy) and ``intercept`` (dy,) in float64; the safetensors metadata key ``facebridge`` holds a
JSON header: format version, facebridge version, method, params, source/target fingerprints and dims, and the
number of training pairs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

import facebridge
from facebridge.embeddings import Fingerprint
from facebridge.errors import DataFormatError, FacebridgeError, MismatchError, MissingFileError, NotFittedError
from facebridge.maps.base import LinearMap
from facebridge.maps.registry import map_class
from facebridge.storage import atomic_write

FORMAT_VERSION = 1
MAP_SUFFIX = ".fbmap"
_META_KEY = "facebridge"


@dataclass(frozen=True)
class MapFile:
    """A loaded map and where it comes from.

    Parameters
    ----------
    estimator : the fitted map.
    source, target : fingerprints of the spaces it maps from and to.
    n_train : pairs it was fitted on.
    format_version, facebridge_version : what wrote the file.
    """

    estimator: LinearMap
    source: Fingerprint
    target: Fingerprint
    n_train: int
    format_version: int
    facebridge_version: str

    @property
    def source_dim(self) -> int:
        return int(self.estimator.coef_.shape[0])

    @property
    def target_dim(self) -> int:
        return int(self.estimator.coef_.shape[1])


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"parameter value {value!r} is not JSON-serialisable")


def save_map(estimator: LinearMap, path: str | os.PathLike[str], *, source: Fingerprint, target: Fingerprint) -> Path:
    """Write a fitted ``estimator`` mapping ``source`` embeddings to ``target`` ones; returns the path.

    ``.fbmap`` is the conventional suffix; any name is accepted.
    """
    if not hasattr(estimator, "coef_"):
        raise NotFittedError(f"cannot save an unfitted {type(estimator).__name__}; fit it first")
    coef, intercept = estimator.coef_, estimator.intercept_
    header = {
        "format_version": FORMAT_VERSION,
        "facebridge_version": facebridge.__version__,
        "method": estimator.method,
        "params": estimator.get_params(),
        "source": source.to_dict(),
        "target": target.to_dict(),
        "source_dim": int(coef.shape[0]),
        "target_dim": int(coef.shape[1]),
        "n_train": int(estimator.n_samples_seen_),
    }
    tensors = {"coef": np.ascontiguousarray(coef, np.float64), "intercept": np.ascontiguousarray(intercept, np.float64)}
    metadata = {_META_KEY: json.dumps(header, default=_json_value)}
    path = Path(path)
    atomic_write(path, lambda tmp: safetensors.numpy.save_file(tensors, tmp, metadata=metadata))
    return path


def _read_header(data: bytes, path: Path) -> dict[str, Any]:
    """The facebridge header of safetensors bytes, checked before any tensor is decoded."""
    if len(data) < 8:
        raise DataFormatError(f"{path}: not a map file (only {len(data)} bytes)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise DataFormatError(f"{path}: truncated or not a safetensors file (header says {size} bytes)")
    try:
        meta = json.loads(data[8 : 8 + size])["__metadata__"]
        header = json.loads(meta[_META_KEY])
        version = int(header["format_version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise DataFormatError(f"{path}: not a facebridge map file (unreadable header: {exc!r})") from None
    if version > FORMAT_VERSION:
        raise DataFormatError(
            f"{path}: map format version {version} is newer than this facebridge supports ({FORMAT_VERSION}); "
            "upgrade facebridge"
        )
    return header


def _estimator(header: dict[str, Any], tensors: dict[str, np.ndarray], path: Path) -> LinearMap:
    try:
        estimator = map_class(header["method"])().set_params(**header["params"])
        coef, intercept = tensors["coef"], tensors["intercept"]
        dims = (int(header["source_dim"]), int(header["target_dim"]))
        n_train = int(header["n_train"])
    except (FacebridgeError, KeyError, TypeError, ValueError) as exc:
        raise DataFormatError(f"{path}: inconsistent map file ({exc})") from None
    if coef.shape != dims or intercept.shape != dims[1:]:
        raise DataFormatError(f"{path}: tensors of shapes {coef.shape}, {intercept.shape} do not match dims {dims}")
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise DataFormatError(f"{path}: map weights contain NaN or inf")
    estimator._set_fitted(coef, intercept, n_train)
    return estimator


def load_map(
    path: str | os.PathLike[str], *, expected_source: Fingerprint | None = None, expected_dim: int | None = None
) -> MapFile:
    """Read a map file; with ``expected_source`` / ``expected_dim``, check it applies to those embeddings."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"map file not found: {path}")
    data = path.read_bytes()
    header = _read_header(data, path)
    try:
        tensors = safetensors.numpy.load(data)
        source, target = Fingerprint.from_dict(header["source"]), Fingerprint.from_dict(header["target"])
    except (SafetensorError, KeyError) as exc:
        raise DataFormatError(f"{path}: corrupt map file ({exc})") from None
    loaded = MapFile(
        _estimator(header, tensors, path),
        source,
        target,
        int(header["n_train"]),
        int(header["format_version"]),
        str(header.get("facebridge_version", "")),
    )
    if expected_source is not None and not loaded.source.same_space(expected_source):
        raise MismatchError(
            f"{path}: map was trained on {loaded.source.model} embeddings "
            f"(weights {loaded.source.weights_sha256[:12] or 'unknown'}), but the input comes from "
            f"{expected_source.model} (weights {expected_source.weights_sha256[:12] or 'unknown'})"
        )
    if expected_dim is not None and expected_dim != loaded.source_dim:
        raise MismatchError(f"{path}: map expects {loaded.source_dim}-d input, got {expected_dim}-d embeddings")
    return loaded
