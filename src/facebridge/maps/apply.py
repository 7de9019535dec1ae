"""Apply a map file to an embedding file: a new set in the map's target space, written chunk by chunk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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


def _mapped_table(loaded: MapFile, schema: pa.Schema, ids: np.ndarray, vectors: np.ndarray) -> pa.Table:
    mapped = np.asarray(loaded.estimator.transform(vectors.astype(np.float64)), dtype=np.float32)
    emb = pa.FixedSizeListArray.from_arrays(pa.array(mapped.ravel(), pa.float32()), loaded.target_dim)
    return pa.Table.from_arrays([pa.array(ids.astype(str), pa.string()), emb], schema=schema)


def parts_dir(out: str | os.PathLike[str]) -> Path:
    """Where a resumable run keeps its finished chunks: ``.<out name>.parts`` beside ``out``."""
    out = Path(out)
    return out.with_name(f".{out.name}.parts")


def _run_key(map_path: Path, source: Path, batch_rows: int) -> dict:
    """What a checkpoint must match to be reused: the same input file, map file and chunking."""
    stat = source.stat()
    digest = hashlib.sha256(map_path.read_bytes()).hexdigest()
    return {
        "source": str(source.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "map_sha256": digest,
        "batch_rows": batch_rows,
    }


def _checkpointed(parts: Path, key: dict) -> set[int]:
    """Chunks already finished under ``parts`` for this ``key``; a checkpoint of another run is discarded."""
    manifest = parts / "manifest.json"
    if parts.is_dir() and manifest.is_file() and json.loads(manifest.read_text()) == key:
        return {int(p.stem.split("-")[1]) for p in parts.glob("part-*.parquet")}
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    atomic_write(manifest, lambda tmp: tmp.write_text(json.dumps(key)))
    return set()


def _write_part(path: Path, table: pa.Table) -> None:
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def transform_file(
    map_path: str | os.PathLike[str],
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    batch_rows: int = 65536,
    resume: bool = False,
    extra: dict | None = None,
) -> tuple[MapFile, int, int]:
    """Map every embedding of ``source`` (a set in the map's source space) into ``out`` (Parquet), atomically.

    ``out`` carries the map's target fingerprint and, under ``map`` in its header, the map's method, params,
    fingerprints, provenance and tensor digest (plus ``extra`` header entries). Memory is bounded by ``batch_rows``
    rows at a time (one Parquet row group each) for Parquet input. With ``resume``, each mapped chunk is kept in
    :func:`parts_dir` as it is finished, so a killed run started again with the same input, map and
    ``batch_rows`` maps only the chunks it had not finished; the parts are joined into ``out`` at the end and
    removed. Returns the map, the rows written and the rows reused from a checkpoint.
    """
    source, map_path = Path(source), Path(map_path)
    fingerprint, dim, chunks = _batches(source, batch_rows)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    header = {**(extra or {}), "map": {**loaded.to_dict(), "file": map_path.name}}
    schema = embedding_schema(loaded.target_dim, loaded.target, extra=header)
    tables = (_mapped_table(loaded, schema, ids, vectors) for ids, vectors in chunks)
    reused = 0
    if resume:
        parts = parts_dir(out)
        done = _checkpointed(parts, _run_key(map_path, source, batch_rows))
        for i, (ids, vectors) in enumerate(chunks):
            if i in done:
                reused += len(ids)
            else:
                _write_part(parts / f"part-{i:08d}.parquet", _mapped_table(loaded, schema, ids, vectors))
        tables = (pq.read_table(p) for p in sorted(parts.glob("part-*.parquet")))
    written = 0

    def write(tmp: Path) -> None:
        nonlocal written
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for table in tables:
                writer.write_table(table)
                written += table.num_rows

    atomic_write(out, write)
    if resume:
        shutil.rmtree(parts, ignore_errors=True)
    return loaded, written, reused
