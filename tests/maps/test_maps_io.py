"""Map files: round trips for every method, and a clear error for each way a file can be wrong."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors.numpy

import facebridge
from facebridge.embeddings import Fingerprint
from facebridge.errors import DataFormatError, MismatchError, MissingFileError, NotFittedError
from facebridge.maps import STATS_METHODS, MapFile, load_map, make_map, save_map
from tests.maps.map_files import SRC, TGT, as_v2, fitted, rewrite, write_v1


@pytest.fixture
def map_path(tmp_path):
    est, _ = fitted()
    return save_map(est, tmp_path / "edge_to_dlib.fbmap", source=SRC, target=TGT)


@pytest.mark.parametrize("version", [1, 2, 3])
@pytest.mark.parametrize("method", STATS_METHODS)  # the linear families version 1 could hold
def test_round_trip_linear(tmp_path, method: str, version: int) -> None:
    est, X = fitted(method, normalize=False, **({"rank": 3} if method in ("rrr", "pca_ridge") else {}))
    path = tmp_path / "m.fbmap"
    save_map(est, path, source=SRC, target=TGT) if version > 1 else write_v1(path, est)
    if version == 2:
        as_v2(path)
    loaded = load_map(path, expected_source=SRC, expected_dim=6)
    assert isinstance(loaded, MapFile)
    assert type(loaded.estimator) is type(est)
    assert loaded.estimator.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.estimator.coef_, est.coef_)
    np.testing.assert_array_equal(loaded.estimator.intercept_, est.intercept_)
    np.testing.assert_array_equal(loaded.estimator.transform(X), est.transform(X))
    assert (loaded.source, loaded.target, loaded.n_train) == (SRC, TGT, 60)
    assert (loaded.source_dim, loaded.target_dim, loaded.format_version) == (6, 4, version)
    assert (loaded.tensors_sha256 != "") == (version > 1) and loaded.view is None
    assert loaded.facebridge_version == (facebridge.__version__ if version > 1 else "0.1.0")
    assert [p.name for p in tmp_path.iterdir()] == ["m.fbmap"]  # no temporary file left behind


def test_overwrite_is_atomic_replacement(tmp_path) -> None:
    path = tmp_path / "m.fbmap"
    save_map(fitted("ridge")[0], path, source=SRC, target=TGT)
    save_map(fitted("affine_fixed")[0], path, source=SRC, target=TGT)
    assert load_map(path).estimator.method == "affine_fixed"


def test_unfitted_cannot_be_saved(tmp_path) -> None:
    with pytest.raises(NotFittedError, match="unfitted RidgeMap"):
        save_map(make_map("ridge"), tmp_path / "m.fbmap", source=SRC, target=TGT)


def test_wrong_source_names_both_models(map_path) -> None:
    with pytest.raises(MismatchError, match=r"trained on edgeface-xs.*comes from arcface-r100"):
        load_map(map_path, expected_source=Fingerprint("arcface-r100"))
    with pytest.raises(MismatchError, match="weights ffffffffffff"):
        load_map(map_path, expected_source=Fingerprint("edgeface-xs", "f" * 64))
    assert load_map(map_path, expected_source=Fingerprint("edgeface-xs")).source == SRC  # unknown hash: model decides


def test_wrong_dim(map_path) -> None:
    with pytest.raises(MismatchError, match="expects 6-d input, got 512-d"):
        load_map(map_path, expected_dim=512)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(MissingFileError, match="not found"):
        load_map(tmp_path / "nope.fbmap")


@pytest.mark.parametrize("keep", [0, 5, 40, -10])
def test_truncated_file(map_path, keep: int) -> None:
    data = map_path.read_bytes()
    map_path.write_bytes(data[:keep])
    with pytest.raises(DataFormatError, match=str(map_path.name)):
        load_map(map_path)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a map file at all, just some text",
        np.random.default_rng(0).bytes(4096),
        (20).to_bytes(8, "little") + b"{not json at all!!!}",
    ],
)
def test_garbage_file(tmp_path, content: bytes) -> None:
    path = tmp_path / "garbage.fbmap"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=r"garbage\.fbmap"):
        load_map(path)


def test_newer_format_version(map_path) -> None:
    rewrite(map_path, lambda h: h.update(format_version=99))
    with pytest.raises(DataFormatError, match="version 99 is newer"):
        load_map(map_path)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda h: h.update(method="magic"), "unknown map method"),
        (lambda h: h.update(params={"beta": 1}), "invalid parameter"),
        (lambda h: h.update(source_dim=7), "do not map 7-d"),
        (lambda h: h.update(target_dim=True), "target_dim"),
        (lambda h: h.pop("source"), "corrupt"),
        (lambda h: h["params"].update(normalize="false"), "normalize must be True or False"),
        (lambda h: h["params"].update(alpha="1"), "alpha must be a finite number"),
        (lambda h: h["attrs"].update(n_features_in_="6"), "n_features_in_"),
        (lambda h: h.update(provenance={"n_ids": -1}), "n_ids"),
        (lambda h: h.update(params=[1]), "params"),
        (lambda h: h.update(view={"family": "os.system"}), "unknown view"),
    ],
)
def test_inconsistent_header(map_path, edit, match: str) -> None:
    rewrite(map_path, edit)
    with pytest.raises(DataFormatError, match=match):
        load_map(map_path)


def test_safetensors_without_facebridge_header(tmp_path) -> None:
    path = tmp_path / "other.safetensors"
    path.write_bytes(safetensors.numpy.save({"w": np.zeros((2, 2))}))
    with pytest.raises(DataFormatError, match="not a facebridge map file"):
        load_map(path)
