"""The files of an embedding store that several steps share: the status table, model parts, the lock, repair.

A store is written by one run at a time (:func:`store_lock`); each part records the sha256 of its rows
(:func:`write_part`), checked when the parts are combined, which drops rows that two runs wrote identically and
refuses ids whose vectors disagree, so that a store never holds an id twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings.io import META_KEY, file_header, to_table
from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import DataFormatError, MismatchError
from facebridge.fingerprint import Fingerprint
from facebridge.storage import atomic_write_table, exclusive_lock

log = logging.getLogger(__name__)

STATUS_FILE = "images.parquet"
#: Statuses of images that are in the store's sets: a face found, or (``--no-face centre``) the centre region.
EMBEDDED_STATUSES = ("ok", "fallback")
#: Each image's size and modification time when the store took it in (``stamps``).
STAMPS_FILE = "files.parquet"
LOCK_FILE = ".facebridge.lock"


def store_models(store: Path) -> list[str]:
    """The model names of a store's embedding sets (its ``*.parquet`` files but the statuses, stamps and detections)."""
    return sorted(
        p.stem
        for p in store.glob("*.parquet")
        if p.name not in (STATUS_FILE, STAMPS_FILE) and not p.stem.startswith("detections-")
    )
STATUS_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("status", pa.string()),
        ("note", pa.string()),
        ("detector", pa.string()),
        ("score", pa.float32()),
    ]
)
StatusRows = dict[str, tuple[str, str, str, float]]
#: The part header's field holding :func:`rows_digest` of the part's rows.
PART_DIGEST = "rows_sha256"


def read_store_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file of the store; a truncated or corrupt one is a DataFormatError naming it and ``--repair``."""
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(
            f"{path}: unreadable ({str(exc).splitlines()[0]}); re-run embed with --repair to drop it and redo its work"
        ) from None


def read_status(path: Path) -> StatusRows:
    """id -> (status, note, detector, score) of every image in the status table (empty when absent)."""
    if not path.is_file():
        return {}
    table = read_store_table(path)
    missing = [n for n in STATUS_SCHEMA.names if n not in table.column_names]
    if missing:
        raise DataFormatError(f"{path}: missing columns {missing}; re-run embed with --repair to rebuild it")
    t = table.to_pydict()
    return dict(zip(t["id"], zip(t["status"], t["note"], t["detector"], t["score"], strict=True), strict=True))


def left_out_images(store: Path, ids: Iterable[str]) -> dict[str, str]:
    """id -> status of those ``ids`` that the store's status table records as left out of its sets (no face found
    under ``--no-face skip``, or a file that did not decode); ids it does not record, or embedded, are not included."""
    rows = read_status(store / STATUS_FILE)
    return {i: rows[i][0] for i in ids if i in rows and rows[i][0] not in EMBEDDED_STATUSES}


def write_status(path: Path, rows: StatusRows) -> None:
    """Write the status table atomically, sorted by id."""
    ids = sorted(rows)
    cols = list(zip(*(rows[i] for i in ids), strict=True)) if ids else [(), (), (), ()]
    atomic_write_table(
        pa.Table.from_arrays(
            [pa.array(ids), *map(pa.array, cols[:3]), pa.array(cols[3], pa.float32())], schema=STATUS_SCHEMA
        ),
        path,
    )


def rows_digest(table: pa.Table) -> str:
    """sha256 of a table's columns (names, types and values, in order): equal for a part and its Parquet read-back,
    different after any flipped bit that changes a value."""
    digest = hashlib.sha256()
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_fixed_size_list(field.type) and pa.types.is_floating(field.type.value_type):
            # the list's child field is named "item" in memory and "element" once read from Parquet
            digest.update(f"{field.name}\0{field.type.value_type}[{field.type.list_size}]\0".encode())
            flat = column.combine_chunks().flatten()  # flatten honours the array's offset (a sliced table)
            digest.update(np.ascontiguousarray(flat.to_numpy(zero_copy_only=False)).tobytes())
        else:
            digest.update(f"{field.name}\0{field.type}\0".encode())
            digest.update(json.dumps(column.to_pylist(), default=repr).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def write_part(es: EmbeddingSet, path: Path) -> None:
    """One part of a model's store, atomically, its header recording :func:`rows_digest` of its rows."""
    table = to_table(es)
    header = {**file_header(table.schema, path), PART_DIGEST: rows_digest(table)}
    atomic_write_table(table.replace_schema_metadata({META_KEY: json.dumps(header).encode()}), path)


