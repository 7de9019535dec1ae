"""Map file version 2: every family through the contract, provenance, carried views, and tampering refused."""

from __future__ import annotations

import contextlib
import json
import struct

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facebridge.cli.main import main
from facebridge.errors import DataFormatError, FacebridgeError
from facebridge.maps import METHODS, Provenance, TargetView, load_map, map_class, save_map
from facebridge.maps.map_file import HEADER_DIGEST, header_digest
from tests.maps.map_files import SRC, TGT, as_v2, fitted, rewrite, tensor_offset, training_data, write_v1


@pytest.mark.parametrize("method", METHODS)
def test_every_family_round_trips_through_the_contract(tmp_path, method: str) -> None:
    est, X = fitted(method)
    prov = Provenance(n_ids=60, n_people=20, dataset="lfw")
    loaded = load_map(save_map(est, tmp_path / "m.fbmap", source=SRC, target=TGT, provenance=prov))
    assert type(loaded.estimator) is map_class(method) and loaded.estimator.get_params() == est.get_params()
    assert loaded.estimator.fitted_attrs() == est.fitted_attrs()
    assert loaded.provenance == prov and (loaded.source_dim, loaded.target_dim) == (6, 4)
    np.testing.assert_array_equal(loaded.estimator.transform(X), est.transform(X))


def test_header_records_family_attrs_and_provenance(tmp_path) -> None:
    est, _ = fitted("affine_fixed")
    path = save_map(est, tmp_path / "m.fbmap", source=SRC, target=TGT, provenance=Provenance(60, 20, "lfw"))
    size = int.from_bytes(path.read_bytes()[:8], "little")
    header = json.loads(json.loads(path.read_bytes()[8 : 8 + size])["__metadata__"]["facebridge"])
    assert (header["format_version"], header["family"], header["method"]) == (3, "AffineMap", "affine_fixed")
    assert header["attrs"] == {"n_features_in_": 6, "n_samples_seen_": 60} and header["view"] is None
    assert header["provenance"] == {"n_ids": 60, "n_people": 20, "dataset": "lfw"}
    assert len(header["tensors_sha256"]) == 64 and len(header["header_sha256"]) == 64


def test_carried_view_round_trips(tmp_path) -> None:
    est, _ = fitted("affine_fixed")
    _, Y, _ = training_data()
    view = TargetView(kind="whitened", shrink=0.1).fit(Y)
    loaded = load_map(save_map(est, tmp_path / "m.fbmap", source=SRC, target=TGT, view=view))
    assert loaded.view.get_params() == view.get_params()
    np.testing.assert_array_equal(loaded.view.transform(Y), view.transform(Y))
    names = safetensors.numpy.load((tmp_path / "m.fbmap").read_bytes())
    assert any(k.startswith("view.") for k in names) and "coef" in names


@pytest.mark.parametrize("bit", [0, 30, 62])
def test_one_flipped_bit_in_a_coefficient_is_refused(tmp_path, bit: int) -> None:
    path = save_map(fitted("affine_fixed")[0], tmp_path / "m.fbmap", source=SRC, target=TGT)
    data = bytearray(path.read_bytes())
    at = tensor_offset(path, "coef") + 8 * 5 + bit // 8  # the sixth coefficient's byte holding that bit
    data[at] ^= 1 << (bit % 8)
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="sha256"):
        load_map(path)


def test_one_flipped_bit_in_a_header_parameter_is_refused(tmp_path) -> None:
    """``"gamma": 0.25`` -> ``0.35`` is one bit ('2' is 0x32, '3' is 0x33); version 2 loaded it and mapped otherwise."""
    path = save_map(fitted("kernel", gamma=0.25, n_landmarks=16)[0], tmp_path / "m.fbmap", source=SRC, target=TGT)
    data = bytearray(path.read_bytes())
    at = data.index(b'gamma\\": 0.25') + len(b'gamma\\": 0.')
    data[at] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="header does not match its sha256"):
        load_map(path)
    as_v2(path)  # what version 2 covered: the tensors only, so the edited gamma went through
    assert load_map(path).estimator.gamma == 0.35


