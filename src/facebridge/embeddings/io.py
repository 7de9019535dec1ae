"""Read and write embedding sets: Parquet (native), ``.npz`` and CSV (interchange). Never unpickles.

Parquet layout: one row per image, columns ``id`` (string), ``embedding`` (fixed-size list of float32) and
optional meta columns; the fingerprint and format version live in the schema metadata under ``facebridge``.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import DataFormatError, FacebridgeError, MissingFileError
from facebridge.fingerprint import Fingerprint
from facebridge.storage import atomic_write_table

FORMAT_VERSION = 1
META_KEY = b"facebridge"


def embedding_schema(
    dim: int, fingerprint: Fingerprint, meta_fields: list[pa.Field] | None = None, extra: dict | None = None
) -> pa.Schema:
    """The Parquet schema of a set of ``dim``-d embeddings, with the fingerprint (and ``extra`` header entries, e.g.
    the map a set was mapped with) in its metadata."""
    header = {**(extra or {}), "format_version": FORMAT_VERSION, "dim": dim, "fingerprint": fingerprint.to_dict()}
    cols = [pa.field("id", pa.string(), nullable=False), pa.field("embedding", pa.list_(pa.float32(), dim))]
    return pa.schema(cols + list(meta_fields or []), metadata={META_KEY: json.dumps(header).encode()})


def _meta_array(values: np.ndarray) -> pa.Array:
    if values.ndim == 2:
        flat = pa.array(values.astype(np.float32).ravel())
        return pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
    if values.dtype.kind in "OUS":
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.array(values)


def to_table(es: EmbeddingSet) -> pa.Table:
    """The Arrow table of ``es`` in the Parquet layout."""
    emb = pa.FixedSizeListArray.from_arrays(pa.array(es.vectors.ravel(), type=pa.float32()), es.dim)
    arrays = [pa.array(es.ids.astype(str), type=pa.string()), emb]
    metas = [_meta_array(v) for v in es.meta.values()]
    fields = [pa.field(k, a.type) for k, a in zip(es.meta, metas, strict=True)]
    return pa.Table.from_arrays(arrays + metas, schema=embedding_schema(es.dim, es.fingerprint, fields))


def write_parquet(es: EmbeddingSet, path: str | os.PathLike[str]) -> None:
    """Write ``es`` to ``path`` atomically."""
    atomic_write_table(to_table(es), path)


def file_header(schema: pa.Schema, path: Path) -> dict:
    """The facebridge header (format version, dim, fingerprint) of a Parquet schema, checked: ``dim`` an integer
    >= 1 that matches the ``embedding`` column's width (readers that stream the file trust it)."""
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise DataFormatError(f"{path}: not a facebridge embedding file (no '{META_KEY.decode()}' metadata)")
    try:
        header = json.loads(raw)
        version = int(header["format_version"])
        Fingerprint.from_dict(header["fingerprint"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DataFormatError(f"{path}: unreadable facebridge metadata ({type(exc).__name__}: {exc})") from None
    if version > FORMAT_VERSION:
        raise DataFormatError(f"{path}: format version {version} is newer than this facebridge ({FORMAT_VERSION})")
    dim = header.get("dim")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise DataFormatError(f"{path}: facebridge metadata needs an integer 'dim' >= 1, got {dim!r}")
    index = schema.get_field_index("embedding")  # -1 when absent or duplicated (the readers refuse both)
    field = schema.field(index) if index >= 0 else None
    if field is not None and pa.types.is_fixed_size_list(field.type) and field.type.list_size != dim:
        raise DataFormatError(f"{path}: metadata says dim {dim}, but 'embedding' holds {field.type.list_size} values")
    return header


def _numeric_list(type_: pa.DataType) -> bool:
    value = getattr(type_, "value_type", None)
    return pa.types.is_fixed_size_list(type_) and (pa.types.is_floating(value) or pa.types.is_integer(value))


def _vectors(column: pa.ChunkedArray | pa.Array, path: Path, name: str = "embedding") -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if not _numeric_list(column.type) or column.null_count:
        raise DataFormatError(f"{path}: {name!r} must be a non-null fixed-size list of numbers, got {column.type}")
    dim = column.type.list_size
    return column.flatten().to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, dim)


def _read_parquet(path: Path) -> EmbeddingSet:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    header = file_header(table.schema, path)
    if "id" not in table.column_names or "embedding" not in table.column_names:
        raise DataFormatError(f"{path}: needs columns 'id' and 'embedding'")
    if not pa.types.is_string(table.schema.field("id").type):
        raise DataFormatError(f"{path}: 'id' must be a string column, got {table.schema.field('id').type}")
    meta = {}
    for name in table.column_names:
        if name in ("id", "embedding"):
            continue
        col = table.column(name)
        if pa.types.is_fixed_size_list(col.type):
            meta[name] = _vectors(col, path, name)
        elif pa.types.is_string(col.type):
            meta[name] = np.asarray(col.to_pylist(), dtype=object)
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type):
            meta[name] = np.asarray(col.to_pylist())
        else:
            raise DataFormatError(
                f"{path}: meta column {name!r} has type {col.type}; use strings, numbers or fixed-size lists"
            )
    return EmbeddingSet(
        np.asarray(table.column("id").to_pylist(), dtype=object),
        _vectors(table.column("embedding"), path),
        Fingerprint.from_dict(header["fingerprint"]),
        meta,
    )


