"""``.fbcanon`` files: round trip, and refusal of any edit to the header or the tensors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facebridge.embeddings import Fingerprint
from facebridge.errors import DataFormatError, MismatchError
from facebridge.maps.canonical import CanonicalSpace, load_space, save_space

MEMBERS = {f"m{i}": Fingerprint(f"m{i}", weights_sha256=f"{i}" * 64) for i in range(4)}


@pytest.fixture
def space_file(tmp_path: Path) -> tuple[CanonicalSpace, Path]:
    rng = np.random.default_rng(1)
    latent = rng.standard_normal((200, 5))
    sets = {m: latent @ rng.standard_normal((5, 6 + i)) for i, m in enumerate(MEMBERS)}
    founders = {m: x for m, x in sets.items() if m != "m3"}
    space = CanonicalSpace(method="gpa", dim=4).fit(founders).join("m3", sets["m3"], {"m0": sets["m0"]})
    return space, save_space(space, tmp_path / "s.fbcanon", members=MEMBERS)


def test_round_trip_keeps_every_array_parameter_and_fingerprint(space_file) -> None:
    space, path = space_file
    loaded = load_space(path)
    assert loaded.space.get_params() == space.get_params()
    assert loaded.space.models_ == space.models_ and loaded.space.via_ == space.via_
    for m in space.models_:
        for k in ("enc_coef_", "enc_bias_", "dec_coef_", "dec_bias_"):
            assert np.array_equal(getattr(loaded.space, k)[m], getattr(space, k)[m])
    assert loaded.members == MEMBERS and loaded.member_of(MEMBERS["m2"]) == "m2"
    assert loaded.fingerprint.model == f"canonical:{loaded.sha256[:12]}"
    with pytest.raises(MismatchError, match="not in this canonical space"):
        loaded.member_of(Fingerprint("m2", weights_sha256="f" * 64))


def _header_span(data: bytes) -> tuple[int, int]:
    return 8, 8 + int.from_bytes(data[:8], "little")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'\\"via\\": \\"m0\\"', b'\\"via\\": \\"m1\\"'),  # which member a joiner was fitted against
        (b'\\"model\\": \\"m1\\"', b'\\"model\\": \\"m9\\"'),  # a member's fingerprint
        (b'\\"n_samples_seen\\": 200', b'\\"n_samples_seen\\": 900'),  # provenance-like counts
    ],
)
def test_an_edit_anywhere_in_the_header_is_refused(space_file, old: bytes, new: bytes) -> None:
    _, path = space_file
    data = path.read_bytes()
    assert data.count(old) == 1, old
    path.write_bytes(data.replace(old, new))
    with pytest.raises(DataFormatError, match="sha256"):
        load_space(path)


def test_a_flipped_tensor_bit_and_a_truncated_file_are_refused(space_file) -> None:
    _, path = space_file
    data = bytearray(path.read_bytes())
    _, end = _header_span(bytes(data))
    data[end + 100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match="sha256"):
        load_space(path)
    path.write_bytes(bytes(data[: end - 5]))
    with pytest.raises(DataFormatError, match="truncated"):
        load_space(path)


def test_a_map_file_is_not_read_as_a_space(tmp_path: Path) -> None:
    from facebridge.maps import RidgeMap, save_map

    rng = np.random.default_rng(0)
    ridge = RidgeMap().fit(rng.standard_normal((20, 3)), rng.standard_normal((20, 3)))
    path = save_map(ridge, tmp_path / "r.fbmap", source=Fingerprint("a"), target=Fingerprint("b"))
    with pytest.raises(DataFormatError, match="not a canonical-space file"):
        load_space(path)


def test_header_is_plain_json_with_every_member(space_file) -> None:
    _, path = space_file
    start, end = _header_span(path.read_bytes())
    header = json.loads(json.loads(path.read_bytes()[start:end])["__metadata__"]["facebridge"])
    assert [m["name"] for m in header["members"]] == ["m0", "m1", "m2", "m3"]
    assert header["members"][3]["via"] == "m0" and header["members"][3]["fingerprint"]["weights_sha256"] == "3" * 64
