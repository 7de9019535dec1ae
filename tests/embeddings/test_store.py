"""Store files: one writer at a time (two real processes), duplicate-safe combining, repair of truncated files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import facebridge
from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.embeddings.io import META_KEY, to_table
from facebridge.embeddings.store import (
    combine_parts,
    done_ids,
    read_status,
    repair_store,
    store_lock,
    write_part,
    write_status,
)
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


def _flipped_part(tmp_path: Path, at: int) -> tuple[Path, pa.Table]:
    """A store whose one part (written as embed writes parts) has the bit ``at % 8`` of byte ``at`` flipped; and
    the part's rows as written."""
    rng = np.random.default_rng(0)
    es = EmbeddingSet(np.array([f"P{i % 8}/{i}.jpg" for i in range(64)], dtype=object), rng.normal(size=(64, 16)), FP,
                      {"score": rng.random(64).astype(np.float32)})  # fmt: skip
    path = tmp_path / "store" / "parts" / "m" / "part-1-00000.parquet"
    path.parent.mkdir(parents=True)
    write_part(es, path)
    data = bytearray(path.read_bytes())
    data[at % len(data)] ^= 1 << (at % 8)
    path.write_bytes(bytes(data))
    return path, to_table(es)


@pytest.mark.parametrize("at", range(97, 7400, 233))  # 32 bits spread over the ~7.4 kB part
def test_a_flipped_bit_in_a_part_is_refused_never_combined(tmp_path, at: int) -> None:
    """Without the part's sha256, 152 of 201 single-bit flips over such a part changed the combined set silently."""
    path, written = _flipped_part(tmp_path, at)
    try:
        combine_parts(path.parent, tmp_path / "store" / "m.parquet")
    except DataFormatError as exc:
        assert str(exc).startswith(str(path)) and ("sha256" in str(exc) or "unreadable" in str(exc))
        assert not (tmp_path / "store" / "m.parquet").exists()
        return
    combined = pq.read_table(tmp_path / "store" / "m.parquet")  # a flip in bytes no value is read from (statistics)
    assert combined.select(written.column_names).equals(written.sort_by("id"))


def test_parts_with_their_sha256_combine_as_written(tmp_path) -> None:
    path, written = _flipped_part(tmp_path, 0)
    path.write_bytes(bytes([path.read_bytes()[0] ^ 1]) + path.read_bytes()[1:])  # flipped back: the part as written
    assert combine_parts(path.parent, tmp_path / "store" / "m.parquet") == 64
    combined = pq.read_table(tmp_path / "store" / "m.parquet")
    assert combined.select(written.column_names).equals(written.sort_by("id"))
    assert "rows_sha256" not in combined.schema.metadata[META_KEY].decode()  # a part's digest is not the set's


def test_repair_drops_a_part_whose_rows_fail_their_sha256_so_its_images_are_embedded_again(tmp_path) -> None:
    path, _ = _flipped_part(tmp_path, 600)  # inside the vectors' page: readable, but other values
    assert pq.read_table(path).num_rows == 64  # readable: only the digest tells
    with pytest.raises(DataFormatError, match=r"rows do not match their sha256.*--repair"):
        combine_parts(path.parent, tmp_path / "store" / "m.parquet")
    assert repair_store(tmp_path / "store") == [path]
    assert done_ids(path.parent, FP) == set()  # the next run embeds those 64 images again
