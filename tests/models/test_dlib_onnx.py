"""dlib-resnet29 on ONNX Runtime: the ``.dat`` reader refuses damaged files in one line; the converted graph gives
dlib's own embeddings on real aligned chips; the cache is rebuilt when its file no longer matches its sha256."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from facebridge.errors import DataFormatError, IntegrityError, InvalidInputError
from facebridge.models import get_spec, load_model
from facebridge.models.dlib_dat import read_dlib_net
from facebridge.models.dlib_onnx import converted_onnx
from tests.helpers import LFW_IMAGES

from .conftest import MODELS_DIR, _dlib_chips, require_models

#: The loss layer's header as dlib writes it: version 1, then the name's length and bytes.
HEADER = b"\x01\x01\x01\x0dloss_metric_2"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _dat() -> Path:
    import face_recognition_models

    return Path(face_recognition_models.face_recognition_model_location())


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "truncated dlib network (needs 1 more bytes at byte 0 of 0)"),
        (HEADER[:9], "truncated dlib network"),
        (b"\x01\x01\x01\x0bloss_multic", "loss layer 'loss_multic' (expected loss_metric_2)"),
        (b"\x01\x02", "the loss layer's version 2 (expected 1)"),
        (b"\x0f" + bytes(15), "an integer of 15 bytes at byte 1"),
        (HEADER + b"\x01\x10\x81\x04" * 2 + b"\x01\x07", "a layer version 7"),
        (HEADER + b"\x01\x10\x02\x00\x7d" + b"\x01\x10\x81\x04", "a float exponent 32000"),
    ],
)
def test_the_reader_refuses_damaged_files_in_one_line(tmp_path: Path, data: bytes, words: str) -> None:
    path = tmp_path / "net.dat"
    path.write_bytes(data)
    with pytest.raises(DataFormatError) as exc:
        read_dlib_net(path)
    assert words in _one_line(exc) and str(path) in str(exc.value)


@pytest.mark.models
def test_the_reader_refuses_a_truncated_or_altered_real_file(tmp_path: Path) -> None:
    require_models()
    data = _dat().read_bytes()
    net = read_dlib_net(_dat())
    kinds = [layer.kind for layer in net.layers]
    assert (len(kinds), kinds.count("con"), kinds.count("mark"), net.input_size) == (130, 29, 22, (150, 150))
    assert next(layer.weight.shape for layer in net.layers if layer.kind == "con") == (32, 3, 7, 7)
    cases = {
        "truncated.dat": (data[: len(data) // 2], "truncated dlib network"),
        "extra.dat": (data + b"\x00", "1 bytes after the network's end"),
        "renamed.dat": (data.replace(b"con_4", b"con_9", 1), "layer 'con_9'"),
        "reordered.dat": (
            data.replace(b"max_pool_2", b"avg_pool_2", 1),
            "relu, avg_pool, expected con, affine, relu, max_pool",
        ),
    }
    for name, (content, words) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataFormatError) as exc:
            converted_onnx(tmp_path / name, name, tmp_path / "cache")
        assert words in _one_line(exc), name


@pytest.mark.models
def test_an_altered_weight_byte_is_refused_by_its_sha256(tmp_path: Path) -> None:
    """The reader cannot tell a changed weight; the loader's sha256 check does, before any conversion."""
    require_models()
    from facebridge.models.spec import WeightFile

    data = bytearray(_dat().read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "net.dat").write_bytes(bytes(data))
    spec = get_spec("dlib-resnet29")
    weight = WeightFile("net.dat", spec.files[0].sha256)
    with pytest.raises(IntegrityError, match="expected 55533b28"):
        load_model(dataclasses.replace(spec, files=(weight,)), tmp_path, num_threads=1)


