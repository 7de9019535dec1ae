"""Apply a map file to an embedding file: a new set in the map's target space, written chunk by chunk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings import Fingerprint, iter_parquet_batches, read_embeddings
from facebridge.embeddings.io import embedding_schema, file_header
from facebridge.maps.io import load_map
from facebridge.maps.map_file import MapFile
from facebridge.storage import atomic_write


def _batches(path: Path, batch_rows: int) -> tuple[Fingerprint, int, Iterator[tuple[np.ndarray, np.ndarray]]]:
    """The input's fingerprint, dim and ``(ids, vectors)`` chunks: Parquet streamed, npz/CSV read whole."""
    if path.suffix.lower() == ".parquet" and path.is_file():
        chunks = iter_parquet_batches(path, batch_rows)
        header = file_header(pq.read_schema(path), path)
        return Fingerprint.from_dict(header["fingerprint"]), int(header["dim"]), chunks
    es = read_embeddings(path)
    return es.fingerprint, es.dim, iter([(es.ids, es.vectors)])


def transform_file(
    map_path: str | os.PathLike[str],
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    batch_rows: int = 65536,
) -> tuple[MapFile, int]:
    """Map every embedding of ``source`` (a set in the map's source space) into ``out`` (Parquet), atomically.

    ``out`` carries the map's target fingerprint and, under ``map`` in its header, the map's method, params,
    fingerprints, provenance and tensor digest. Memory is bounded by ``batch_rows`` rows at a time (one Parquet
    row group each) for Parquet input. Returns the map and the number of rows written.
    """
    source = Path(source)
    fingerprint, dim, chunks = _batches(source, batch_rows)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    schema = embedding_schema(
        loaded.target_dim, loaded.target, extra={"map": {**loaded.to_dict(), "file": Path(map_path).name}}
    )
    written = 0

    def write(tmp: Path) -> None:
        nonlocal written
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for ids, vectors in chunks:
                mapped = np.asarray(loaded.estimator.transform(vectors.astype(np.float64)), dtype=np.float32)
                emb = pa.FixedSizeListArray.from_arrays(pa.array(mapped.ravel(), pa.float32()), loaded.target_dim)
                writer.write_table(pa.Table.from_arrays([pa.array(ids.astype(str), pa.string()), emb], schema=schema))
                written += len(ids)

    atomic_write(out, write)
    return loaded, written
