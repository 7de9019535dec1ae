"""ONNX export: for every registered family, onnxruntime's output equals ``transform`` to float32 tolerance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facebridge.maps import METHODS, Provenance, load_map, save_map
from facebridge.maps.onnx_export import export_onnx
from tests.maps.map_files import SRC, TGT, fitted, training_data

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _run(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": x})[0]


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("method", METHODS)
def test_onnx_equals_transform(tmp_path, method: str, normalize: bool) -> None:
    est, _ = fitted(method, normalize=normalize)
    loaded = load_map(save_map(est, tmp_path / "m.fbmap", source=SRC, target=TGT, provenance=Provenance(60, 20, "t")))
    out = export_onnx(loaded, tmp_path / "m.onnx")
    X, _, _ = training_data(n=33, seed=1)
    x = np.vstack([X * 3.0, np.zeros((1, 6))]).astype(np.float32)  # not unit norm, and a zero row
    got = _run(out, x)
    assert got.dtype == np.float32 and got.shape == (34, 4)
    np.testing.assert_allclose(got, est.transform(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, est.transform(x.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_metadata_names_both_spaces(tmp_path) -> None:
    loaded = load_map(save_map(fitted("affine_fixed")[0], tmp_path / "m.fbmap", source=SRC, target=TGT))
    model = onnx.load(str(export_onnx(loaded, tmp_path / "m.onnx")))
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["source_fingerprint"]) == SRC.to_dict()
    assert json.loads(props["target_fingerprint"]) == TGT.to_dict()
    assert json.loads(props["facebridge_map"])["tensors_sha256"] == loaded.tensors_sha256
    assert [i.name for i in model.graph.input] == ["x"] and [o.name for o in model.graph.output] == ["y"]
