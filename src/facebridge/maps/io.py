"""Map files (``.fbmap``): one portable safetensors file for any map family, no pickle.

Format version 3: the tensors are the family's ``fitted_arrays()`` under their own names, plus those of an optional
carried target-space view under ``view.<name>``. The safetensors metadata key ``facebridge`` holds a JSON header:
format and facebridge versions, ``family`` (class) and ``method`` (registry name), ``params``, fitted ``attrs``,
source/target fingerprints and dims, ``provenance`` (ids, people, dataset), the view's ``params``/``attrs`` (or
null), ``tensors_sha256`` (see :func:`tensors_digest`) and ``header_sha256`` over all the other header fields (see
:func:`header_digest`); both are checked before any parameter or array is used.

Nothing here knows a family: each rebuilds itself through ``saved_class(method, family).from_fitted(params, arrays,
attrs)`` (by the class name, so a file keeps loading after a method is renamed).
Older files still load: version 2 (the same header without ``header_sha256``: its digest covers the tensors only,
so an edited parameter goes unnoticed) and version 1 (``coef``/``intercept`` of a linear map, no digest).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

import facebridge
from facebridge.errors import DataFormatError, FacebridgeError, MismatchError, MissingFileError, NotFittedError
from facebridge.fingerprint import Fingerprint
from facebridge.maps._checks import check_bounded
from facebridge.maps.map_file import (
    HEADER_DIGEST,
    META_KEY,
    MapFile,
    Provenance,
    header_digest,
    read_header,
    tensors_digest,
)
from facebridge.maps.registry import saved_class
from facebridge.storage import atomic_write

FORMAT_VERSION = 3
MAP_SUFFIX = ".fbmap"
VIEW_PREFIX = "view."
_VIEW_CLASSES = ("TargetView",)


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"parameter value {value!r} is not JSON-serialisable")


def _out_dim(estimator: Any, dx: int, where: str) -> int:
    """The output width of a fitted map or view, read by mapping one zero row (so any family works)."""
    out = np.asarray(estimator.transform(np.zeros((1, dx))))
    if out.ndim != 2 or out.shape[0] != 1:
        raise DataFormatError(f"{where}: transform of one row gave shape {out.shape}")
    return int(out.shape[1])


def _view_tensors(view: Any, dim: int) -> dict[str, np.ndarray]:
    arrays = view.fitted_arrays()
    if _out_dim(view, dim, f"view {type(view).__name__}") != dim:
        raise MismatchError(f"the view maps {dim}-d target vectors to another width; a view must keep the width")
    return {VIEW_PREFIX + k: v for k, v in arrays.items()}


def save_map(
    estimator: Any,
    path: str | os.PathLike[str],
    *,
    source: Fingerprint,
    target: Fingerprint,
    provenance: Provenance | None = None,
    view: Any | None = None,
) -> Path:
    """Write a fitted map from ``source`` to ``target`` embeddings (any registered family); returns the path.

    ``provenance`` defaults to the map's sample count alone; ``view``, a fitted target-space view, travels with
    the map so that a deployment can apply it to both sides. ``.fbmap`` is the conventional suffix.
    """
    if not hasattr(estimator, "n_features_in_"):
        raise NotFittedError(f"cannot save an unfitted {type(estimator).__name__}; fit it first")
    arrays, attrs = estimator.fitted_arrays(), estimator.fitted_attrs()
    if any(name.startswith(VIEW_PREFIX) for name in arrays):
        raise DataFormatError(f"{type(estimator).__name__}: array names may not start with {VIEW_PREFIX!r}")
    dx = int(estimator.n_features_in_)
    dy = _out_dim(estimator, dx, type(estimator).__name__)
    tensors = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    if view is not None:
        tensors.update({k: np.ascontiguousarray(v) for k, v in _view_tensors(view, dy).items()})
    provenance = provenance or Provenance(n_ids=int(attrs.get("n_samples_seen_", 0)))
    header = {
        "format_version": FORMAT_VERSION,
        "facebridge_version": facebridge.__version__,
        "family": type(estimator).__name__,
        "method": estimator.method,
        "params": estimator.get_params(),
        "attrs": attrs,
        "source": source.to_dict(),
        "target": target.to_dict(),
        "source_dim": dx,
        "target_dim": dy,
        "provenance": provenance.to_dict(),
        "view": None if view is None else {
            "family": type(view).__name__, "params": view.get_params(), "attrs": view.fitted_attrs()
        },
        "tensors_sha256": tensors_digest(tensors),
    }
    header = json.loads(json.dumps(header, default=_json_value))  # numpy scalars as the reader will see them
    header[HEADER_DIGEST] = header_digest(header)
    metadata = {META_KEY: json.dumps(header)}
    path = Path(path)
    atomic_write(path, lambda tmp: safetensors.numpy.save_file(tensors, tmp, metadata=metadata))
    return path


def _read_header(data: bytes, path: Path) -> dict[str, Any]:
    """The facebridge header of safetensors bytes, checked (version, whole-header digest) before any tensor is
    decoded."""
    header = read_header(data, path, "facebridge map file")
    version = header["format_version"]
    if version > FORMAT_VERSION:
        raise DataFormatError(
            f"{path}: map format version {version} is newer than this facebridge supports ({FORMAT_VERSION}); "
            "upgrade facebridge"
        )
    if version >= 3 and header.get(HEADER_DIGEST) != header_digest(header):
        raise DataFormatError(
            f"{path}: the map's header does not match its sha256 (a parameter, fingerprint or digest was changed): "
            "the file is corrupted or was edited; fit the map again"
        )
    return header


def _mapping(header: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = header.get(key, {})
    if not isinstance(value, Mapping):
        raise DataFormatError(f"header field {key!r} must be a mapping, got {type(value).__name__}")
    return dict(value)


def _dim(header: Mapping[str, Any], key: str) -> int:
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DataFormatError(f"header field {key!r} must be an integer >= 1, got {value!r}")
    return value


def _v1_as_v2(header: dict[str, Any]) -> dict[str, Any]:
    """A version 1 header in version 2 terms: its attributes are the input width and sample count, its only
    provenance the sample count."""
    n_train = header.get("n_train")
    attrs = {"n_features_in_": header.get("source_dim"), "n_samples_seen_": n_train}
    return {**header, "attrs": attrs, "provenance": {"n_ids": n_train}, "view": None}


def _view(spec: Any, arrays: dict[str, np.ndarray]) -> Any | None:
    if spec is None:
        if arrays:
            raise DataFormatError(f"tensors {', '.join(sorted(arrays))} belong to no view")
        return None
    if not isinstance(spec, Mapping) or spec.get("family") not in _VIEW_CLASSES:
        raise DataFormatError(f"unknown view {spec!r}")
    from facebridge.maps import views

    cls = getattr(views, spec["family"])
    return cls.from_fitted(_params(cls, spec), arrays, _mapping(spec, "attrs"))


def _params(cls: type, header: Mapping[str, Any]) -> dict[str, Any]:
    """The header's params, with JSON lists turned back into tuples where the family's default is a tuple."""
    defaults = cls().get_params()
    params = _mapping(header, "params")
    return {k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v for k, v in params.items()}


def _decode(header: dict[str, Any], tensors: dict[str, np.ndarray]) -> tuple[Any, Any | None, int, int]:
    """The map and view a header and its tensors describe, each checked by its family, and the dims."""
    if header["format_version"] > 1:
        expected = header.get("tensors_sha256")
        if expected != tensors_digest(tensors):
            raise DataFormatError("tensors do not match their sha256: the file is corrupted or was edited")
    for name, arr in tensors.items():
        check_bounded(arr, name, "map file")
    dx, dy = _dim(header, "source_dim"), _dim(header, "target_dim")
    cls = saved_class(header.get("method", ""), header.get("family"))
    own = {k: v for k, v in tensors.items() if not k.startswith(VIEW_PREFIX)}
    estimator = cls.from_fitted(_params(cls, header), own, _mapping(header, "attrs"))
    view_arrays = {k[len(VIEW_PREFIX) :]: v for k, v in tensors.items() if k.startswith(VIEW_PREFIX)}
    view = _view(header.get("view"), view_arrays)
    if getattr(estimator, "n_features_in_", None) != dx or _out_dim(estimator, dx, cls.__name__) != dy:
        raise DataFormatError(f"{cls.__name__}: arrays do not map {dx}-d to {dy}-d as the header says")
    if view is not None and _out_dim(view, dy, "view") != dy:
        raise DataFormatError(f"view does not keep the {dy}-d target width")
    return estimator, view, dx, dy


def load_map(
    path: str | os.PathLike[str], *, expected_source: Fingerprint | None = None, expected_dim: int | None = None
) -> MapFile:
    """Read a map file; with ``expected_source`` / ``expected_dim``, check it applies to those embeddings.

    Every way a file can be wrong (truncated, bit-flipped, hand-edited, hostile) is a DataFormatError naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"map file not found: {path}")
    data = path.read_bytes()
    header = _read_header(data, path)
    if header["format_version"] == 1:
        header = _v1_as_v2(header)
    try:
        tensors = safetensors.numpy.load(data)
        source, target = Fingerprint.from_dict(header["source"]), Fingerprint.from_dict(header["target"])
        estimator, view, dx, dy = _decode(header, tensors)
        provenance = Provenance.from_dict(header.get("provenance"))
    except (SafetensorError, FacebridgeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DataFormatError(f"{path}: corrupt or inconsistent map file ({exc})") from None
    loaded = MapFile(
        estimator,
        source,
        target,
        dx,
        dy,
        provenance,
        view,
        str(header.get("tensors_sha256", "")),
        header["format_version"],
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
