"""``embed --scheduler``: the embedding tasks run on Dask workers (models loaded once per worker process, one part
per chunk and model written atomically by the worker), and the store equals one process's, also when a worker is
killed mid-chunk."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from facebridge.cli.main import main
from facebridge.embeddings import read_embeddings
from facebridge.extraction.extract import embed_folder
from tests.cluster.test_cluster_transform import KillOnce
from tests.extraction.test_extract import lfw_copy

pytestmark = pytest.mark.models
MODELS = ["edgeface-xxs", "mobilefacenet-ncnn"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A small LFW copy and its store embedded in one process."""
    folder = tmp_path_factory.mktemp("cluster-embed")
    root = folder / "images"
    lfw_copy(root)
    embed_folder(folder / "one", MODELS, root, chunk_size=4, workers=1)
    return root, {m: read_embeddings(folder / "one" / f"{m}.parquet") for m in MODELS}


def assert_same_store(store: Path, expected: dict) -> None:
    for name, want in expected.items():
        got = read_embeddings(store / f"{name}.parquet")
        assert sorted(got.ids) == sorted(want.ids) and len(set(got.ids)) == got.n  # nothing lost or duplicated
        np.testing.assert_allclose(got.vectors_of(want.ids), want.vectors, rtol=1e-5, atol=1e-5)
        assert got.fingerprint == want.fingerprint


def test_embed_on_the_cluster_equals_one_process(client, reference, tmp_path, capsys, monkeypatch) -> None:
    """Relative paths, from a working folder the workers do not share: the tasks must get absolute ones."""
    root, expected = reference
    monkeypatch.chdir(tmp_path)
    images = os.path.relpath(root, tmp_path)
    code = main(["embed", "--images", images, "--model", ",".join(MODELS), "--out", "store", "--chunk-size", "4",
                 "--scheduler", client.scheduler.address])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert_same_store(tmp_path / "store", expected)


def test_a_worker_killed_mid_chunk_loses_and_duplicates_nothing(client, reference, tmp_path) -> None:
    root, expected = reference
    marker = tmp_path / "killed"
    client.register_plugin(KillOnce(str(marker), task="embed_chunk"), name="kill-on-embed")
    try:
        embed_folder(tmp_path / "store", MODELS, root, chunk_size=4, workers=2, executor=client.get_executor())
    finally:
        client.unregister_worker_plugin("kill-on-embed")
    assert marker.exists()  # a worker did die; its chunk was retried elsewhere
    assert_same_store(tmp_path / "store", expected)
    client.wait_for_workers(2, timeout=60)
