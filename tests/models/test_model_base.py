"""EmbeddingModel's batching, fixed-batch padding and output checks, on a runtime-free adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facebridge.embeddings import Fingerprint
from facebridge.errors import MismatchError
from facebridge.models import EmbeddingModel, parse_spec, preprocess
from facebridge.models.base import pick_name


class EchoModel(EmbeddingModel):
    """Returns the first 8 values of row 0 of channel 0 of each input; records the batch sizes it was given."""

    def _load(self, paths: list[Path]) -> None:
        self.batches: list[int] = []

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if self.spec.fixed_batch is not None:
            assert len(batch) == self.spec.fixed_batch
        self.batches.append(len(batch))
        return batch[:, 0, 0, :8].astype(np.float64)


def echo(dim: int = 8, fixed_batch: int | None = None, batch_size: int = 3) -> EchoModel:
    data = {
        "name": "echo",
        "runtime": "onnxruntime",
        "files": [{"path": "e.onnx", "sha256": "0" * 64}],
        "input_size": [112, 112],
        "alignment": "arc112",
        "colour_order": "RGB",
        "mean": [10.0, 20.0, 30.0],
        "layout": "NCHW",
        "dim": dim,
        "preprocessing_version": "1",
    }
    if fixed_batch is not None:
        data["fixed_batch"] = fixed_batch
    spec = parse_spec(data)
    return EchoModel(spec, [], Fingerprint("echo"), num_threads=1, batch_size=batch_size)


CROPS = np.random.default_rng(0).integers(0, 256, size=(7, 112, 112, 3), dtype=np.uint8)


def test_batches_and_rows_in_order() -> None:
    model = echo()
    out = model.embed(CROPS)
    assert out.dtype == np.float32 and out.shape == (7, 8)
    np.testing.assert_array_equal(out, preprocess(CROPS, model.spec)[:, 0, 0, :8])
    assert model.batches == [3, 3, 1]


def test_fixed_batch_pads_the_last_batch() -> None:
    model = echo(fixed_batch=4, batch_size=32)
    out = model.embed(CROPS[:5])
    np.testing.assert_array_equal(out, CROPS[:5, 0, :8, 0].astype(np.float32) - 10.0)
    assert model.batches == [4, 4]


def test_empty_and_dim_mismatch() -> None:
    assert echo().embed(CROPS[:0]).shape == (0, 8)
    with pytest.raises(MismatchError, match=r"returned shape \(7, 8\), the spec declares dim 9"):
        echo(dim=9).embed(CROPS)


def test_pick_name() -> None:
    assert pick_name(["out"], "", "output", "m") == "out"
    assert pick_name(["a", "b"], "b", "output", "m") == "b"
    with pytest.raises(MismatchError, match=r"m: output 'x' is not in the network \(it has: a, b\)"):
        pick_name(["a", "b"], "x", "output", "m")
    with pytest.raises(MismatchError, match="several outputs"):
        pick_name(["a", "b"], "", "output", "m")
