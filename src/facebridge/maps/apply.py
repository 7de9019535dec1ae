"""Apply a map file to an embedding file: a new set in the map's target space, written chunk by chunk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings import iter_parquet_batches, read_embeddings
from facebridge.embeddings.io import embedding_schema, parquet_space
from facebridge.errors import DataFormatError
from facebridge.fingerprint import Fingerprint
from facebridge.maps.io import load_map
from facebridge.maps.map_file import MapFile
from facebridge.storage import atomic_write, exclusive_lock


def _batches(path: Path, batch_rows: int) -> tuple[Fingerprint, int, Iterator[tuple[np.ndarray, np.ndarray]]]:
    """The input's fingerprint, dim and ``(ids, vectors)`` chunks: Parquet streamed, npz/CSV read whole."""
    if path.suffix.lower() == ".parquet" and path.is_file():
        return (*parquet_space(path), iter_parquet_batches(path, batch_rows))
    es = read_embeddings(path)
    return es.fingerprint, es.dim, iter([(es.ids, es.vectors)])


def _reported(
    chunks: Iterator[tuple[np.ndarray, np.ndarray]], source: Path, progress: Callable[[str, float, float], None]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``chunks``, calling ``progress("map", rows, total)`` at the start and once the consumer has handled each
    chunk (npz and CSV inputs are one chunk, read whole already)."""
    if source.suffix.lower() == ".parquet":
        total = pq.ParquetFile(source).metadata.num_rows
    else:
        chunks = iter(held := list(chunks))
        total = sum(len(ids) for ids, _ in held)
    done = 0
    progress("map", done, total)
    for ids, vectors in chunks:
        yield ids, vectors
        done += len(ids)
        progress("map", done, total)


def mapped_schema(loaded: MapFile, map_path: Path, extra: dict | None = None) -> pa.Schema:
    """The output schema: the map's target fingerprint and, under ``map``, its :meth:`MapFile.to_dict` and file name
    (plus ``extra`` header entries)."""
    header = {**(extra or {}), "map": {**loaded.to_dict(), "file": map_path.name}}
    return embedding_schema(loaded.target_dim, loaded.target, extra=header)


def mapped_table(
    loaded: MapFile,
    schema: pa.Schema,
    ids: np.ndarray,
    vectors: np.ndarray,
    after: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pa.Table:
    """One chunk ``ids`` (m,), ``vectors`` (m, source_dim) mapped (then passed through ``after``, e.g. a deployment
    alignment) into a table of ``schema``."""
    mapped = loaded.estimator.transform(vectors.astype(np.float64))
    mapped = np.asarray(mapped if after is None else after(mapped), dtype=np.float32)
    emb = pa.FixedSizeListArray.from_arrays(pa.array(mapped.ravel(), pa.float32()), loaded.target_dim)
    return pa.Table.from_arrays([pa.array(ids.astype(str), pa.string()), emb], schema=schema)


def parts_dir(out: str | os.PathLike[str]) -> Path:
    """Where a resumable run keeps its finished chunks: ``.<out name>.parts`` beside ``out``."""
    out = Path(out)
    return out.with_name(f".{out.name}.parts")


@contextmanager
def output_lock(out: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``out``'s lock (``.<out name>.lock`` beside it, removed when done) while a run writes ``out`` and its
    parts folder: a second run into the same file fails with BusyError instead of sharing, and then deleting, the
    first one's parts."""
    out = Path(out)
    with exclusive_lock(out.with_name(f".{out.name}.lock"), str(out), remove=True):
        yield


def part_path(parts: Path, index: int) -> Path:
    """The file of chunk ``index`` (numbered as :func:`facebridge.embeddings.io.parquet_chunks` orders them)."""
    return parts / f"part-{index:08d}.parquet"


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


def checkpointed(out: str | os.PathLike[str], map_path: Path, source: Path, batch_rows: int) -> tuple[Path, set[int]]:
    """The parts folder of ``out`` and the chunks already finished there by a run with the same input, map and
    ``batch_rows``; a checkpoint of another run is discarded."""
    parts = parts_dir(out)
    key = _run_key(map_path, source, batch_rows)
    manifest = parts / "manifest.json"
    if parts.is_dir() and manifest.is_file() and json.loads(manifest.read_text()) == key:
        return parts, {int(p.stem.split("-")[1]) for p in parts.glob("part-*.parquet")}
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    atomic_write(manifest, lambda tmp: tmp.write_text(json.dumps(key)))
    return parts, set()


def write_part(path: Path, table: pa.Table) -> None:
    """One finished chunk, atomically: a killed writer leaves no part, a re-run overwrites it whole."""
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def write_tables(out: str | os.PathLike[str], schema: pa.Schema, tables: Iterable[pa.Table]) -> int:
    """Write ``tables`` one after another into ``out`` atomically; returns the rows written."""
    written = 0

    def write(tmp: Path) -> None:
        nonlocal written
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for table in tables:
                writer.write_table(table)
                written += table.num_rows

    atomic_write(out, write)
    return written


def join_parts(out: str | os.PathLike[str], schema: pa.Schema, parts: Path, n_chunks: int) -> int:
    """Join the finished chunks in ``parts`` into ``out`` in chunk order, then remove them; returns the rows.

    Every chunk ``0 .. n_chunks - 1`` must have its part: a missing one raises DataFormatError before ``out`` is
    touched (the parts are kept, so a re-run maps only what is missing).
    """
    found = {int(p.stem.split("-")[1]): p for p in parts.glob("part-*.parquet")}
    missing = sorted(set(range(n_chunks)) - set(found))
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (", ..." if len(missing) > 5 else "")
        raise DataFormatError(
            f"{parts}: {len(missing)} of {n_chunks} chunks (chunk {shown}) have no part; {out} is left as it was: "
            "run again to map what is missing"
        )
    written = write_tables(out, schema, (pq.read_table(found[i]) for i in range(n_chunks)))
    shutil.rmtree(parts, ignore_errors=True)
    return written


def transform_file(
    map_path: str | os.PathLike[str],
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    batch_rows: int = 65536,
    resume: bool = False,
    extra: dict | None = None,
    progress: Callable[[str, float, float], None] | None = None,
) -> tuple[MapFile, int, int]:
    """Map every embedding of ``source`` (a set in the map's source space) into ``out`` (Parquet), atomically.

    ``out`` carries the map's target fingerprint and, under ``map`` in its header, the map's method, params,
    fingerprints, provenance and tensor digest (plus ``extra`` header entries). Memory is bounded by ``batch_rows``
    rows at a time (one Parquet row group each) for Parquet input. With ``resume``, each mapped chunk is kept in
    :func:`parts_dir` as it is finished, so a killed run started again with the same input, map and
    ``batch_rows`` maps only the chunks it had not finished; the parts are joined into ``out`` at the end and
    removed. One run at a time writes ``out`` (:func:`output_lock`: a second raises BusyError). Returns the map,
    the rows written and the rows reused from a checkpoint. ``progress("map", rows done, rows in all)`` after each
    chunk.
    """
    source, map_path = Path(source), Path(map_path)
    fingerprint, dim, chunks = _batches(source, batch_rows)
    if progress is not None:
        chunks = _reported(chunks, source, progress)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    schema = mapped_schema(loaded, map_path, extra)
    if not resume:
        with output_lock(out):
            return loaded, write_tables(out, schema, (mapped_table(loaded, schema, i, v) for i, v in chunks)), 0
    with output_lock(out):
        parts, done = checkpointed(out, map_path, source, batch_rows)
        reused, n_chunks = 0, 0
        for i, (ids, vectors) in enumerate(chunks):
            n_chunks += 1
            if i in done:
                reused += len(ids)
            else:
                write_part(part_path(parts, i), mapped_table(loaded, schema, ids, vectors))
        return loaded, join_parts(out, schema, parts, n_chunks), reused