#: An npz member larger than this whose zip entry is over :data:`MAX_NPZ_RATIO` times smaller is a zip bomb.
NPZ_SMALL_BYTES = 1 << 20
MAX_NPZ_RATIO = 20


def _check_npz_sizes(path: Path) -> None:
    """Refuse a zip bomb from the sizes the zip declares, before anything is decompressed.

    Embeddings are floats that barely compress, so a member inflating more than :data:`MAX_NPZ_RATIO` times is
    refused, as is any member declaring more bytes than the file could hold at that ratio.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.file_size > NPZ_SMALL_BYTES and info.file_size > MAX_NPZ_RATIO * max(info.compress_size, 1):
                    raise DataFormatError(
                        f"{path}: member {info.filename!r} would inflate {info.compress_size} bytes to "
                        f"{info.file_size} (over {MAX_NPZ_RATIO}x); refusing a likely zip bomb"
                    )
                if info.filename.endswith(".npy") and _npy_bytes(zf, info) > info.file_size:
                    raise DataFormatError(f"{path}: member {info.filename!r} declares more data than it holds")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error) as exc:
        if isinstance(exc, FacebridgeError):
            raise
        raise DataFormatError(f"{path}: not a readable .npz (zip) file ({exc})") from None


def _npy_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The data size an ``.npy`` member's header declares (shape x itemsize), reading only the header."""
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version not in ((1, 0), (2, 0)):
            return 0  # other versions are left to np.load's own checks
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(fh, max_header_size=10000)
    return int(np.prod(shape, dtype=object)) * dtype.itemsize


def _read_npz(path: Path, model: str) -> EmbeddingSet:
    _check_npz_sizes(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            if "ids" not in data or "embeddings" not in data:
                raise DataFormatError(f"{path}: .npz needs arrays 'ids' and 'embeddings', has {sorted(data)}")
            ids, vectors = data["ids"], data["embeddings"]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataFormatError(f"{path}: not a readable .npz without pickles ({exc})") from None
    if ids.dtype.kind not in "US":
        raise DataFormatError(f"{path}: 'ids' must be a string array, got dtype {ids.dtype}")
    return EmbeddingSet(ids.astype(str).astype(object), vectors, Fingerprint(model=model))


def _read_csv(path: Path, model: str) -> EmbeddingSet:
    try:
        with open(path, encoding="utf-8-sig") as fh:  # -sig: a byte-order mark (Excel's "CSV UTF-8") is dropped
            header = fh.readline().strip().split(",")
            if len(header) < 2 or header[0] != "id":
                raise DataFormatError(f"{path}: CSV header must be 'id,v0,v1,...', got {','.join(header[:3])}...")
            ids: list[str] = []
            rows: list[list[float]] = []
            for lineno, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                parts = line.rstrip("\n").split(",")
                if len(parts) != len(header):
                    raise DataFormatError(f"{path}:{lineno}: {len(parts)} fields, header has {len(header)}")
                ids.append(parts[0])
                rows.append([float(v) for v in parts[1:]])
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: CSV is not UTF-8 text") from None
    except ValueError as exc:
        if isinstance(exc, FacebridgeError):
            raise
        raise DataFormatError(f"{path}: non-numeric value in CSV ({exc})") from None
    vectors = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(header) - 1)
    return EmbeddingSet(np.asarray(ids, dtype=object), vectors, Fingerprint(model=model))


