"""Spec parsing: valid specs round-trip, every bad field is named in a one-line DataFormatError."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facebridge.errors import DataFormatError, MissingFileError
from facebridge.models import ModelSpec, WeightFile, get_spec, list_specs, load_spec, parse_spec
from facebridge.models.spec import _CHECKERS

SHA = "ab" * 32
BASE = {
    "name": "toy",
    "runtime": "onnxruntime",
    "files": [{"path": "toy/toy.onnx", "sha256": SHA}],
    "input_size": [112, 112],
    "alignment": "arc112",
    "colour_order": "RGB",
    "mean": [127.5, 127.5, 127.5],
    "std": [128, 128, 128],
    "layout": "NCHW",
    "dim": 512,
    "preprocessing_version": "1",
}


def with_(**changes: object) -> dict:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def test_valid_spec_fields_and_defaults() -> None:
    spec = parse_spec(with_(alignment_params={"margin": 0.1}, published_lfw=99))
    assert spec.files == (WeightFile("toy/toy.onnx", SHA),)
    assert spec.input_size == (112, 112) and spec.std == (128.0, 128.0, 128.0)
    assert spec.published_lfw == 99.0 and spec.reference_lfw is None
    assert spec.dtype == "float32" and spec.fixed_batch is None and spec.metric == "cosine"
    assert dict(spec.alignment_params) == {"margin": 0.1}
    assert spec.weights_sha256 == SHA
    with pytest.raises(TypeError):
        spec.alignment_params["margin"] = 0.2  # read-only view


def test_combined_sha_of_several_files() -> None:
    files = [{"path": "a", "sha256": "0" * 64}, {"path": "b", "sha256": "1" * 64}]
    # the sha256 of the two digests concatenated, from coreutils: printf '0...01...1' | sha256sum
    expected = "2c5a757af655400d3c30ba6f2aec54334006e4b784e2bcc79b99452abfc66ec9"
    assert parse_spec(with_(files=files)).weights_sha256 == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dim": "512"}, "field 'dim': expected int, got str"),
        ({"dim": 0}, "field 'dim': must be >= 1, got 0"),
        ({"dim": True}, "field 'dim': expected int, got bool"),
        ({"layout": "NHCW"}, "field 'layout': expected one of NCHW, NHWC, got 'NHCW'"),
        ({"runtime": "tensorflow"}, "field 'runtime': expected one of onnxruntime, openvino"),
        ({"mean": [1, 2]}, "field 'mean': expected a list of 3"),
        ({"std": [1, "a", 1]}, "field 'std': in [1, 'a', 1]: expected float, got str"),
        ({"std": [0, 1, 1]}, "field 'std': must not contain 0"),
        ({"files": []}, "field 'files': expected a non-empty list"),
        ({"files": [{"path": "a"}]}, "field 'files': entry 0: missing key 'sha256'"),
        ({"files": [{"path": "a", "sha256": "xyz"}]}, "field 'files': entry 0: sha256 must be 64 hex digits"),
        ({"files": [{"path": "a", "sha256": SHA, "url": "x"}]}, "field 'files': entry 0: unknown key 'url'"),
        ({"input_size": [96, 96]}, "field 'input_size': [96, 96] does not match alignment 'arc112' (112x112)"),
        ({"alignment": "arc96"}, "field 'alignment': expected one of arc112"),
        ({"alignment_params": {"margin": "wide"}}, "field 'alignment_params': key 'margin': expected float, got str"),
        ({"published_lfw": 101}, "field 'published_lfw': must be a percentage in [0, 100], got 101.0"),
        ({"fixed_batch": 1.5}, "field 'fixed_batch': expected int, got float"),
        ({"options": {"num_jitters": 1}}, "field 'options': runtime 'onnxruntime' has no option 'num_jitters'"),
        ({"dtype": "uint8"}, "field 'dtype': uint8 feeds raw pixels: mean must be [0, 0, 0]"),
        ({"dtype": "uint8", "mean": [0, 0, 0], "std": [1, 1, 1]}, "field 'dtype': uint8 feeds raw pixels: layout"),
        ({"dimm": 3}, "unknown field 'dimm' (did you mean 'dim'?)"),
        ({"reference_lfw_by_detector": {"mtcnn": 99.0}, "reference_lfw": 99.0}, "unknown detectors ['mtcnn']"),
        (
            {"reference_lfw_by_detector": {"yunet": 98.93, "dlib-hog": 99.13}, "reference_lfw": 98.93},
            "field 'reference_lfw': must be the best of reference_lfw_by_detector",
        ),
    ],
)
def test_bad_field_is_named(changes: dict, message: str) -> None:
    with pytest.raises(DataFormatError) as info:
        parse_spec(with_(**changes), "models/specs/x.toml")
    assert str(info.value).startswith("models/specs/x.toml: ")
    assert message in str(info.value)


def test_reference_per_detector() -> None:
    spec = parse_spec(with_(reference_lfw_by_detector={"yunet": 98.93, "dlib-hog": 99.13}, reference_lfw=99.13))
    assert dict(spec.reference_lfw_by_detector) == {"yunet": 98.93, "dlib-hog": 99.13}
    assert dict(parse_spec(with_()).reference_lfw_by_detector) == {}


def test_missing_required_field() -> None:
    data = with_()
    del data["dim"]
    with pytest.raises(DataFormatError, match=r"^<spec>: field 'dim': missing$"):
        parse_spec(data)


_ANY_TOML_VALUE = st.recursive(
    st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@given(key=st.sampled_from(sorted(_CHECKERS)), value=_ANY_TOML_VALUE)
def test_any_value_parses_or_names_its_field(key: str, value: object) -> None:
    try:
        spec = parse_spec(with_(**{key: value}))
    except DataFormatError as exc:
        named = {key, "input_size"} if key == "alignment" else {key}
        assert any(str(exc).startswith(f"<spec>: field '{k}': ") for k in named), str(exc)
        assert "\n" not in str(exc)
    else:
        assert isinstance(spec, ModelSpec)


def test_load_spec_file_errors(tmp_path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('name = "toy"\ndim = "512"\n')
    with pytest.raises(DataFormatError, match=r"x\.toml: field 'dim': expected int, got str"):
        load_spec(path)
    path.write_text("name = ")
    with pytest.raises(DataFormatError, match=r"x\.toml: not valid TOML"):
        load_spec(path)
    with pytest.raises(MissingFileError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")


@pytest.mark.parametrize("name", [spec.name for spec in list_specs()])
def test_builtin_specs_pickle_for_worker_processes(name: str) -> None:
    # Specs travel to extraction workers; every read-only mapping field (alignment_params,
    # reference_lfw_by_detector, options) must survive the trip.
    spec = get_spec(name)
    again = pickle.loads(pickle.dumps(spec))
    assert again == spec
    assert dict(again.reference_lfw_by_detector) == dict(spec.reference_lfw_by_detector)
