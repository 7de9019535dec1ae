"""Atomic writes: non-regular targets refused, unpredictable O_EXCL temp files, umask permissions, stale temps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from facebridge.errors import InvalidInputError
from facebridge.storage import WriteError, atomic_write, remove_stale_temps


def write_text(text: str):
    return lambda tmp: tmp.write_text(text)


def test_a_named_pipe_or_folder_is_refused_and_left_alone(tmp_path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInputError, match="named pipe"):
        atomic_write(fifo, write_text("x"))
    assert fifo.is_fifo()
    (tmp_path / "d").mkdir()
    with pytest.raises(InvalidInputError, match="folder"):
        atomic_write(tmp_path / "d", write_text("x"))
    assert (tmp_path / "d").is_dir()


def test_a_symlink_planted_at_the_old_temp_name_is_not_followed(tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / f".out.txt.{os.getpid()}.tmp").symlink_to(victim)
    atomic_write(tmp_path / "out.txt", write_text("new"))
    assert victim.read_text() == "precious" and (tmp_path / "out.txt").read_text() == "new"


def test_written_files_get_normal_permissions_under_the_umask(tmp_path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "f.txt", write_text("x"))
    finally:
        os.umask(old)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o640


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temps_of_dead_or_old_runs_are_removed_and_nothing_else(tmp_path) -> None:
    target = tmp_path / "m.parquet"
    dead = tmp_path / f".m.parquet.{dead_pid()}.tmp"
    old_alive = tmp_path / f".m.parquet.{os.getppid()}.abc123.tmp"
    alive = tmp_path / f".m.parquet.{os.getppid()}.def456.tmp"
    others = [tmp_path / ".m.parquet.tmp", tmp_path / f".other.{dead_pid()}.tmp", tmp_path / "m.parquet.1.tmp"]
    for p in [dead, old_alive, alive, *others]:
        p.write_text("x")
    week_ago = time.time() - 7 * 24 * 3600
    os.utime(old_alive, (week_ago, week_ago))
    link = tmp_path / f".m.parquet.{dead_pid()}.x.tmp"
    link.symlink_to(tmp_path / "m.parquet.1.tmp")
    assert sorted(remove_stale_temps(target)) == sorted([dead, old_alive])
    assert alive.exists() and link.is_symlink() and all(p.exists() for p in others)


def test_a_full_disk_is_one_write_error_and_keeps_the_old_file(tmp_path) -> None:
    # RLIMIT_FSIZE makes writes past 1000 bytes fail with EFBIG, as a full disk fails them with ENOSPC
    code = f"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
from facebridge.storage import WriteError, atomic_write
try:
    atomic_write({str(tmp_path / 'f.txt')!r}, lambda tmp: tmp.write_text('y' * 5000))
except WriteError as exc:
    print('WriteError', exc)
"""
    (tmp_path / "f.txt").write_text("old")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert proc.stdout.startswith("WriteError cannot write"), proc.stderr
    assert (tmp_path / "f.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_one_write_error(tmp_path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(WriteError, match="cannot write"):
        atomic_write(folder / "f.txt", write_text("x"))


def test_map_files_get_the_umask_permissions_not_0600(tmp_path) -> None:
    import numpy as np

    from facebridge.embeddings import Fingerprint
    from facebridge.maps import make_map, save_map

    rng = np.random.default_rng(0)
    estimator = make_map("ridge").fit(rng.normal(size=(20, 4)), rng.normal(size=(20, 4)))
    old = os.umask(0o022)
    try:
        path = save_map(estimator, tmp_path / "m.fbmap", source=Fingerprint(model="a"), target=Fingerprint(model="b"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
