"""One LocalCluster for every cluster test (2 worker processes, one thread each), and small synthetic Parquet sets
whose row groups differ between source and target and whose ids only partly overlap, in another order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from facebridge.embeddings import Fingerprint
from facebridge.embeddings.io import embedding_schema
from facebridge.maps import make_map, save_map

N, DX, DY = 1200, 24, 16


@pytest.fixture(scope="package")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster) as c,
    ):
        yield c


def write_set(path: Path, ids: np.ndarray, vectors: np.ndarray, model: str, row_group: int) -> Path:
    """A facebridge Parquet set of ``vectors`` (n, d) written in row groups of ``row_group`` rows."""
    schema = embedding_schema(vectors.shape[1], Fingerprint(model))
    emb = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    pq.write_table(pa.Table.from_arrays([pa.array(ids.tolist()), emb], schema=schema), path, row_group_size=row_group)
    return path


@pytest.fixture(scope="package")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``a`` (N x DX, row groups of 250) and ``b`` (DY-d, 200): b holds N - 100 of a's ids, shuffled; ``c`` holds
    b's space for all of a's ids in a's order and row groups (as a store's sets do); ``map`` is an affine map a -> b
    fitted in one process."""
    folder = tmp_path_factory.mktemp("cluster-sets")
    rng = np.random.default_rng(7)
    ids = np.array([f"person{i % 60:02d}/{i:05d}.jpg" for i in range(N)], dtype=object)
    x = rng.standard_normal((N, DX)).astype(np.float32)
    y = (x @ rng.standard_normal((DX, DY)) + 0.3 * rng.standard_normal((N, DY))).astype(np.float32)
    keep = rng.permutation(N)[: N - 100]
    a = write_set(folder / "a.parquet", ids, x, "model-a", 250)
    b = write_set(folder / "b.parquet", ids[keep], y[keep], "model-b", 200)
    c = write_set(folder / "c.parquet", ids, y, "model-c", 250)
    shared = np.sort(keep)
    fitted = make_map("affine_fixed").fit(x[shared], y[shared])
    save_map(fitted, folder / "a2b.fbmap", source=Fingerprint("model-a"), target=Fingerprint("model-b"))
    return {"a": a, "b": b, "c": c, "map": folder / "a2b.fbmap", "dir": folder}
