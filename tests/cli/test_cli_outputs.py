"""Every output option of every command goes through one check: an empty path (an unset ``$OUTDIR``) is refused in
one line instead of writing into the current folder, two options naming one path are refused, and a folder option
given a file is refused; nothing in the current folder is touched."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from tests.helpers import one_line_error


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, holding a study's results (what ``--out ''`` used to replace) and two embedding sets."""
    rng = np.random.default_rng(0)
    ids = np.array([f"P{i % 10}/img{i}.jpg" for i in range(60)], dtype=object)
    for name in ("a", "b"):
        es = EmbeddingSet(ids, rng.normal(size=(60, 8)), Fingerprint(model=name))
        write_parquet(es, tmp_path / f"{name}.parquet")
    (tmp_path / "results.json").write_text("{}")
    (tmp_path / "report.md").write_text("# the earlier report")
    (tmp_path / "figures").mkdir()
    (tmp_path / "onnx.onnx").write_bytes(b"not a network")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


#: Each command with each of its output options set to '' (the other required options valid or harmless).
EMPTY = {
    "audit --out": ["audit", "--out", "", "--store", ".", "--models", "a,b"],
    "upgrade --out": ["upgrade", "--store", ".", "--models", "a,b", "--out", ""],
    "reproduce --out": ["reproduce", "--out", ""],
    "embed --out": ["embed", "--out", "", "--images", ".", "--model", "edgeface-xxs"],
    "embed --json": ["embed", "--out", "store", "--json", "", "--images", ".", "--model", "edgeface-xxs"],
    "native --out": ["native", "--store", ".", "--out", ""],
    "native --json": ["native", "--store", ".", "--out", "t.md", "--json", ""],
    "evaluate --json": ["evaluate", "--target", "b.parquet", "--json", ""],
    "evaluate --scores": ["evaluate", "--target", "b.parquet", "--scores", ""],
    "fit --out": ["fit", "--source", "a.parquet", "--target", "b.parquet", "--out", ""],
    "transform --out": ["transform", "--map", "m.fbmap", "--input", "a.parquet", "--out", ""],
    "export-onnx --out": ["export-onnx", "--map", "m.fbmap", "--out", ""],
    "migrate --out": ["migrate", "--map", "m.fbmap", "--gallery", "a.parquet", "--out", ""],
    "search --out": ["search", "--gallery", "a.parquet", "--probes", "b.parquet", "--out", ""],
    "models add --folder": ["models", "add", "x", "--onnx", "onnx.onnx", "--alignment", "arc112", "--colour", "rgb",
                            "--mean", "127.5", "--std", "128", "--folder", ""],
    "canon fit --out": ["canon", "fit", "--store", ".", "--models", "a,b", "--out", ""],
    "canon join --out": ["canon", "join", "--space", "s.fbcanon", "--source", "a.parquet", "--via", "b.parquet",
                         "--out", ""],
    "canon route --out": ["canon", "route", "--space", "s.fbcanon", "--source", "a", "--out", ""],
    "canon search --out": ["canon", "search", "--space", "s.fbcanon", "--gallery", "a.parquet", "--probes",
                           "b.parquet", "--out", ""],
    "canon study --out": ["canon", "study", "--store", ".", "--models", "a,b", "--out", ""],
    "shifted-split --out": ["shifted-split", "--out", ""],
    "shifted --out": ["shifted", "--store", ".", "--split", ".", "--corrupted", ".", "--models", "a,b", "--out", ""],
    "pairs --out": ["pairs", "--images", ".", "--out", ""],
    "identify --json": ["identify", "--embeddings", "a.parquet", "--json", ""],
}


@pytest.mark.parametrize("args", EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_output_path_is_refused_and_the_current_folder_kept(here, capsys, args: list[str]) -> None:
    before = _snapshot(here)
    option = next(a for a, v in itertools.pairwise(args) if v == "")
    err = one_line_error(capsys, *args)
    assert f"{option} is an empty path" in err and "current folder" in err
    assert _snapshot(here) == before


def test_two_output_options_naming_one_path_are_refused(here, capsys) -> None:
    err = one_line_error(capsys, "native", "--store", ".", "--out", "t.md", "--json", "./t.md")
    assert "--out and --json both name" in err
    err = one_line_error(capsys, "evaluate", "--target", "b.parquet", "--json", "s.txt", "--scores", "s.txt")
    assert "--json and --scores both name" in err
    err = one_line_error(capsys, "embed", "--out", "store", "--json", "store", "--images", ".", "--model",
                         "edgeface-xxs")  # fmt: skip
    assert "--json" in err and "store" in err
    assert not (here / "t.md").exists() and not (here / "s.txt").exists() and not (here / "store").exists()


def test_a_report_folder_option_given_a_file_is_refused(here, capsys) -> None:
    before = _snapshot(here)
    err = one_line_error(capsys, "audit", "--out", "report.md", "--store", ".", "--models", "a,b")
    assert "--out report.md is a file; give a folder" in err
    err = one_line_error(capsys, "upgrade", "--store", ".", "--models", "a,b", "--out", "report.md/sub")
    assert "report.md is a file" in err
    assert _snapshot(here) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_report_folder_is_refused_naming_it(here, capsys) -> None:
    locked = here / "locked"
    locked.mkdir(mode=0o500)
    err = one_line_error(capsys, "audit", "--out", locked / "r", "--store", ".", "--models", "a,b")
    assert f"cannot write in {locked}" in err
