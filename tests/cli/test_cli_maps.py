"""Map commands end to end: fit (every family), transform, export-onnx, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings, write_parquet
from facebridge.maps import METHODS, load_map
from tests.helpers import synthetic_study
from tests.maps.map_files import tensor_offset


@pytest.fixture()
def sets(tmp_path: Path) -> dict[str, Path]:
    _, source, target = synthetic_study()
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    return {"a": tmp_path / "a.parquet", "b": tmp_path / "b.parquet", "dir": tmp_path}


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fit_map(capsys, sets, *extra: object, name: str = "a2b.fbmap") -> Path:
    out = sets["dir"] / name
    code, stdout, stderr = run(capsys, "fit", "--source", sets["a"], "--target", sets["b"], "--out", out, *extra)
    assert code == 0, stderr
    assert "200 pairs of 40 people" in " ".join(stdout.split())
    return out


@pytest.mark.parametrize("method", METHODS)
def test_fit_offers_every_family_and_records_provenance(sets, capsys, method: str) -> None:
    small = ("--param", "hidden=8", "--param", "max_iter=20") if method == "mlp" else ()  # a quick fit
    loaded = load_map(fit_map(capsys, sets, "--method", method, "--dataset", "toy", *small))
    assert loaded.estimator.method == method
    assert (loaded.provenance.n_ids, loaded.provenance.n_people, loaded.provenance.dataset) == (200, 40, "toy")
    assert (loaded.source.model, loaded.target.model, loaded.format_version) == ("model-a", "model-b", 3)


def test_affine_chooses_alpha_by_cv_by_default(sets, capsys) -> None:
    loaded = load_map(fit_map(capsys, sets, "--method", "affine"))
    assert loaded.estimator.method == "affine" and "alpha_" in loaded.estimator.fitted_attrs()
    fixed = load_map(fit_map(capsys, sets, "--method", "affine_fixed", "--alpha", "0.5", name="fixed.fbmap"))
    assert fixed.estimator.method == "affine_fixed" and fixed.estimator.alpha == 0.5


def test_fit_warns_when_cv_picks_an_edge_of_the_alpha_grid(sets, capsys) -> None:
    out = sets["dir"] / "edge.fbmap"
    code, _, err = run(capsys, "fit", "--source", sets["a"], "--target", sets["b"], "--out", out, "--method", "affine",
                       "--param", "alphas=[100, 1000]")  # fmt: skip
    assert code == 0 and load_map(out).estimator.alpha_ == 100
    assert "alpha 100 is the smallest of the grid tried" in " ".join(err.split())
    assert "alphas=[0.1, 1, 10, 100]" in "".join(err.split("\n"))  # the hint widens the grid past its edge
    code, _, err = run(capsys, "fit", "--source", sets["a"], "--target", sets["b"], "--out", out, "--force")
    assert code == 0 and "grid tried" not in err  # no CV, no warning


def test_transform_equals_the_estimator_and_carries_the_target_space(sets, capsys) -> None:
    map_path = fit_map(capsys, sets, "--method", "ridge", "--dataset", "toy")
    out = sets["dir"] / "a_as_b.parquet"
    code, stdout, _ = run(capsys, "transform", "--map", map_path, "--input", sets["a"], "--out", out,
                          "--batch-rows", 64)  # fmt: skip
    assert code == 0 and "mapped 200 model-a embeddings to model-b" in stdout
    mapped, source = read_embeddings(out), read_embeddings(sets["a"])
    loaded = load_map(map_path)
    assert mapped.fingerprint == loaded.target and list(mapped.ids) == list(source.ids)
    np.testing.assert_allclose(mapped.vectors, loaded.estimator.transform(source.vectors), rtol=1e-5, atol=1e-6)
    pf = pq.ParquetFile(out)
    assert pf.num_row_groups == 4  # 200 rows in chunks of 64: bounded memory
    header = json.loads(pf.schema_arrow.metadata[b"facebridge"])
    assert header["map"]["provenance"] == {"n_ids": 200, "n_people": 40, "dataset": "toy"}
    assert header["map"]["tensors_sha256"] == loaded.tensors_sha256 and header["map"]["file"] == "a2b.fbmap"
    assert [p.name for p in sets["dir"].iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_export_onnx_runs_like_transform(sets, capsys) -> None:
    ort = pytest.importorskip("onnxruntime")
    map_path = fit_map(capsys, sets, "--method", "procrustes")
    code, stdout, _ = run(capsys, "export-onnx", "--map", map_path, "--out", sets["dir"] / "a2b")
    assert code == 0 and "exported procrustes model-a -> model-b (16 -> 16)" in stdout
    x = read_embeddings(sets["a"]).vectors
    session = ort.InferenceSession(str(sets["dir"] / "a2b.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["y"], {"x": x})[0], load_map(map_path).estimator.transform(x),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def _one_line_error(capsys, *args: object, match: str) -> None:
    code, _, stderr = run(capsys, *args)
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith("facebridge: error:"), stderr
    assert match in stderr


def test_transform_errors_are_one_line(sets, capsys) -> None:
    map_path = fit_map(capsys, sets, "--method", "ridge")
    other = EmbeddingSet(np.array(["p/1.jpg", "p/2.jpg"], object), np.ones((2, 16)), Fingerprint("model-c"))
    write_parquet(other, sets["dir"] / "c.parquet")
    out = sets["dir"] / "out.parquet"
    _one_line_error(capsys, "transform", "--map", map_path, "--input", sets["dir"] / "c.parquet", "--out", out,
                    match="trained on model-a embeddings")  # fmt: skip
    _one_line_error(capsys, "transform", "--map", sets["dir"] / "nope.fbmap", "--input", sets["a"], "--out", out,
                    match="map file not found")  # fmt: skip
    _one_line_error(capsys, "transform", "--map", map_path, "--input", sets["dir"] / "nope.parquet", "--out", out,
                    match="embedding file not found")  # fmt: skip
    data = bytearray(map_path.read_bytes())
    data[tensor_offset(map_path, "coef") + 7] ^= 0x10  # one exponent bit of the first coefficient
    map_path.write_bytes(bytes(data))
    _one_line_error(capsys, "transform", "--map", map_path, "--input", sets["a"], "--out", out, match="sha256")
    _one_line_error(capsys, "export-onnx", "--map", map_path, "--out", sets["dir"] / "m.onnx", match="sha256")
    assert not out.exists() and not (sets["dir"] / "m.onnx").exists()


def test_fit_option_errors_are_one_line(sets, capsys) -> None:
    base = ("fit", "--source", sets["a"], "--target", sets["b"], "--out", sets["dir"] / "m.fbmap")
    _one_line_error(capsys, *base, "--method", "ridge", "--alpha", "cv", match="ridge has no cross-validated alpha")
    _one_line_error(capsys, *base, "--method", "ridge", "--alpha", "lots", match="--alpha must be a number")
    _one_line_error(capsys, *base, "--method", "ridge", "--param", "beta=1", match="invalid parameter 'beta'")
    _one_line_error(capsys, *base, "--method", "ridge", "--param", "alpha", match="expected KEY=VALUE")


@pytest.mark.parametrize("view", ["centred", "whitened"])
def test_evaluate_view_records_the_view(sets, capsys, view: str) -> None:
    pairs, _, _ = synthetic_study()
    csv = sets["dir"] / "pairs.csv"
    rows = [f"{a},{b},{int(s)},{f}" for a, b, s, f in zip(pairs.id_a, pairs.id_b, pairs.same, pairs.fold, strict=True)]
    csv.write_text("path1,path2,same,fold\n" + "\n".join(rows) + "\n")
    report = sets["dir"] / "r.json"
    code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", csv, "--target", sets["b"], "--source",
                       sets["a"], "--fit", "ridge", "--mode", "cross", "--view", view, "--json", report)  # fmt: skip
    assert code == 0, err
    result = json.loads(report.read_text())
    assert result["view"]["kind"] == view and result["mode"] == "cross"


def test_evaluate_map_applies_the_view_it_carries(sets, capsys) -> None:
    """Without --view, a map file's fitted view scores both sides (as a deployment would); --view plain opts out."""
    map_path = fit_map(capsys, sets, "--method", "ridge", "--view", "whitened")
    loaded = load_map(map_path)
    pairs, _, _ = synthetic_study()
    csv = sets["dir"] / "pairs.csv"
    rows = [f"{a},{b},{int(s)},{f}" for a, b, s, f in zip(pairs.id_a, pairs.id_b, pairs.same, pairs.fold, strict=True)]
    csv.write_text("path1,path2,same,fold\n" + "\n".join(rows) + "\n")
    base = ("evaluate", "--protocol", "pairs", "--pairs", csv, "--target", sets["b"], "--source", sets["a"],
            "--map", map_path, "--mode", "cross")  # fmt: skip
    code, _, err = run(capsys, *base, "--json", sets["dir"] / "r.json", "--scores", sets["dir"] / "s.txt")
    assert code == 0, err
    result = json.loads((sets["dir"] / "r.json").read_text())
    assert result["view"]["kind"] == "whitened" and any("view the map file carries" in n for n in result["notes"])
    a, b = read_embeddings(sets["a"]), read_embeddings(sets["b"])
    va = loaded.view.transform(loaded.estimator.transform(a.vectors_of(pairs.id_a)))
    vb = loaded.view.transform(b.vectors_of(pairs.id_b))
    expected = np.einsum("ij,ij->i", va, vb) / np.linalg.norm(va, axis=1) / np.linalg.norm(vb, axis=1)
    got = np.array([float(line.split()[-1]) for line in (sets["dir"] / "s.txt").read_text().splitlines()])
    np.testing.assert_allclose(got, expected, atol=1e-6)  # the map and view run in float32
    code, _, err = run(capsys, *base, "--view", "plain", "--json", sets["dir"] / "p.json")
    assert code == 0, err
    assert json.loads((sets["dir"] / "p.json").read_text())["view"] is None


@pytest.mark.parametrize("view", ["centred", "whitened"])
def test_fit_carries_a_view(sets, capsys, view: str) -> None:
    loaded = load_map(fit_map(capsys, sets, "--method", "ridge", "--view", view))
    assert loaded.view is not None and loaded.view.get_params()["kind"] == view
    y = read_embeddings(sets["b"]).vectors
    assert loaded.view.transform(y).shape == y.shape