def read_embeddings(path: str | os.PathLike[str], *, model: str | None = None) -> EmbeddingSet:
    """Read an embedding set from ``.parquet``, ``.npz`` (arrays ``ids``, ``embeddings``) or ``.csv``.

    ``model`` names the space for formats that carry no fingerprint (npz, CSV); it defaults to the file stem.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"embedding file not found: {path}")
    suffix = path.suffix.lower()
    name = model or path.stem
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".npz":
        return _read_npz(path, name)
    if suffix == ".csv":
        return _read_csv(path, name)
    raise DataFormatError(f"{path}: unknown embedding format {suffix!r} (use .parquet, .npz or .csv)")


def _parquet_file(path: Path) -> pq.ParquetFile:
    """``path`` opened as a facebridge Parquet embedding file (header checked)."""
    if not path.is_file():
        raise MissingFileError(f"embedding file not found: {path}")
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    file_header(pf.schema_arrow, path)
    return pf


def parquet_space(path: str | os.PathLike[str]) -> tuple[Fingerprint, int]:
    """The fingerprint and dim of a Parquet embedding file, from its footer alone."""
    path = Path(path)
    header = file_header(_parquet_file(path).schema_arrow, path)
    return Fingerprint.from_dict(header["fingerprint"]), header["dim"]


def _slices(pf: pq.ParquetFile, batch_size: int) -> list[tuple[int, int, int]]:
    meta = pf.metadata
    return [
        (group, start, min(start + batch_size, meta.row_group(group).num_rows))
        for group in range(meta.num_row_groups)
        for start in range(0, meta.row_group(group).num_rows, batch_size)
    ]


def parquet_chunks(path: str | os.PathLike[str], batch_size: int = 65536) -> list[tuple[int, int, int]]:
    """``(row group, start, stop)`` of each chunk :func:`iter_parquet_batches` yields, in the same order: chunk ``i``
    can be read on its own (:func:`read_parquet_chunk`), e.g. by another machine. Reads only the file's footer."""
    return _slices(_parquet_file(Path(path)), batch_size)


def _chunk(table: pa.Table, start: int, stop: int, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    part = table.slice(start, stop - start)
    ids = np.asarray(part.column("id").to_pylist(), dtype=object)
    return ids, _vectors(part.column("embedding"), path) if "embedding" in part.column_names else None


def read_parquet_chunk(
    path: str | os.PathLike[str], group: int, start: int, stop: int, *, vectors: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(ids, vectors)`` of rows ``start:stop`` of row group ``group`` (vectors None unless ``vectors``)."""
    path = Path(path)
    columns = ["id", "embedding"] if vectors else ["id"]
    return _chunk(_parquet_file(path).read_row_group(group, columns=columns), start, stop, path)


def iter_parquet_batches(
    path: str | os.PathLike[str], batch_size: int = 65536
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Stream ``(ids, vectors)`` chunks of at most ``batch_size`` rows of a Parquet embedding file without loading it
    whole: memory is bounded by one row group."""
    path = Path(path)
    pf = _parquet_file(path)
    # Row group by row group: ``ParquetFile.iter_batches`` keeps memory growing with the file (measured: 430 MB peak
    # at 65,536 x 512, 830 MB at 262,144), reading one row group at a time stays flat.
    table, loaded = None, -1
    for group, start, stop in _slices(pf, batch_size):
        if group != loaded:
            del table
            table, loaded = pf.read_row_group(group, columns=["id", "embedding"]), group
        yield _chunk(table, start, stop, path)  # type: ignore[misc]
