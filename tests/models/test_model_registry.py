"""Registry lookups, user spec files, and load_model's checks that need no weights or runtime."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from facebridge.errors import InvalidInputError, MissingDependencyError, NotFoundError
from facebridge.models import get_spec, list_specs, load_model, register_spec_file
from facebridge.models import registry as registry_module
from facebridge.models.runtimes import adapter_class

USER_TOML = """
name = "my-arcface"
runtime = "onnxruntime"
files = [{ path = "my/arcface.onnx", sha256 = "%s" }]
input_size = [112, 112]
alignment = "arc112"
colour_order = "BGR"
mean = [127.5, 127.5, 127.5]
std = [127.5, 127.5, 127.5]
layout = "NCHW"
dim = 512
preprocessing_version = "1"
"""


@pytest.fixture(autouse=True)
def _isolated_user_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_USER_SPECS", {})


def test_builtin_specs() -> None:
    specs = {s.name: s for s in list_specs()}
    assert len(specs) == 8
    hse = specs["hse-faceres"]
    assert (hse.dim, hse.layout, hse.colour_order, hse.output_name) == (1024, "NHWC", "BGR", "global_pooling/Mean")
    assert hse.alignment_params["margin"] == 0.1
    assert specs["faceplugin-512"].fixed_batch == 1
    assert specs["dlib-resnet29"].files[0].package == "face_recognition_models"
    assert specs["dlib-resnet29"].options["num_jitters"] == 0
    assert get_spec("edgeface-xs") is specs["edgeface-xs"]


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(NotFoundError, match=r"unknown model 'edgeface-x'; did you mean edgeface-xs, edgeface-xxs\?"):
        get_spec("edgeface-x")
    with pytest.raises(NotFoundError, match="known: dlib-resnet29, edgeface-xs"):
        get_spec("zzz")


def test_user_spec_by_path_and_registration(tmp_path: Path) -> None:
    path = tmp_path / "my-arcface.toml"
    path.write_text(USER_TOML % ("cd" * 32))
    assert get_spec(path).name == "my-arcface"
    assert get_spec(str(path)).colour_order == "BGR"
    with pytest.raises(NotFoundError):
        get_spec("my-arcface")
    register_spec_file(path)
    register_spec_file(path)  # idempotent
    assert get_spec("my-arcface").dim == 512
    assert "my-arcface" in [s.name for s in list_specs()]
    other = tmp_path / "other.toml"
    other.write_text(USER_TOML % ("ef" * 32))
    with pytest.raises(InvalidInputError, match="a different model named 'my-arcface' is already registered"):
        register_spec_file(other)


def test_load_model_rejects_bad_options() -> None:
    with pytest.raises(InvalidInputError, match="runtime 'onnxruntime' has no option 'num_jitters'"):
        load_model("edgeface-xs", num_jitters=1)
    with pytest.raises(InvalidInputError, match="num_threads must be an int >= 1, got 0"):
        load_model("edgeface-xs", num_threads=0)
    with pytest.raises(NotFoundError, match="did you mean"):
        load_model("edgefase-xs")


def test_missing_runtime_gives_pip_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openvino", None)  # makes `import openvino` fail
    monkeypatch.delitem(sys.modules, "facebridge.models.openvino_model", raising=False)
    with pytest.raises(MissingDependencyError, match=r"runtime 'openvino' is not installed: pip install openvino"):
        adapter_class("openvino")


def test_import_loads_no_runtime() -> None:
    code = (
        "import sys, facebridge.models as m; m.list_specs(); "
        "print(sorted({'onnxruntime', 'openvino', 'ncnn', 'cv2', 'dlib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
