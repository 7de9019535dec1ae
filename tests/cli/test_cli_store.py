"""``embed`` on an unlucky store, with a real model: odd file names, truncated files, duplicated parts, two runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from facebridge.cli.main import main
from tests.cli.test_cli_hardening import one_line_error
from tests.embeddings.test_store import hold_lock
from tests.helpers import LFW_IMAGES, SHARED, require_shared

pytestmark = pytest.mark.models
PERSON = "Al_Gore"


@pytest.fixture()
def images(tmp_path: Path) -> Path:
    require_shared(LFW_IMAGES, SHARED / "models")
    folder = tmp_path / "images" / PERSON
    folder.mkdir(parents=True)
    sources = sorted((LFW_IMAGES / PERSON).glob("*.jpg"))[:3]
    for src in sources[:2]:
        shutil.copy(src, folder / src.name)
    shutil.copy(sources[2], os.path.join(os.fsencode(folder), b"caf\xe9.jpg"))  # not valid UTF-8
    shutil.copy(sources[1], folder / "caf\\xe9.jpg")  # a real name spelled like that one's escaped id
    return tmp_path / "images"


def embed(store: Path, images: Path, *extra: str) -> list[str]:
    return ["embed", "--images", str(images), "--model", "edgeface-xxs", "--out", str(store), "--workers", "1", *extra]


def ids(store: Path) -> list[str]:
    return pq.read_table(store / "edgeface-xxs.parquet").column("id").to_pylist()


def test_odd_names_truncated_files_and_duplicated_parts(images, tmp_path, capsys) -> None:
    store = tmp_path / "store"
    assert main(embed(store, images)) == 0, capsys.readouterr().err
    expected = sorted([f"{PERSON}/caf\\xe9.jpg", f"{PERSON}/caf\\\\xe9.jpg",
                       *(f"{PERSON}/{p.name}" for p in (images / PERSON).glob("Al_*"))])  # fmt: skip
    assert ids(store) == expected
    for broken in (store / "images.parquet", next((store / "parts" / "edgeface-xxs").glob("part-*.parquet"))):
        keep = broken.read_bytes()
        broken.write_bytes(keep[: len(keep) // 2])
        assert f"{broken}: unreadable" in one_line_error(capsys, *embed(store, images))
        assert main(embed(store, images, "--repair")) == 0, capsys.readouterr().err
        assert ids(store) == expected
    first = next((store / "parts" / "edgeface-xxs").glob("part-*.parquet"))
    shutil.copy(first, first.with_name("part-00000000000000000-00000.parquet"))  # what two unlocked runs left
    assert main(embed(store, images)) == 0 and ids(store) == expected


def test_a_second_embed_on_a_busy_store_stops_or_waits(images, tmp_path, capsys) -> None:
    store = tmp_path / "store"
    holder = hold_lock(store, 3)
    assert "being written by another run" in one_line_error(capsys, *embed(store, images))
    assert main(embed(store, images, "--wait")) == 0 and (store / "released").exists()
    assert holder.wait() == 0 and len(ids(store)) == 4
