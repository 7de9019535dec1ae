"""Preprocessing follows the spec exactly: hand-computed pixels, and the shipped specs against the models README."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.models import get_spec, parse_spec, preprocess


def spec_with(**changes: object):
    data = {
        "name": "toy",
        "runtime": "onnxruntime",
        "files": [{"path": "t.onnx", "sha256": "0" * 64}],
        "input_size": [112, 112],
        "alignment": "arc112",
        "colour_order": "RGB",
        "layout": "NCHW",
        "dim": 8,
        "preprocessing_version": "1",
    }
    return parse_spec({**data, **changes})


def crops_with_pixel(rgb: tuple[int, int, int], size: int = 112, n: int = 1) -> np.ndarray:
    crops = np.zeros((n, size, size, 3), dtype=np.uint8)
    crops[:, 0, 1] = rgb  # row 0, column 1
    return crops


def test_rgb_nchw_scaled() -> None:
    spec = spec_with(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
    x = preprocess(crops_with_pixel((0, 255, 51)), spec)
    assert x.shape == (1, 3, 112, 112) and x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_allclose(x[0, :, 0, 1], [-1.0, 1.0, -0.6], rtol=0, atol=1e-7)  # (51 - 127.5) / 127.5
    np.testing.assert_allclose(x[0, :, 0, 0], [-1.0, -1.0, -1.0])


def test_bgr_nhwc_mean_subtracted() -> None:
    spec = spec_with(
        input_size=[224, 224], alignment="box224", colour_order="BGR", layout="NHWC", mean=[103.939, 116.779, 123.68]
    )
    x = preprocess(crops_with_pixel((10, 20, 30), size=224), spec)
    assert x.shape == (1, 224, 224, 3)
    np.testing.assert_allclose(x[0, 0, 1], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)


def test_bgr_nchw_unscaled_and_uint8_pixels() -> None:
    x = preprocess(crops_with_pixel((10, 20, 30)), spec_with(colour_order="BGR"))
    np.testing.assert_array_equal(x[0, :, 0, 1], [30.0, 20.0, 10.0])
    raw = preprocess(crops_with_pixel((10, 20, 30)), spec_with(dtype="uint8", layout="NHWC", colour_order="BGR"))
    assert raw.dtype == np.uint8 and raw.flags.c_contiguous
    np.testing.assert_array_equal(raw[0, 0, 1], [30, 20, 10])


def test_empty_batch_keeps_shape() -> None:
    assert preprocess(np.zeros((0, 112, 112, 3), np.uint8), spec_with()).shape == (0, 3, 112, 112)


@pytest.mark.parametrize(
    ("crops", "message"),
    [
        (np.zeros((2, 128, 128, 3), np.uint8), r"takes \(n, 112, 112, 3\) arc112 crops, got an array of shape"),
        (np.zeros((112, 112, 3), np.uint8), r"got an array of shape \(112, 112, 3\)"),
        (np.zeros((1, 112, 112, 4), np.uint8), r"shape \(1, 112, 112, 4\)"),
        (np.zeros((1, 112, 112, 3), np.float32), "takes uint8 RGB crops, got dtype float32"),
    ],
)
def test_bad_crops(crops: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        preprocess(crops, spec_with())


def _readme_input(name: str, crops: np.ndarray) -> np.ndarray:
    """The input tensor as the models README words it, written without the spec machinery; faceplugin-512 departs
    from the README (RGB there) in colour order only: BGR, measured better on LFW (see its spec and
    ``test_model_colour_order.py``)."""
    x = crops.astype(np.float64)
    nchw = (0, 3, 1, 2)
    return {
        "edgeface-xs": lambda: ((x / 255 - 0.5) / 0.5).transpose(nchw),
        "edgeface-xxs": lambda: ((x / 255 - 0.5) / 0.5).transpose(nchw),
        "faceplugin-512": lambda: ((x[..., ::-1] - 127) / 128).transpose(nchw),
        "mobilefacenet-caffe": lambda: ((x - 127.5) / 128).transpose(nchw),
        "openvino-reid-0095": lambda: x[..., ::-1].transpose(nchw),
        "hse-faceres": lambda: x[..., ::-1] - [103.939, 116.779, 123.68],
        "mobilefacenet-ncnn": lambda: crops,
        "dlib-resnet29": lambda: crops,
    }[name]()


@pytest.mark.parametrize(
    "name",
    [
        "edgeface-xs",
        "edgeface-xxs",
        "faceplugin-512",
        "mobilefacenet-caffe",
        "openvino-reid-0095",
        "hse-faceres",
        "mobilefacenet-ncnn",
        "dlib-resnet29",
    ],
)
def test_shipped_specs_match_the_models_readme(name: str) -> None:
    spec = get_spec(name)
    w, h = spec.input_size
    crops = np.random.default_rng(0).integers(0, 256, size=(2, h, w, 3), dtype=np.uint8)
    expected = _readme_input(name, crops)
    got = preprocess(crops, spec)
    assert got.dtype == (np.uint8 if spec.dtype == "uint8" else np.float32)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-5)
