"""list_images and image_id: recursive, sorted, case-insensitive suffixes, relative posix ids."""

from __future__ import annotations

import os

import pytest

from facebridge.errors import InvalidInputError, MissingFileError
from facebridge.images import image_id, list_images


def test_list_images_is_sorted_recursive_and_filtered(tmp_path) -> None:
    names = [
        "b/B_0002.JPG",
        "b/B_0001.jpg",
        "a/A_0001.jpeg",
        "a/deep/x.PNG",
        "c.bmp",
        "d.WebP",
        "a/notes.txt",
        "a/._A_0001.jpeg",
        ".hidden/e.jpg",
        "f.jpg.bak",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert list_images(tmp_path) == [
        "a/A_0001.jpeg",
        "a/deep/x.PNG",
        "b/B_0001.jpg",
        "b/B_0002.JPG",
        "c.bmp",
        "d.WebP",
    ]
    assert list_images(tmp_path / "b") == ["B_0001.jpg", "B_0002.JPG"]


def test_image_id(tmp_path, monkeypatch) -> None:
    assert image_id(tmp_path, tmp_path / "Aaron_Eckhart" / "Aaron_Eckhart_0001.jpg") == (
        "Aaron_Eckhart/Aaron_Eckhart_0001.jpg"
    )
    monkeypatch.chdir(tmp_path)
    assert image_id(".", "Aaron/A.jpg") == "Aaron/A.jpg"
    assert image_id(tmp_path / "x" / "..", tmp_path / "y.jpg") == "y.jpg"
    with pytest.raises(InvalidInputError, match="not inside"):
        image_id(tmp_path / "a", tmp_path / "b" / "c.jpg")
    with pytest.raises(InvalidInputError, match="root folder"):
        image_id(tmp_path, tmp_path)


def test_missing_root(tmp_path) -> None:
    with pytest.raises(MissingFileError, match="image folder not found"):
        list_images(tmp_path / "nope")


def test_a_name_that_is_not_utf8_gets_a_reversible_escaped_id(tmp_path) -> None:
    from facebridge.images import image_file

    (tmp_path / "P").mkdir()
    raw = os.path.join(os.fsencode(tmp_path / "P"), b"caf\xe9.jpg")
    with open(raw, "wb") as fh:
        fh.write(b"x")
    (tmp_path / "P" / "caf\\x41.jpg").write_bytes(b"literal")  # a real name that looks escaped: its \\ doubled
    ids = list_images(tmp_path)
    assert ids == ["P/caf\\\\x41.jpg", "P/caf\\xe9.jpg"]
    assert ids[1].encode("utf-8")  # storable in Parquet
    assert os.fsencode(image_file(tmp_path, ids[1])) == raw
    assert image_file(tmp_path, ids[0]).read_bytes() == b"literal"


def test_a_real_name_spelled_like_an_escape_never_shares_the_escaped_id(tmp_path) -> None:
    """``caf<0xe9>.jpg`` (not UTF-8) and a file literally named ``caf\\xe9.jpg`` both get an id of their own, each
    leading back to its own file (before, both were ``caf\\xe9.jpg`` and one photo was never embedded)."""
    from facebridge.images import image_file

    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.jpg"), "wb") as fh:
        fh.write(b"latin-1 name")
    (tmp_path / "caf\\xe9.jpg").write_bytes(b"literal name")
    (tmp_path / "a\\\\b.jpg").write_bytes(b"two backslashes")
    (tmp_path / "plain.jpg").write_bytes(b"plain")
    ids = list_images(tmp_path)
    assert len(set(ids)) == len(ids) == 4 and "plain.jpg" in ids
    assert sorted(image_file(tmp_path, i).read_bytes() for i in ids) == sorted(
        [b"latin-1 name", b"literal name", b"two backslashes", b"plain"]
    )
    for i in ids:
        assert image_id(tmp_path, image_file(tmp_path, i)) == i
