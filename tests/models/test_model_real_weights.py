"""The eight shipped models on real weights and real LFW faces: load, shape, determinism, batching, identity signal."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import Fingerprint
from facebridge.models import get_spec, list_specs, load_model
from facebridge.models.loader import DEFAULT_BATCH

from .conftest import MODELS_DIR, require_models

NAMES = [
    "dlib-resnet29",
    "openvino-reid-0095",
    "mobilefacenet-ncnn",
    "mobilefacenet-caffe",
    "edgeface-xs",
    "edgeface-xxs",
    "faceplugin-512",
    "hse-faceres",
]


def _cosine(x: np.ndarray) -> np.ndarray:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return x @ x.T


def test_registry_lists_the_eight_models() -> None:
    assert sorted(s.name for s in list_specs()) == sorted(NAMES)


@pytest.mark.models
def test_spec_hashes_match_shared_sha256sums() -> None:
    require_models()
    sums = {}
    for line in (MODELS_DIR / "SHA256SUMS").read_text().splitlines():
        digest, path = line.split()
        sums[path.removeprefix("./")] = digest
    for name in NAMES:
        for weight in get_spec(name).files:
            if not weight.package:
                assert sums[weight.path] == weight.sha256, weight.path


@pytest.mark.models
@pytest.mark.parametrize("name", NAMES)
def test_real_model(name: str, lfw_crops: tuple[np.ndarray, dict[str, np.ndarray]]) -> None:
    labels, crops_by_alignment = lfw_crops
    spec = get_spec(name)
    crops = crops_by_alignment[spec.alignment]
    model = load_model(name, MODELS_DIR, num_threads=1, batch_size=8)
    assert model.fingerprint == Fingerprint(name, spec.weights_sha256, spec.alignment, spec.preprocessing_version)

    emb = model.embed(crops)
    assert emb.shape == (len(crops), spec.dim)
    assert emb.dtype == np.float32
    assert np.isfinite(emb).all()
    np.testing.assert_array_equal(model.embed(crops), emb)  # deterministic
    single = np.concatenate([model.embed(crops[i : i + 1]) for i in (0, 9, 17)])  # batching changes nothing
    np.testing.assert_allclose(single, emb[[0, 9, 17]], rtol=1e-4, atol=1e-4 * np.abs(emb).max())
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    assert (np.einsum("ij,ij->i", unit(single), unit(emb[[0, 9, 17]])) >= 0.9999).all()

    sim = _cosine(emb)
    upper = np.triu(np.ones_like(sim, dtype=bool), k=1)
    same = sim[upper & (labels[:, None] == labels[None, :])]
    diff = sim[upper & (labels[:, None] != labels[None, :])]
    assert len(same) == 18 and len(diff) == 135
    # Identity signal: same-person pairs outscore different-person pairs on average and (AUC) nearly always;
    # measured: AUC 1.0 for all eight; mean gap 0.13 for dlib (all its cosines are high) to 0.79 for mobilefacenet-ncnn.
    assert same.mean() > diff.mean() + 0.1, (same.mean(), diff.mean())
    assert (same[:, None] > diff[None, :]).mean() > 0.98


@pytest.mark.models
def test_openvino_runs_in_float32_on_every_cpu() -> None:
    """The CPU plugin defaults to bf16 where the CPU has it (AVX512_BF16, AMX): embeddings would depend on the
    machine. The adapter pins f32."""
    import openvino as ov

    require_models()
    model = load_model("openvino-reid-0095", MODELS_DIR, num_threads=1)
    compiled = model._request.get_compiled_model()
    assert compiled.get_property("INFERENCE_PRECISION_HINT") == ov.Type.f32


def test_a_spec_batch_size_is_the_default_and_an_explicit_one_wins() -> None:
    require_models()
    assert get_spec("hse-faceres").batch_size == 1  # measured fastest by bench/bench_batch.py
    assert load_model("hse-faceres", MODELS_DIR, num_threads=1).batch_size == 1
    assert load_model("hse-faceres", MODELS_DIR, num_threads=1, batch_size=8).batch_size == 8
    assert load_model("edgeface-xs", MODELS_DIR, num_threads=1).batch_size == DEFAULT_BATCH


@pytest.mark.models
def test_graph_optimization_levels_give_the_same_embeddings(lfw_crops: tuple[np.ndarray, dict]) -> None:
    """faceplugin-512 runs at ONNX Runtime's "extended" level on AVX-512 CPUs (measured 3x faster than "all" there)
    and "all" elsewhere; every level gives the same embeddings to cosine >= 0.9999, and an unknown level is a
    one-line error."""
    from facebridge.errors import InvalidInputError

    crops = lfw_crops[1][get_spec("faceplugin-512").alignment][:6]
    assert get_spec("faceplugin-512").options == {"graph_optimization": {"avx512": "extended", "default": "all"}}
    own = load_model("faceplugin-512", MODELS_DIR, num_threads=1).embed(crops)
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    for level in ("basic", "extended", "all"):
        other = load_model("faceplugin-512", MODELS_DIR, num_threads=1, graph_optimization=level).embed(crops)
        assert (np.einsum("ij,ij->i", unit(own), unit(other)) >= 0.9999).all(), level
    with pytest.raises(InvalidInputError, match="graph_optimization must be one of basic, extended, all, got 'fast'"):
        load_model("edgeface-xs", MODELS_DIR, num_threads=1, graph_optimization="fast")


@pytest.mark.models
def test_hse_faceres_on_openvino_gives_its_onnxruntime_embeddings(lfw_crops: tuple[np.ndarray, dict]) -> None:
    """hse-faceres runs its .onnx on OpenVINO (measured faster by bench/bench_batch.py); the embeddings are those of
    ONNX Runtime, the runtime its store was first made with, to cosine >= 0.9999 (measured: >= 0.9999996)."""
    import dataclasses

    spec = get_spec("hse-faceres")
    crops = lfw_crops[1][spec.alignment]
    assert spec.runtime == "openvino"
    own = load_model(spec, MODELS_DIR, num_threads=1).embed(crops)
    ort = load_model(dataclasses.replace(spec, runtime="onnxruntime"), MODELS_DIR, num_threads=1).embed(crops)
    unit = lambda v: v / np.linalg.norm(v, axis=1, keepdims=True)  # noqa: E731
    assert np.einsum("ij,ij->i", unit(own), unit(ort)).min() >= 0.9999
