"""Apply a map file to a Parquet embedding file on a Dask cluster: one task per chunk, each written as its own part.

The chunks, their numbering, the parts folder and its checkpoint are those of
:func:`facebridge.maps.apply.transform_file` with ``resume=True``, so the output is the same file, a run killed
locally or on the cluster resumes either way, and a task re-run after a worker died overwrites its part whole
(parts are written atomically under their chunk's number): nothing is lost or written twice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from facebridge.cluster.run import parquet_input, wait
from facebridge.embeddings.io import parquet_chunks, read_parquet_chunk
from facebridge.maps.apply import (
    checkpointed,
    join_parts,
    mapped_schema,
    mapped_table,
    output_lock,
    part_path,
    write_part,
)
from facebridge.maps.io import load_map
from facebridge.maps.map_file import MapFile


def _shared(value: tuple[MapFile, pa.Schema]) -> tuple[MapFile, pa.Schema]:
    """``value`` itself: the map and output schema every chunk task reads (see ``transform_distributed``)."""
    return value


def _map_chunk(shared: tuple[MapFile, pa.Schema], source: str, chunk: tuple[int, int, int], part: str) -> int:
    """Map one chunk of ``source`` into the part file ``part``; returns its rows."""
    loaded, schema = shared
    ids, vectors = read_parquet_chunk(source, *chunk)
    write_part(Path(part), mapped_table(loaded, schema, ids, vectors))  # type: ignore[arg-type]
    return len(ids)


def transform_distributed(
    client: Any,
    map_path: str | os.PathLike[str],
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    batch_rows: int = 65536,
    extra: dict | None = None,
    progress: bool = False,
) -> tuple[MapFile, int, int]:
    """:func:`~facebridge.maps.apply.transform_file` (``resume=True``) with the chunks mapped on ``client``'s
    cluster; ``source`` must be Parquet, and the workers must see ``source`` and ``out``'s folder at the same paths.

    The map goes to each worker once. Returns the map, the rows written and the rows reused from a checkpoint.
    """
    source, map_path = Path(source), Path(map_path)
    fingerprint, dim = parquet_input(source)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    schema = mapped_schema(loaded, map_path, extra)
    with output_lock(out):
        parts, done = checkpointed(out, map_path, source, batch_rows)
        chunks = parquet_chunks(source, batch_rows)
        reused = sum(stop - start for i, (_, start, stop) in enumerate(chunks) if i in done)
        # The map travels as a task's result, not as scattered data: a worker killed mid-run takes scattered data
        # it alone held with it and every chunk needing it is cancelled ("lost dependencies"), while a lost task
        # result is computed again from the task. pure=False: a fresh key per run, never a previous run's copy.
        shared = client.submit(_shared, (loaded, schema), pure=False)
        futures = [
            client.submit(
                _map_chunk, shared, str(source.resolve()), chunk, str(part_path(parts, i).resolve()), pure=False
            )
            for i, chunk in enumerate(chunks)
            if i not in done
        ]
        wait(futures, progress)
        client.gather(futures)  # re-raises the first failed chunk's error
        return loaded, join_parts(out, schema, parts, len(chunks)), reused
