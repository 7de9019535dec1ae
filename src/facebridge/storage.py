"""Crash-safe file writes shared by every store (embeddings, detection caches, maps, reports)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then move ``tmp`` over ``path``: a crash leaves the old file or the complete new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_table(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as a zstd-compressed Parquet file, atomically."""
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