def _chips(n_extra: int = 18) -> np.ndarray:
    """The conftest's 18 faces plus the first images of the next people in LFW: a few dozen real 150x150 chips."""
    import cv2

    from .conftest import PEOPLE

    files = [LFW_IMAGES / p / f"{p}_{i:04d}.jpg" for p, numbers in PEOPLE.items() for i in numbers]
    others = sorted(d for d in LFW_IMAGES.iterdir() if d.name > max(PEOPLE))[:n_extra]
    files += [sorted(d.glob("*.jpg"))[0] for d in others]
    images = [cv2.cvtColor(cv2.imread(str(f), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for f in files]
    return np.stack(_dlib_chips(images))


@pytest.mark.models
def test_onnx_runtime_gives_dlibs_embeddings_on_real_chips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_models()
    pytest.importorskip("dlib")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    chips = _chips()
    assert len(chips) == 36
    assert get_spec("dlib-resnet29").options["engine"] == "onnxruntime"
    ours = load_model("dlib-resnet29", MODELS_DIR, num_threads=1).embed(chips)
    dlibs = load_model("dlib-resnet29", MODELS_DIR, num_threads=1, engine="dlib").embed(chips)
    cosine = np.einsum("ij,ij->i", _unit(ours), _unit(dlibs))
    assert cosine.min() >= 0.9999, cosine.min()  # measured: >= 0.9999998
    np.testing.assert_allclose(ours, dlibs, atol=1e-5)  # the raw vectors too (dlib compares Euclidean distances)
    assert len(list((tmp_path / "facebridge" / "onnx").glob("dlib-*.onnx"))) == 1  # converted into the user cache


@pytest.mark.models
def test_a_cached_graph_that_no_longer_matches_its_sha256_is_converted_again(tmp_path: Path) -> None:
    require_models()
    sha = get_spec("dlib-resnet29").files[0].sha256
    first = converted_onnx(_dat(), sha, tmp_path)
    good = first.read_bytes()
    assert first.name == f"dlib-{sha}-v1.onnx"
    first.write_bytes(good[:-10])
    again = converted_onnx(_dat(), sha, tmp_path)
    assert again == first and again.read_bytes() == good  # the conversion is deterministic, byte for byte


@pytest.mark.models
def test_engine_options_are_checked() -> None:
    require_models()
    with pytest.raises(InvalidInputError, match="engine must be one of onnxruntime, dlib, got 'tf'"):
        load_model("dlib-resnet29", MODELS_DIR, engine="tf")
    with pytest.raises(InvalidInputError, match="num_jitters=2 needs engine = 'dlib'"):
        load_model("dlib-resnet29", MODELS_DIR, num_jitters=2)
    with pytest.raises(InvalidInputError, match="graph_optimization applies to engine 'onnxruntime' only"):
        load_model("dlib-resnet29", MODELS_DIR, engine="dlib", graph_optimization="all")


def test_a_small_written_network_reads_back_and_its_graph_is_dlibs_forward_pass(tmp_path: Path) -> None:
    """Without weights: a small network in dlib's format (a stem, a residual block, a downsampling block whose sum
    pads both sides, as dlib's last levels do) reads back exactly, and its ONNX graph gives the numpy forward pass."""
    import onnxruntime as ort

    from facebridge.models.dlib_onnx import INPUT, build_onnx

    from .dlib_net_writer import MEAN, forward, random_params, write_net

    params = random_params(np.random.default_rng(0))
    write_net(tmp_path / "small.dat", params)
    net = read_dlib_net(tmp_path / "small.dat")
    assert (net.mean_rgb, net.input_size) == (MEAN, (24, 24))
    cons = [layer for layer in net.layers if layer.kind == "con"]
    np.testing.assert_array_equal(cons[3].weight, params["c3"])
    assert (cons[3].stride, cons[3].padding, cons[1].padding) == ((2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(net.layers[-1].weight, params["fc"])
    session = ort.InferenceSession(build_onnx(net).SerializeToString(), providers=["CPUExecutionProvider"])
    chips = np.random.default_rng(1).integers(0, 256, (3, 24, 24, 3), dtype=np.uint8)
    np.testing.assert_allclose(session.run(None, {INPUT: chips})[0], forward(params, chips), rtol=1e-4, atol=1e-5)
    (tmp_path / "cut.dat").write_bytes((tmp_path / "small.dat").read_bytes()[:-3])
    with pytest.raises(DataFormatError, match="truncated dlib network"):
        read_dlib_net(tmp_path / "cut.dat")


def test_an_unwritable_cache_is_one_line_naming_the_way_out(tmp_path: Path) -> None:
    from facebridge.errors import ModelRuntimeError

    (tmp_path / "file").write_text("")
    with pytest.raises(ModelRuntimeError, match=r"cannot write the converted dlib network under .* set \$XDG_CACHE"):
        converted_onnx(tmp_path / "net.dat", "0" * 64, tmp_path / "file" / "onnx")