@pytest.mark.parametrize("edit", [
    lambda h: h["params"].update(normalize=False),
    lambda h: h["target"].update(model="another-model"),
    lambda h: h.update(tensors_sha256="0" * 64),
    lambda h: h.update(source_dim=7),
], ids=["normalize", "target model", "tensor digest", "dim"])  # fmt: skip
def test_any_header_edit_is_refused_unless_resealed(tmp_path, capsys, edit) -> None:
    path = save_map(fitted("ridge")[0], tmp_path / "m.fbmap", source=SRC, target=TGT)
    rewrite(path, edit, reseal=False)
    with pytest.raises(DataFormatError, match=r"m\.fbmap: the map's header does not match its sha256"):
        load_map(path)
    assert main(["export-onnx", "--map", str(path), "--out", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "header does not match its sha256" in err and not (tmp_path / "m.onnx").exists()


def test_a_v1_file_has_no_digest_but_absurd_weights_are_refused(tmp_path) -> None:
    est, _ = fitted("affine_fixed")
    path = write_v1(tmp_path / "m.fbmap", est)
    data = bytearray(path.read_bytes())
    at = tensor_offset(path, "coef")
    data[at : at + 8] = struct.pack("<d", 1.8e306)  # what a single exponent-bit flip of ~0.5 gives
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"'coef' holds 1\.8e\+306, beyond 1e\+06"):
        load_map(path)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_from_fitted_names_the_bad_array(value: float) -> None:
    est, _ = fitted("ridge")
    arrays = {**est.fitted_arrays(), "intercept": np.full(4, value)}
    with pytest.raises(DataFormatError, match="intercept contains NaN or inf"):
        type(est).from_fitted(est.get_params(), arrays, est.fitted_attrs())
    with pytest.raises(DataFormatError, match=r"coef has shape \(6, 3\), expected \(6, 4\)"):
        type(est).from_fitted(est.get_params(), {**est.fitted_arrays(), "coef": np.zeros((6, 3))}, est.fitted_attrs())


def test_params_are_type_checked_on_load(tmp_path) -> None:
    path = save_map(fitted("ridge")[0], tmp_path / "m.fbmap", source=SRC, target=TGT)
    rewrite(path, lambda h: h["params"].update(normalize="false"))  # once read as True
    with pytest.raises(DataFormatError, match="normalize must be True or False, got 'false'"):
        load_map(path)


@pytest.mark.parametrize(
    ("method", "field", "value", "match"),
    [
        ("kernel", "gamma", "0.25", "gamma must be a finite number > 0, got '0.25'"),
        ("kernel", "normalize", 1, "normalize must be True or False, got 1"),
        ("mlp", "alpha", -1.0, "alpha must be a finite number >= 0, got -1.0"),
        ("rrr", "rank", 2.5, "rank"),
        ("view", "shrink", "lots", "shrink must be a finite number >= 0, got 'lots'"),
    ],
)
def test_every_familys_params_are_checked_on_load(tmp_path, method: str, field: str, value, match: str) -> None:
    """A hand-edited header whose digest was recomputed is still refused by the family's own checks."""
    _, Y, _ = training_data()
    small = {"n_landmarks": 16} if method == "kernel" else {"hidden": 4, "max_iter": 5} if method == "mlp" else {}
    est = fitted("ridge" if method == "view" else method, **({"rank": 2} if method == "rrr" else small))[0]
    view = TargetView(kind="whitened").fit(Y) if method == "view" else None
    path = save_map(est, tmp_path / "m.fbmap", source=SRC, target=TGT, view=view)
    rewrite(path, lambda h: (h["view"] if method == "view" else h)["params"].update({field: value}))
    with pytest.raises(DataFormatError, match=match):
        load_map(path)


@pytest.mark.parametrize("where", ["facebridge", "safetensors"])
def test_deeply_nested_header_json_is_one_error(tmp_path, where: str) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    if where == "facebridge":
        meta = json.dumps({"__metadata__": {"facebridge": nested}}).encode()
    else:
        meta = ('{"__metadata__": {"facebridge": "{}"}, "x": ' + nested + "}").encode()
    path = tmp_path / "deep.fbmap"
    path.write_bytes(len(meta).to_bytes(8, "little") + meta)
    with pytest.raises(DataFormatError, match=r"deep\.fbmap"):
        load_map(path)


def _valid_bytes() -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        est = fitted("affine_fixed")[0]
        path = save_map(est, Path(tmp) / "m.fbmap", source=SRC, target=TGT, provenance=Provenance(60))
        return path.read_bytes()


VALID = _valid_bytes()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _load_only_facebridge_errors(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzz.fbmap"
    path.write_bytes(data)
    with contextlib.suppress(FacebridgeError):
        load_map(path)


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(FUZZ, max_examples=1200)
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.integers(0, len(VALID)))  # fmt: skip
def test_fuzz_mutated_bytes(tmp_path, edits, cut: int) -> None:
    data = bytearray(VALID)
    for at, value in edits:
        data[at] = value
    _load_only_facebridge_errors(tmp_path, bytes(data[: max(cut, 8)]))


@settings(FUZZ, max_examples=900)
@given(field=st.sampled_from(["format_version", "method", "params", "attrs", "source", "target", "source_dim",
                              "target_dim", "provenance", "view", "tensors_sha256"]), value=JSON)  # fmt: skip
def test_fuzz_header_fields(tmp_path, field: str, value) -> None:
    size = int.from_bytes(VALID[:8], "little")
    outer = json.loads(VALID[8 : 8 + size])
    header = json.loads(outer["__metadata__"]["facebridge"])
    header[field] = value
    header[HEADER_DIGEST] = header_digest(header)  # resealed, so that the checks behind the digest are reached
    tensors = safetensors.numpy.load(VALID)
    _load_only_facebridge_errors(tmp_path, safetensors.numpy.save(tensors, metadata={"facebridge": json.dumps(header)}))


@pytest.mark.parametrize(
    ("family", "old_name"), [("affine_fixed", "affine"), ("affine", "affine_cv")], ids=["AffineMap", "AffineRidgeCV"]
)
def test_files_written_under_the_old_affine_names_load_as_the_same_map(tmp_path, family: str, old_name: str) -> None:
    """Before ``affine`` meant the cross-validated map, AffineMap was saved as ``affine`` and AffineRidgeCV as
    ``affine_cv``: the class name in the header decides, so such a file keeps its fixed (or chosen) alpha."""
    est, X = fitted(family)
    est.method = old_name  # the header as an older facebridge wrote it
    loaded = load_map(save_map(est, tmp_path / "old.fbmap", source=SRC, target=TGT))
    assert type(loaded.estimator) is map_class(family) and loaded.estimator.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.estimator.transform(X), est.transform(X))
    if old_name == "affine":  # a version 1 file (no family) named the fixed-alpha map affine too
        v1 = load_map(write_v1(tmp_path / "v1.fbmap", est))
        assert type(v1.estimator) is map_class("affine_fixed")


def test_a_file_naming_the_kernel_maps_old_class_loads(tmp_path) -> None:
    """LandmarkKernelMap was NystroemKernelMap (ridge on [x, k(x, landmarks)], never a Nystroem approximation):
    files written under the old class name load as the same map."""
    est, X = fitted("kernel", n_landmarks=10)
    path = save_map(est, tmp_path / "old.fbmap", source=SRC, target=TGT)
    rewrite(path, lambda h: h.update(family="NystroemKernelMap"))
    loaded = load_map(path)
    assert type(loaded.estimator) is map_class("kernel") and loaded.estimator.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.estimator.transform(X), est.transform(X))
