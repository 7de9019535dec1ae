"""Issue 24's small ones: search on zero vectors or an empty gallery, a BOM in an embedding CSV, GIF and TIFF photos
and the files embed leaves out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings, write_parquet
from facebridge.images import list_images, load_image
from tests.helpers import one_line_error


@pytest.fixture()
def gallery(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    ids = np.array([f"P{i}/x.jpg" for i in range(5)], dtype=object)
    write_parquet(EmbeddingSet(ids, rng.normal(size=(5, 4)), Fingerprint("m")), tmp_path / "g.parquet")
    return tmp_path / "g.parquet"


def test_search_refuses_zero_vectors_and_an_empty_gallery(gallery, tmp_path, capsys) -> None:
    vectors = np.random.default_rng(1).normal(size=(3, 4))
    vectors[1] = 0
    probes = EmbeddingSet(np.array(["Q/a.jpg", "Q/b.jpg", "Q/c.jpg"], object), vectors, Fingerprint("m"))
    write_parquet(probes, tmp_path / "p.parquet")
    err = one_line_error(capsys, "search", "--gallery", gallery, "--probes", tmp_path / "p.parquet", "--out",
                         tmp_path / "h.parquet")  # fmt: skip
    assert "1 probe vector(s) are all zero" in err and "Q/b.jpg" in err
    err = one_line_error(capsys, "search", "--gallery", tmp_path / "p.parquet", "--probes", gallery, "--out",
                         tmp_path / "h.parquet")  # fmt: skip
    assert "gallery vector(s) are all zero" in err
    empty = EmbeddingSet(np.array([], object), np.zeros((0, 4)), Fingerprint("m"))
    write_parquet(empty, tmp_path / "e.parquet")
    err = one_line_error(capsys, "search", "--gallery", tmp_path / "e.parquet", "--probes", gallery, "--out",
                         tmp_path / "h.parquet")  # fmt: skip
    assert "gallery set is empty" in err and not (tmp_path / "h.parquet").exists()


def test_an_embedding_csv_with_a_byte_order_mark_is_read(tmp_path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes("\ufeffid,v0,v1\nP/a.jpg,1,2\nP/b.jpg,3,4\n".encode())
    es = read_embeddings(path)
    assert list(es.ids) == ["P/a.jpg", "P/b.jpg"] and es.vectors.tolist() == [[1, 2], [3, 4]]


def test_gif_and_tiff_photos_are_listed_and_decoded_and_other_files_are_counted(tmp_path) -> None:
    from facebridge.images.listing import other_files

    face = Image.new("RGB", (40, 30), (200, 120, 40))
    (tmp_path / "P").mkdir()
    face.save(tmp_path / "P" / "a.gif")
    face.save(tmp_path / "P" / "b.TIFF")
    face.save(tmp_path / "P" / "c.tif")
    (tmp_path / "P" / "d.heic").write_bytes(b"x")
    (tmp_path / "P" / ".e.txt").write_bytes(b"x")  # hidden: neither listed nor counted
    assert list_images(tmp_path) == ["P/a.gif", "P/b.TIFF", "P/c.tif"]
    assert other_files(tmp_path) == ["P/d.heic"]
    for name in ("a.gif", "b.TIFF", "c.tif"):
        decoded = load_image(tmp_path / "P" / name)
        assert decoded.status == "ok" and decoded.rgb.shape == (30, 40, 3)


def test_embed_says_how_many_files_it_left_out(tmp_path, capsys, monkeypatch) -> None:
    from facebridge.extraction import extract

    (tmp_path / "P").mkdir()
    Image.new("RGB", (40, 30)).save(tmp_path / "P" / "a.jpg")
    (tmp_path / "P" / "b.heic").write_bytes(b"x")
    summary = extract.ExtractionSummary(1, {"ok": 1}, 0, {"edgeface-xxs": 1}, {"edgeface-xxs": 1}, 0.1)
    monkeypatch.setattr(extract, "embed_folder", lambda *args, **kwargs: summary)  # the CLI's part only
    code = main(["embed", "--images", str(tmp_path), "--out", str(tmp_path / "s"), "--model", "edgeface-xxs"])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0 and "1 other files not embedded" in out and "P/b.heic" in out
