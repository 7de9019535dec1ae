"""Store files: one writer at a time (two real processes), duplicate-safe combining, repair of truncated files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import facebridge
from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.embeddings.io import to_table
from facebridge.embeddings.store import combine_parts, read_status, repair_store, store_lock, write_status
from facebridge.errors import BusyError, DataFormatError

SRC = Path(facebridge.__file__).resolve().parents[1]
FP = Fingerprint(model="m")


def part(path: Path, ids: list[str], vectors: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(to_table(EmbeddingSet(np.array(ids, dtype=object), vectors, FP)), path)
    return path


def hold_lock(store: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the store's lock for ``seconds`` (then touching ``released``); returns once it holds
    it."""
    code = (
        "import sys, time; from pathlib import Path; from facebridge.embeddings.store import store_lock\n"
        f"with store_lock(Path({str(store)!r})):\n    print('locked', flush=True); time.sleep({seconds})\n"
        f"    Path({str(store)!r}, 'released').touch()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(SRC)})  # fmt: skip
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_process_is_refused_or_waits_for_the_lock(tmp_path) -> None:
    holder = hold_lock(tmp_path / "store", 1.5)
    with pytest.raises(BusyError, match=f"pid {holder.pid}.*--wait"), store_lock(tmp_path / "store"):
        pass
    with store_lock(tmp_path / "store", wait=True):
        assert (tmp_path / "store" / "released").exists()  # got the lock only once the holder was done
    assert holder.wait() == 0


def test_combining_drops_exact_duplicates_and_refuses_conflicts(tmp_path) -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 8)).astype(np.float32)
    parts = tmp_path / "parts" / "m"
    part(parts / "part-1-00000.parquet", ["a", "b", "c"], v[:3])
    part(parts / "part-2-00000.parquet", ["b", "c", "d"], np.concatenate([v[1:3], v[3:]]))
    assert combine_parts(parts, tmp_path / "m.parquet") == 4
    assert pq.read_table(tmp_path / "m.parquet").column("id").to_pylist() == ["a", "b", "c", "d"]
    part(parts / "part-3-00000.parquet", ["c"], v[:1])
    with pytest.raises(DataFormatError, match=r"id 'c' .*part-1-00000.parquet, part-2-00000.parquet, part-3-00000"):
        combine_parts(parts, tmp_path / "m.parquet")


def test_truncated_store_files_are_named_and_repair_removes_only_them(tmp_path) -> None:
    write_status(tmp_path / "images.parquet", {"a": ("ok", "", "yunet", 0.9)})
    good = part(tmp_path / "parts" / "m" / "part-1-00000.parquet", ["a"], np.ones((1, 8)))
    bad = part(tmp_path / "parts" / "m" / "part-2-00000.parquet", ["b"], np.ones((1, 8)))
    for path in (tmp_path / "images.parquet", bad):
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataFormatError, match=r"images.parquet: unreadable .*--repair"):
        read_status(tmp_path / "images.parquet")
    assert sorted(repair_store(tmp_path)) == sorted([tmp_path / "images.parquet", bad])
    assert good.is_file() and read_status(tmp_path / "images.parquet") == {}
