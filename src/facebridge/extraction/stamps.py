"""File stamps: each image's size and modification time when its store last took it in, so that a photo replaced
under the same name is detected and embedded again instead of keeping the old photo's embedding."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from facebridge.embeddings.store import STAMPS_FILE, STATUS_FILE, read_status, read_store_table, write_status
from facebridge.faces.cache import DetectionCache
from facebridge.images import image_file
from facebridge.storage import atomic_write_table

log = logging.getLogger(__name__)

STAMPS_SCHEMA = pa.schema([("id", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64())])
Stamps = dict[str, tuple[int, int]]


def file_stamps(root: Path, image_ids: Sequence[str]) -> Stamps:
    """id -> (size in bytes, modification time in ns) of each image file under ``root`` that exists."""
    out: Stamps = {}
    for image_id in image_ids:
        try:
            st = os.stat(image_file(root, image_id))
        except OSError:
            continue  # gone since it was listed: its decode status will say so
        out[image_id] = (int(st.st_size), int(st.st_mtime_ns))
    return out


def read_stamps(path: Path) -> Stamps:
    """The stamps a store recorded (empty when it has none yet: a store from before stamps, or a new one)."""
    if not path.is_file():
        return {}
    t = read_store_table(path).to_pydict()
    return {i: (int(s), int(m)) for i, s, m in zip(t["id"], t["size"], t["mtime_ns"], strict=True)}


def write_stamps(path: Path, stamps: Stamps) -> None:
    ids = sorted(stamps)
    arrays = [pa.array(ids, pa.string()), pa.array([stamps[i][0] for i in ids], pa.int64()),
              pa.array([stamps[i][1] for i in ids], pa.int64())]  # fmt: skip
    atomic_write_table(pa.Table.from_arrays(arrays, schema=STAMPS_SCHEMA), path)


def forget_changed(out: Path, root: Path, image_ids: Sequence[str]) -> list[str]:
    """Ids of ``image_ids`` whose file's size or modification time differs from the store's stamp, with everything
    the store holds of them removed (status row, cached detections, rows of every model's parts and combined set),
    so that this run detects and embeds them again; then every listed image's stamp is recorded.

    Forgetting comes first: a run killed in between forgets them again on the next start.
    """
    now, before = file_stamps(root, image_ids), read_stamps(out / STAMPS_FILE)
    changed = sorted(i for i, stamp in now.items() if before.get(i, stamp) != stamp)
    if changed:
        _forget(out, set(changed))
        log.warning("%d images changed on disk since they were embedded; embedding them again", len(changed))
    merged = {**before, **now}
    if merged != before:
        write_stamps(out / STAMPS_FILE, merged)
    return changed


def _forget(out: Path, ids: set[str]) -> None:
    rows = read_status(out / STATUS_FILE)
    if ids & rows.keys():
        write_status(out / STATUS_FILE, {i: r for i, r in rows.items() if i not in ids})
    for path in out.glob("detections-*.parquet"):
        cache = DetectionCache.load(path)
        cache.discard(ids)
        cache.flush()
    for part_dir in (p for p in (out / "parts").glob("*") if p.is_dir()):
        for path in [*part_dir.glob("part-*.parquet"), out / f"{part_dir.name}.parquet"]:
            if path.is_file():
                _drop_rows(path, ids)


def _drop_rows(path: Path, ids: set[str]) -> None:
    """Rewrite the Parquet set ``path`` without the rows of ``ids`` (its header kept); a part left empty is removed."""
    table = read_store_table(path)
    keep = np.array([i not in ids for i in table.column("id").to_pylist()], dtype=bool)
    if keep.all():
        return
    if not keep.any() and path.name.startswith("part-"):
        path.unlink()
        return
    atomic_write_table(table.filter(pa.array(keep)), path)
