"""Hostile and unlucky inputs at the CLI: each is one line on stderr and exit code 2, and no output is destroyed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import facebridge
from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from facebridge.embeddings.io import META_KEY
from tests.helpers import one_line_error

SRC = Path(facebridge.__file__).resolve().parents[1]  # the facebridge under test, for subprocesses



@pytest.fixture()
def sets(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    ids = np.array([f"P{i % 10}/img{i}.jpg" for i in range(60)], dtype=object)
    for name, dim in (("a", 32), ("b", 32)):
        es = EmbeddingSet(ids, rng.normal(size=(60, dim)), Fingerprint(model=name))
        write_parquet(es, tmp_path / f"{name}.parquet")
    return {"a": tmp_path / "a.parquet", "b": tmp_path / "b.parquet", "dir": tmp_path}


def fit_args(sets: dict[str, Path], source: Path | None = None) -> list[object]:
    return ["fit", "--source", source or sets["a"], "--target", sets["b"]]


def test_fit_native_evaluate_refuse_a_named_pipe_and_leave_it(sets, capsys) -> None:
    fifo = sets["dir"] / "p.fbmap"
    os.mkfifo(fifo)
    assert "named pipe" in one_line_error(capsys, *fit_args(sets), "--out", fifo, "--force")
    assert "named pipe" in one_line_error(capsys, "native", "--store", sets["dir"], "--out", fifo)
    assert "named pipe" in one_line_error(capsys, "native", "--store", sets["dir"], "--out", sets["dir"] / "t.md",
                                          "--json", fifo)  # fmt: skip
    assert "named pipe" in one_line_error(capsys, "evaluate", "--target", sets["b"], "--json", fifo)
    assert fifo.is_fifo() and not (sets["dir"] / "t.md").exists()


def test_empty_out_paths_are_refused_not_the_current_folder(sets, capsys, monkeypatch) -> None:
    monkeypatch.chdir(sets["dir"])
    before = sorted(os.listdir(sets["dir"]))
    assert "empty path" in one_line_error(capsys, *fit_args(sets), "--out", "")
    code = main(["embed", "--out", "", "--images", str(sets["dir"]), "--model", "edgeface-xxs"])
    assert code == 2 and "empty path" in capsys.readouterr().err
    assert sorted(os.listdir(sets["dir"])) == before


def test_fit_out_on_a_full_disk_is_one_line(sets) -> None:
    # RLIMIT_FSIZE makes the map write fail inside safetensors as a full disk does (EFBIG instead of ENOSPC)
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))\n"
        "from facebridge.cli.main import main\n"
        f"sys.exit(main({[str(a) for a in fit_args(sets)] + ['--out', str(sets['dir'] / 'm.fbmap')]!r}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    err = proc.stderr.strip()
    last = err.splitlines()[-1]  # after the fit-size warning
    assert proc.returncode == 2 and "Traceback" not in err and last.startswith("facebridge: error: cannot write"), err
    assert not (sets["dir"] / "m.fbmap").exists() and not list(sets["dir"].glob(".m.fbmap*"))


def rewrite(path: Path, table: pa.Table, header: bytes | None = None) -> Path:
    meta = dict(table.schema.metadata or {})
    if header is not None:
        meta[META_KEY] = header
    pq.write_table(table.replace_schema_metadata(meta), path)
    return path


def test_hostile_parquet_embedding_files_are_one_line(sets, capsys) -> None:
    table = pq.read_table(sets["a"])
    nested = rewrite(sets["dir"] / "nested.parquet", table, b"[" * 100000 + b"]" * 100000)
    assert "metadata" in one_line_error(capsys, *fit_args(sets, nested), "--out", sets["dir"] / "m")
    rows = [[str(v) for v in row] for row in table.column("embedding").to_pylist()]
    strings = pa.array(rows, pa.list_(pa.string(), 32))
    as_str = rewrite(sets["dir"] / "str.parquet", table.set_column(1, pa.field("embedding", strings.type), strings))
    assert "fixed-size list of numbers" in one_line_error(capsys, *fit_args(sets, as_str), "--out", sets["dir"] / "m")
    ragged = pa.array([[1.0] * (i % 3) for i in range(table.num_rows)], pa.list_(pa.float32()))
    var = rewrite(sets["dir"] / "var.parquet", table.append_column("extra", ragged))
    assert "meta column 'extra'" in one_line_error(capsys, *fit_args(sets, var), "--out", sets["dir"] / "m")


def test_a_npy_renamed_npz_and_a_zip_bomb_are_one_line(sets, capsys) -> None:
    npy = sets["dir"] / "x.npz"
    with open(npy, "wb") as fh:
        np.save(fh, np.zeros((4, 4)))
    assert "not a readable .npz" in one_line_error(capsys, *fit_args(sets, npy), "--out", sets["dir"] / "m")
    bomb = sets["dir"] / "bomb.npz"
    np.savez_compressed(bomb, ids=np.array(["a"]), embeddings=np.zeros((4096, 1024), np.float32))  # 16 MiB of zeros
    assert "zip bomb" in one_line_error(capsys, *fit_args(sets, bomb), "--out", sets["dir"] / "m")


def test_a_pairs_csv_fold_past_int64_is_one_line(sets, capsys) -> None:
    pairs = sets["dir"] / "pairs.csv"
    pairs.write_text("P0/img0.jpg,P0/img10.jpg,1,99999999999999999999\nP0/img0.jpg,P1/img1.jpg,0,1\n")
    err = one_line_error(capsys, "evaluate", "--protocol", "pairs", "--pairs", pairs, "--target", sets["b"])
    assert "pairs.csv:1: fold must be <=" in err


def test_degenerate_folds_and_repeated_pairs_warn_in_one_line_each(sets, capsys) -> None:
    pairs = sets["dir"] / "pairs.csv"
    rows = [f"P{k}/img{k}.jpg,P{k}/img{k + 10}.jpg,1,{k % 2}" for k in range(6)]
    rows += [f"P{k}/img{k}.jpg,P{k + 1}/img{k + 1}.jpg,0,1" for k in range(1, 6, 2)]
    pairs.write_text("\n".join([*rows, rows[0]]) + "\n")
    assert main(["evaluate", "--protocol", "pairs", "--pairs", str(pairs), "--target", str(sets["b"]),
                 "--json", str(sets["dir"] / "r.json")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert any("only genuine" in w and "0 (genuine)" in w for w in warnings), out
    assert any("1 pairs repeat an earlier pair" in w for w in warnings), out
    assert len(json.loads((sets["dir"] / "r.json").read_text())["notes"]) >= 2
