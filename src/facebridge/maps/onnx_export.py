"""Portable maps: a loaded map file as a standalone ONNX graph (``x`` float32 (N, dx) -> ``y`` float32 (N, dy)).

The graph is the family's own ``onnx_graph()``; the file's fingerprints, provenance and tensor digest go into the
model's metadata props, so a deployment can check which spaces a converter joins without facebridge.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import facebridge
from facebridge.errors import MissingDependencyError
from facebridge.maps.map_file import MapFile
from facebridge.storage import atomic_write

ONNX_SUFFIX = ".onnx"


def onnx_metadata(map_file: MapFile) -> dict[str, str]:
    """The metadata props an exported graph carries (string values: JSON where structured)."""
    return {
        "facebridge_version": facebridge.__version__,
        "facebridge_map": json.dumps(map_file.to_dict()),
        "source_fingerprint": json.dumps(map_file.source.to_dict()),
        "target_fingerprint": json.dumps(map_file.target.to_dict()),
        "source_model": map_file.source.model,
        "target_model": map_file.target.model,
    }


def export_onnx(map_file: MapFile, path: str | os.PathLike[str]) -> Path:
    """Write ``map_file``'s map as an ONNX model at ``path`` (atomically); returns the path."""
    try:
        import onnx
    except ImportError:
        hint = "pip install 'facebridge[models]'"
        raise MissingDependencyError(f"exporting to ONNX needs the onnx package: {hint}") from None
    model = map_file.estimator.onnx_graph()
    onnx.helper.set_model_props(model, onnx_metadata(map_file))
    model.doc_string = (
        f"facebridge {map_file.estimator.method} map {map_file.source.model} -> {map_file.target.model}: "
        f"x float32 (N, {map_file.source_dim}) -> y float32 (N, {map_file.target_dim})"
    )
    path = Path(path)
    atomic_write(path, lambda tmp: tmp.write_bytes(model.SerializeToString()))
    return path
