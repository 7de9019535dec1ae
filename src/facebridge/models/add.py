"""Bring your own ONNX model: probe its graph, write a spec into the user's models folder, check it runs.

>>> spec, path = add_onnx_model("my-edge", "my_edge.onnx", alignment="arc112", colour="rgb",
...                             mean=(127.5,) * 3, std=(127.5,) * 3)      # doctest: +SKIP

The weights stay where they are (the spec records their absolute path and sha256); the spec is plain TOML that
``docs/model_spec.md`` documents field by field.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from facebridge.errors import InvalidInputError
from facebridge.models.base import EmbeddingModel
from facebridge.models.check import check_model
from facebridge.models.loader import load_model
from facebridge.models.onnx_probe import probe_onnx
from facebridge.models.registry import _builtin_specs, user_specs_dir
from facebridge.models.spec import ALIGNMENT_SIZES, ModelSpec, loads_spec
from facebridge.models.weights import file_sha256
from facebridge.storage import atomic_write

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _triple(values: Sequence[float], what: str) -> list[float]:
    values = [float(v) for v in values]
    if len(values) == 1:
        values *= 3
    if len(values) != 3:
        raise InvalidInputError(f"{what} takes 1 or 3 values (one per channel), got {len(values)}")
    if not all(math.isfinite(v) and abs(v) <= 1e6 for v in values) or (what == "--std" and 0 in values):
        raise InvalidInputError(f"{what} takes finite numbers within 1e6 (--std not 0), got {values}")
    return values


def _toml_value(value: object) -> str:
    """TOML for the values a spec holds: strings (JSON escapes are valid TOML), numbers, lists, inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def onnx_spec_toml(values: dict[str, object]) -> str:
    """The spec file text for ``values`` (field -> value), one ``key = value`` line per field."""
    return "".join(f"{key} = {_toml_value(value)}\n" for key, value in values.items())


def add_onnx_model(
    name: str,
    onnx_path: str | os.PathLike[str],
    *,
    alignment: str,
    colour: str,
    mean: Sequence[float],
    std: Sequence[float],
    dim: int | None = None,
    input_name: str = "",
    output_name: str = "",
    metric: str = "cosine",
    description: str = "",
    folder: str | os.PathLike[str] | None = None,
    force: bool = False,
    face_check: Callable[[EmbeddingModel], None] | None = None,
) -> tuple[ModelSpec, Path]:
    """Write ``<folder>/<name>.toml`` for the ONNX network ``onnx_path`` and return (spec, spec path).

    Parameters
    ----------
    name : the model's name in facebridge (letters, digits, ``.``, ``_``, ``-``); not a built-in model's.
    alignment : the crop the network was trained on (``arc112``, ``arc128``, ``dlib150``, ``box224``).
    colour : ``rgb`` or ``bgr``, the channel order the network expects.
    mean, std : 1 or 3 values; the input is ``(pixel - mean) / std`` on 0..255 values.
    dim : the embedding size; read from the graph when it fixes it, and checked against it when both are known.
    input_name, output_name : choose among several inputs / outputs (default: the graph's only one).
    folder : where to write (default :func:`facebridge.models.registry.user_specs_dir`).
    force : replace an existing spec of that name.
    face_check : called with the loaded model before the spec is written (raising refuses it), e.g. a check on real
        face pairs (``facebridge.extraction.face_check``, what ``facebridge models add`` runs): random crops cannot
        tell a wrong ``mean``, ``std`` or ``colour``.

    The layout, input size, batch and tensor names come from the graph; the sha256 from the file. Before writing,
    the model is run on a few random crops (finite output of the declared dim). Raises InvalidInputError,
    DataFormatError, MismatchError or ModelRuntimeError with one line saying what to change.
    """
    if not _NAME.fullmatch(name) or name.endswith(".toml"):
        raise InvalidInputError(f"model name {name!r}: use letters, digits, '.', '_' and '-' (e.g. my-edge)")
    if name in _builtin_specs():
        raise InvalidInputError(f"'{name}' is a built-in model; choose another name")
    if alignment not in ALIGNMENT_SIZES:
        raise InvalidInputError(f"unknown alignment {alignment!r}; known: {', '.join(ALIGNMENT_SIZES)}")
    if colour.upper() not in ("RGB", "BGR"):
        raise InvalidInputError(f"--colour must be rgb or bgr, got {colour!r}")
    mean, std = _triple(mean, "--mean"), _triple(std, "--std")  # checked before the graph is read
    onnx_path = Path(onnx_path).expanduser().resolve()
    probe = probe_onnx(onnx_path, input_name, output_name)
    size = ALIGNMENT_SIZES[alignment]
    if probe.input_size is not None and probe.input_size != size:
        w, h = probe.input_size
        raise InvalidInputError(
            f"{onnx_path.name} takes {w}x{h} inputs but alignment '{alignment}' makes {size[0]}x{size[1]} crops; "
            f"choose the alignment of that size ({', '.join(a for a, s in ALIGNMENT_SIZES.items() if s == (w, h))})"
        )
    if dim is not None and probe.dim is not None and dim != probe.dim:
        raise InvalidInputError(f"--dim {dim} but the graph's output '{probe.output_name}' has {probe.dim} values")
    dim = dim or probe.dim
    if dim is None:
        raise InvalidInputError(f"the graph does not fix the size of output '{probe.output_name}'; give --dim")
    values: dict[str, object] = {
        "name": name,
        "runtime": "onnxruntime",
        "description": description or f"user model added from {onnx_path.name}",
        "source": str(onnx_path),
        "files": [{"path": str(onnx_path), "sha256": file_sha256(onnx_path)}],
        "input_size": list(size),
        "alignment": alignment,
        "colour_order": colour.upper(),
        "mean": mean,
        "std": std,
        "layout": probe.layout,
        "input_name": probe.input_name,
        "output_name": probe.output_name,
        "dim": dim,
        "metric": metric,
        "preprocessing_version": "1",
    }
    if probe.fixed_batch is not None:
        values["fixed_batch"] = probe.fixed_batch
    text = onnx_spec_toml(values)
    target = Path(folder) if folder is not None else user_specs_dir()
    out = target / f"{name}.toml"
    if out.exists() and not force:
        raise InvalidInputError(f"{out} exists; pass --force to replace it")
    spec = loads_spec(text, str(out))
    model = check_model(load_model(spec, onnx_path.parent, num_threads=1))
    if face_check is not None:
        face_check(model)
    atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return spec, out
