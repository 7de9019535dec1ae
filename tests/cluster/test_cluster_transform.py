"""Transform on the cluster writes the file ``transform_file`` writes, also when a worker is killed mid-run or a
local run was interrupted."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("distributed")

import cloudpickle
from distributed.diagnostics.plugin import WorkerPlugin

import facebridge.maps.apply as apply
from facebridge.cluster import transform_distributed
from facebridge.embeddings import read_embeddings
from facebridge.embeddings.io import META_KEY
from facebridge.maps.apply import parts_dir, transform_file

# The worker plugin below is defined here, so the workers get it by value rather than by importing this module.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BATCH = 100  # row groups of 250 rows: chunks of 100, 100, 50 test the numbering inside a row group


def assert_same_file(path: Path, expected: Path) -> None:
    """Same ids in the same order, same vectors, same header (fingerprint and provenance)."""
    got, want = read_embeddings(path), read_embeddings(expected)
    assert got.ids.tolist() == want.ids.tolist()
    np.testing.assert_allclose(got.vectors, want.vectors, rtol=1e-6, atol=1e-7)
    header = [json.loads(pq.read_schema(p).metadata[META_KEY]) for p in (path, expected)]
    assert header[0] == header[1]


@pytest.fixture(scope="module")
def expected(sets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("expected") / "a_as_b.parquet"
    transform_file(sets["map"], sets["a"], out, batch_rows=BATCH, extra={"migrated_from": {"file": "a.parquet"}})
    return out


def run(client, sets, out: Path) -> tuple[int, int]:
    extra = {"migrated_from": {"file": "a.parquet"}}
    _, written, reused = transform_distributed(client, sets["map"], sets["a"], out, batch_rows=BATCH, extra=extra)
    return written, reused


def test_distributed_transform_equals_transform_file(client, sets, expected, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    assert run(client, sets, out) == (1200, 0)
    assert_same_file(out, expected)
    assert not parts_dir(out).exists()


def test_a_local_run_interrupted_resumes_on_the_cluster(client, sets, expected, tmp_path, monkeypatch) -> None:
    out, real, count = tmp_path / "out.parquet", apply.write_part, [0]

    def dying(path: Path, table) -> None:
        if count[0] == 4:
            raise KeyboardInterrupt
        count[0] += 1
        real(path, table)

    monkeypatch.setattr(apply, "write_part", dying)
    with pytest.raises(KeyboardInterrupt):
        transform_file(sets["map"], sets["a"], out, batch_rows=BATCH, resume=True,
                       extra={"migrated_from": {"file": "a.parquet"}})  # fmt: skip
    monkeypatch.undo()
    assert not out.exists() and len(list(parts_dir(out).glob("part-*.parquet"))) == 4
    assert run(client, sets, out) == (1200, 350)  # chunks 0-3: 100 + 100 + 50 + 100 rows
    assert_same_file(out, expected)


class KillOnce(WorkerPlugin):
    """SIGKILLs the worker process as it starts its first task whose key names ``task`` (once: ``marker`` records
    it for every worker); with ``holder``, only a worker that holds the result of a task whose key names it."""

    def __init__(self, marker: str, task: str = "_map_chunk", holder: str | None = None) -> None:
        self.marker = marker
        self.task = task
        self.holder = holder
        self.holds = holder is None

    def transition(self, key, start: str, finish: str, **kwargs) -> None:
        if self.holder is not None and self.holder in str(key):
            self.holds = finish == "memory" or (self.holds and finish not in ("released", "forgotten"))
        if finish == "executing" and self.task in str(key) and self.holds and not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize("holder", [None, "_shared"], ids=["any-worker", "the-worker-holding-the-map"])
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(client, sets, expected, tmp_path: Path, holder) -> None:
    """Also when the killed worker is the one holding the map every chunk reads (scattered data, as it was, died
    with it and cancelled the run's chunks: 'lost dependencies')."""
    marker, out = tmp_path / "killed", tmp_path / "out.parquet"
    client.register_plugin(KillOnce(str(marker), holder=holder), name="kill-once")
    try:
        assert run(client, sets, out) == (1200, 0)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()  # a worker did die
    assert_same_file(out, expected)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it for the tests after this one
