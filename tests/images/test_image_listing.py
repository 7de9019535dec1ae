"""list_images and image_id: recursive, sorted, case-insensitive suffixes, relative posix ids."""

from __future__ import annotations

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