def part_damage(part: Path, table: pa.Table) -> str | None:
    """Why ``table`` (read from ``part``) is not what was written, or None; a part without a digest (written
    before parts had one) is taken as it is."""
    try:
        expected = file_header(table.schema, part).get(PART_DIGEST)
        if expected is None or expected == rows_digest(table):
            return None
    except (ValueError, pa.ArrowException) as exc:  # a flipped bit in a name or string: undecodable
        return f"unreadable ({type(exc).__name__})"
    return "its rows do not match their sha256 (the file was corrupted on disk)"


def done_ids(part_dir: Path, fingerprint: Fingerprint) -> set[str]:
    """Ids already embedded in ``part_dir``; parts made by another model version are refused, never mixed in."""
    done: set[str] = set()
    for part in sorted(part_dir.glob("part-*.parquet")):
        table = read_store_table(part, columns=["id"])
        made_by = Fingerprint.from_dict(file_header(table.schema, part)["fingerprint"])
        if made_by != fingerprint:
            raise MismatchError(
                f"{part_dir} was written by {made_by} but the model is now {fingerprint} (weights or preprocessing "
                f"changed); embed into a new --out folder, or remove {part_dir} to re-embed this model"
            )
        done.update(table.column("id").to_pylist())
    return done


def _without_duplicates(table: pa.Table, parts: list[Path], tables: list[pa.Table]) -> pa.Table:
    """``table`` (sorted by id) less rows repeating the previous row's id and vector; conflicting vectors raise."""
    ids = np.asarray(table.column("id").to_pylist(), dtype=object)
    dup = np.flatnonzero(ids[1:] == ids[:-1]) + 1
    if not len(dup):
        return table
    emb = table.column("embedding").combine_chunks()
    vectors = emb.flatten().to_numpy(zero_copy_only=False).reshape(len(ids), emb.type.list_size)
    differ = dup[np.any(vectors[dup] != vectors[dup - 1], axis=1)]
    if len(differ):
        bad = ids[differ[0]]
        where = [p.name for p, t in zip(parts, tables, strict=True) if bad in set(t.column("id").to_pylist())]
        raise DataFormatError(
            f"{parts[0].parent}: id {bad!r} (and {len(differ) - 1} more) has different embeddings in {', '.join(where)}"
            "; two runs disagreed: remove one of these parts (or the folder, to re-embed the model)"
        )
    log.warning("%s: dropped %d rows that two runs wrote identically", parts[0].parent, len(dup))
    keep = np.ones(len(ids), dtype=bool)
    keep[dup] = False
    return table.filter(pa.array(keep))


def combine_parts(part_dir: Path, out: Path) -> int:
    """Concatenate a model's parts into one Parquet file sorted by id (atomically); returns the row count.

    Rows repeated with the same vector (two runs on one store) are kept once; the same id with different vectors
    raises DataFormatError naming the parts.
    """
    parts = sorted(part_dir.glob("part-*.parquet"))
    if not parts:
        return 0
    tables = [read_store_table(p) for p in parts]
    for part, table in zip(parts, tables, strict=True):
        damage = part_damage(part, table)
        if damage:
            raise DataFormatError(f"{part}: {damage}; re-run embed with --repair to drop it and re-embed its images")
    table = _without_duplicates(pa.concat_tables(tables).sort_by("id"), parts, tables)
    header = {k: v for k, v in file_header(table.schema, out).items() if k != PART_DIGEST}
    atomic_write_table(table.replace_schema_metadata({META_KEY: json.dumps(header).encode()}), out)
    return table.num_rows


def repair_store(out: Path) -> list[Path]:
    """Remove the store's unreadable Parquet files (status table, detection caches, parts) and the parts whose rows
    do not match their sha256; returns them.

    Their work is redone by the next run: images are detected again, a dropped part's ids are embedded again.
    """
    candidates = [out / STATUS_FILE, out / STAMPS_FILE, *out.glob("detections-*.parquet"),
                  *out.glob("parts/*/part-*.parquet")]  # fmt: skip
    removed = []
    for path in candidates:
        if not path.is_file():
            continue
        try:
            table = pq.read_table(path)
            damage = part_damage(path, table) if path.parent.parent.name == "parts" else None
        except (pa.ArrowException, OSError, DataFormatError):
            damage = "unreadable"
        if damage:
            path.unlink()
            removed.append(path)
            log.warning("%s: %s; removed (its work is redone)", path, damage)
    return removed


@contextmanager
def store_lock(out: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the store's exclusive lock (``out/.facebridge.lock``, :func:`~facebridge.storage.exclusive_lock`) while
    the body runs: another holder makes this raise BusyError, or, with ``wait``, block until it is done."""
    with exclusive_lock(out / LOCK_FILE, f"store {out}", wait=wait, hint="wait for it, or pass --wait"):
        yield
