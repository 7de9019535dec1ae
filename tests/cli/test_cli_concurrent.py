"""Two runs into one output: real processes racing on one ``migrate --out`` lose nothing.

The second run fails with one line naming the run that holds the output (exit 2); the first completes, and the file
holds every row of the gallery, in order. (``transform`` and ``--scheduler`` runs take the same lock.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from facebridge.embeddings import EmbeddingSet, join_sets, read_embeddings, write_parquet
from facebridge.errors import DataFormatError
from facebridge.maps import make_map, save_map
from facebridge.maps.apply import join_parts, mapped_schema, parts_dir
from facebridge.maps.io import load_map
from tests.helpers import synthetic_study

SRC = Path(__file__).resolve().parents[2] / "src"
ROWS, BATCH = 1000, 20  # 50 chunks


@pytest.fixture()
def gallery(tmp_path: Path) -> dict[str, Path]:
    _, source, target = synthetic_study(n_people=30, per_person=4)
    _, x, y = join_sets(source, target)
    save_map(make_map("ridge").fit(x, y), tmp_path / "a2b.fbmap", source=source.fingerprint, target=target.fingerprint)
    rng = np.random.default_rng(0)
    ids = np.array([f"P{i // 4:05d}/{i:06d}.jpg" for i in range(ROWS)], dtype=object)
    write_parquet(EmbeddingSet(ids, rng.normal(size=(ROWS, source.dim)), source.fingerprint), tmp_path / "g.parquet")
    return {"map": tmp_path / "a2b.fbmap", "gallery": tmp_path / "g.parquet", "dir": tmp_path}


def _start(gallery: dict[str, Path], out: Path, command: str, *, hold: str = "", until: Path | None = None,
           done: Path | None = None) -> subprocess.Popen:
    """``command`` (migrate or transform) into ``out`` in a child process, with ``--force``.

    ``hold`` makes the run stop where it is for as long as ``until`` does not exist: ``"parts"`` after its 5th part,
    ``"join"`` before joining them. ``done`` is created when the run ends. So the second run is started while the
    first is at that point and runs to its end (whatever the machine's load) before the first goes on.
    """
    files = ["--input" if command == "transform" else "--gallery", gallery["gallery"]]
    args = [command, "--map", gallery["map"], *files, "--out", out, "--batch-rows", BATCH, "--force"]
    code = f"""
import sys, time
from pathlib import Path
import facebridge.maps.apply as apply
def hold():
    deadline = time.monotonic() + 120
    while not Path({str(until)!r}).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
if {hold!r} == "parts":
    write, count = apply.write_part, [0]
    def write_part(*a):
        count[0] += 1
        if count[0] == 6:
            hold()
        write(*a)
    apply.write_part = write_part
if {hold!r} == "join":
    join = apply.join_parts
    apply.join_parts = lambda *a: (hold(), join(*a))[1]
from facebridge.cli.main import main
try:
    code = main({[str(a) for a in args]!r})
finally:
    if {str(done)!r} != "None":
        Path({str(done)!r}).touch()
sys.exit(code)
"""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


@pytest.mark.parametrize("hold", ["parts", "join"])
def test_a_second_migrate_into_one_out_loses_no_rows(gallery, hold: str) -> None:
    out, second_done = gallery["dir"] / "migrated.parquet", gallery["dir"] / "second-done"
    first = _start(gallery, out, "migrate", hold=hold, until=second_done)
    deadline = time.monotonic() + 120
    while not (parts_dir(out).is_dir() or out.exists()):  # the first run holds the output now
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    second = _start(gallery, out, "migrate", done=second_done)
    results = [(p.wait(timeout=180), *p.communicate()) for p in (first, second)]
    assert results[0][0] == 0, results[0][2]
    migrated = read_embeddings(out)
    assert migrated.n == ROWS
    assert migrated.ids.tolist() == read_embeddings(gallery["gallery"]).ids.tolist()
    assert not parts_dir(out).exists() and not out.with_name(".migrated.parquet.lock").exists()
    code, _, stderr = results[1]
    assert code == 2, stderr  # refused in one line, naming the output and the run holding it
    assert stderr.count("\n") == 1 and f"pid {first.pid}" in stderr and "migrated.parquet" in stderr


def test_join_refuses_missing_chunks_and_keeps_the_old_file(gallery) -> None:
    out = gallery["dir"] / "out.parquet"
    out.write_bytes(b"the complete file of an earlier run")
    parts = parts_dir(out)
    parts.mkdir()
    loaded = load_map(gallery["map"])
    schema = mapped_schema(loaded, gallery["map"])
    empty = pa.Table.from_pylist([], schema=schema)
    for i in (0, 2):
        import pyarrow.parquet as pq

        pq.write_table(empty, parts / f"part-{i:08d}.parquet")
    with pytest.raises(DataFormatError, match=r"1 of 3 chunks \(chunk 1\)"):
        join_parts(out, schema, parts, 3)
    assert out.read_bytes() == b"the complete file of an earlier run"
    assert parts.is_dir()  # the finished chunks are kept for a re-run
