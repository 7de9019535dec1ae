"""Bringing an own ONNX model: probing the graph, the written spec, its check, and one-line failures."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.cli.main import main
from facebridge.errors import DataFormatError, InvalidInputError, ModelRuntimeError
from facebridge.models import get_spec, load_model, load_spec
from facebridge.models.add import add_onnx_model
from facebridge.models.check import check_model
from facebridge.models.onnx_probe import probe_onnx
from facebridge.models.weights import file_sha256
from tests.onnx_models import tiny_onnx

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def test_probe_reads_names_layout_size_and_dim(tmp_path: Path) -> None:
    nchw = probe_onnx(tiny_onnx(tmp_path / "a.onnx", dim=64))
    assert (nchw.input_name, nchw.output_name, nchw.layout, nchw.input_size, nchw.dim) == (
        "image", "embedding", "NCHW", (112, 112), 64)  # fmt: skip
    assert nchw.fixed_batch is None
    assert probe_onnx(tiny_onnx(tmp_path / "b.onnx", nhwc=True)).layout == "NHWC"
    (tmp_path / "junk.onnx").write_bytes(b"\xb6not a model")
    with pytest.raises(DataFormatError, match="not a readable ONNX model"):
        probe_onnx(tmp_path / "junk.onnx")


def test_add_writes_a_spec_known_by_name_that_embeds(tmp_path: Path) -> None:
    onnx_file = tiny_onnx(tmp_path / "weights" / "my_edge.onnx", dim=64)
    spec, path = add_onnx_model("my-edge", onnx_file, alignment="arc112", colour="rgb", mean=[127.5], std=[128])
    assert path.parent == Path(__import__("os").environ["FACEBRIDGE_USER_MODELS"]) and path.name == "my-edge.toml"
    assert load_spec(path) == spec == get_spec("my-edge")  # the user folder is part of the registry
    assert (spec.layout, spec.dim, spec.mean, spec.std) == ("NCHW", 64, (127.5,) * 3, (128.0,) * 3)
    assert spec.files[0].sha256 == file_sha256(onnx_file) and spec.preprocessing_version == "1"
    crops = np.random.default_rng(1).integers(0, 256, (5, 112, 112, 3), dtype=np.uint8)
    out = load_model("my-edge", tmp_path, num_threads=1).embed(crops)
    assert out.shape == (5, 64) and np.isfinite(out).all()
    assert pickle.loads(pickle.dumps(spec)) == spec  # specs travel to worker processes
    with pytest.raises(InvalidInputError, match="exists; pass --force"):
        add_onnx_model("my-edge", onnx_file, alignment="arc112", colour="rgb", mean=[127.5], std=[128])


def test_add_refuses_what_does_not_fit_the_graph(tmp_path: Path) -> None:
    onnx_file = tiny_onnx(tmp_path / "m.onnx", dim=64)
    common = {"colour": "rgb", "mean": [127.5], "std": [127.5]}
    with pytest.raises(InvalidInputError, match="takes 112x112 inputs but alignment 'box224'"):
        add_onnx_model("m", onnx_file, alignment="box224", **common)
    with pytest.raises(InvalidInputError, match="--dim 128 but the graph's output 'embedding' has 64"):
        add_onnx_model("m", onnx_file, alignment="arc112", dim=128, **common)
    with pytest.raises(InvalidInputError, match="built-in model"):
        add_onnx_model("edgeface-xs", onnx_file, alignment="arc112", **common)


def test_wrong_layout_is_one_line_naming_the_model_and_cause(tmp_path: Path) -> None:
    onnx_file = tiny_onnx(tmp_path / "m.onnx", dim=64)
    _, path = add_onnx_model("lay", onnx_file, alignment="arc112", colour="rgb", mean=[127.5], std=[127.5])
    path.write_text(path.read_text().replace('layout = "NCHW"', 'layout = "NHWC"'))
    with pytest.raises(ModelRuntimeError) as info:
        check_model(load_model(path, tmp_path, num_threads=1))
    message = str(info.value)
    assert "\n" not in message and "model 'lay'" in message and "layout or input_size" in message


def test_cli_models_add_and_spec_errors_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    onnx_file = tiny_onnx(tmp_path / "m.onnx", dim=32)
    code = main(["models", "add", "mine", "--onnx", str(onnx_file), "--alignment", "arc112", "--colour", "bgr",
                 "--mean", "127.5,127.5,127.5", "--std", "127.5", "--data", str(tmp_path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "added mine: NCHW 112x112 BGR -> 32-d" in captured.out
    # a data folder without LFW View 1 and no --photos: added, and said loudly that no real face checked it
    assert "mine was NOT checked on real faces" in " ".join(captured.err.split())
    assert main(["models"]) == 0 and "mine" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nruntime = "onnxruntime"\ndim = "big"\nlayuot = "NCHW"\n')
    code = main(["embed", "--model", str(bad), "--images", str(tmp_path), "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    for problem in ("unknown field 'layuot' (did you mean 'layout'?)", "field 'dim': expected int", "'files': missing"):
        assert problem in err
    code = main(["embed", "--model", str(onnx_file), "--images", str(tmp_path), "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "is a weights file, not a model" in err and "models add" in err


def test_spec_reference_documents_every_field_and_its_example_parses() -> None:
    from dataclasses import fields

    from facebridge.models import ModelSpec, loads_spec

    doc = (Path(__file__).resolve().parents[2] / "docs" / "model_spec.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Fields") : doc.index("## Example")]
    assert [f.name for f in fields(ModelSpec) if f"`{f.name}`" not in table] == []
    example = doc[doc.index("```toml") + len("```toml") : doc.rindex("```")]
    assert loads_spec(example).name == "my-edge"


def test_embed_with_a_spec_of_the_wrong_layout_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    from tests.helpers import SHARED, require_shared

    require_shared(SHARED / "models" / "yunet")
    onnx_file = tiny_onnx(tmp_path / "m.onnx", dim=64)
    _, path = add_onnx_model("lay2", onnx_file, alignment="arc112", colour="rgb", mean=[127.5], std=[127.5],
                             folder=tmp_path / "specs")  # fmt: skip  (not the user folder: this spec is only a file)
    bad = tmp_path / "lay2-nhwc.toml"
    bad.write_text(path.read_text().replace('layout = "NCHW"', 'layout = "NHWC"'))
    (tmp_path / "photos").mkdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "photos" / "a.jpg")
    code = main(["embed", "--model", str(bad), "--images", str(tmp_path / "photos"), "--out", str(tmp_path / "s"),
                 "--models-dir", str(SHARED / "models"), "--workers", "2"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2 and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "model 'lay2' failed on a NHWC float32 input" in captured.err and "likely cause" in captured.err
    assert "detect" not in captured.out  # stopped before any progress bar
