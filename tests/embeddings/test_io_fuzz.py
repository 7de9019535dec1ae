"""Fuzzed embedding files (Parquet, npz, CSV): only facebridge's own errors may come out, never a traceback."""

from __future__ import annotations

import io
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings
from facebridge.embeddings.io import META_KEY, to_table
from facebridge.errors import FacebridgeError

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALUES = st.sampled_from(["0", "1.5", "-2e-3", "nan", "inf", "-inf", "1e400", "", " ", "abc", "0x1", "1_0", "é"])


def check(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. complex vectors silently cast to real
            es = read_embeddings(path)
    except FacebridgeError:
        return
    assert isinstance(es, EmbeddingSet) and np.isfinite(es.vectors).all()


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def valid_set(n: int = 3, dim: int = 4) -> EmbeddingSet:
    vectors = np.arange(n * dim, dtype=np.float32).reshape(n, dim)
    return EmbeddingSet(np.array([f"P/{i}.jpg" for i in range(n)], dtype=object), vectors, Fingerprint(model="m"))


def mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """``valid`` truncated, or with a few bytes overwritten."""

    def apply(cut: int, edits: list[tuple[int, int]]) -> bytes:
        data = bytearray(valid[:cut])
        for pos, value in edits:
            if data:
                data[pos % len(data)] = value
        return bytes(data)

    edits = st.lists(st.tuples(st.integers(0, len(valid)), st.integers(0, 255)), max_size=4)
    return st.builds(apply, st.integers(0, len(valid)), edits)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                    max_leaves=8)  # fmt: skip
HEADERS = st.one_of(
    JSON.map(json.dumps),
    st.fixed_dictionaries({"format_version": JSON | st.integers(), "dim": JSON, "fingerprint": JSON}).map(json.dumps),
    st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
)
COLUMNS = st.sampled_from(
    [
        pa.array([1, 2, 3]),
        pa.array(["a", None, "c"]),
        pa.array([[1.0], [], [2.0, 3.0]]),
        pa.array([{"x": 1}, {"x": 2}, {"x": 3}]),
        pa.array([b"a", b"b", b"c"]),
        pa.array([[1.0, 2.0]] * 3, pa.list_(pa.float64(), 2)),
        pa.array([["a", "b"]] * 3, pa.list_(pa.string(), 2)),
        pa.array([True, False, None]),
    ]
)


def structured_parquet(header: str, column: str, values: pa.Array) -> bytes:
    table = to_table(valid_set())
    if column in table.column_names:
        table = table.set_column(table.column_names.index(column), column, values)
    else:
        table = table.append_column(column, values)
    return parquet_bytes(table.replace_schema_metadata({META_KEY: header.encode("utf-8", "surrogatepass")}))


VALID_PARQUET = parquet_bytes(to_table(valid_set()))


@FUZZ
@given(data=st.one_of(mutations(VALID_PARQUET),
                      st.builds(structured_parquet, HEADERS, st.sampled_from(["embedding", "id", "extra"]), COLUMNS)))
def test_parquet(folder, data) -> None:  # fmt: skip
    check(folder / "x.parquet", data)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    sink = io.BytesIO()
    np.savez(sink, **arrays)
    return sink.getvalue()


ARRAYS = st.sampled_from(
    [
        np.array(["a", "b"]),
        np.array([b"a", b"b"]),
        np.array([1, 2]),
        np.zeros((2, 3)),
        np.zeros((2, 3), np.complex64),
        np.full((2, 2), np.nan),
        np.zeros(3),
        np.zeros((2, 0)),
        np.array("a"),
        np.array([["a"], ["b"]]),
        np.zeros((2, 2, 2)),
    ]
)
VALID_NPZ = npz_bytes({"ids": np.array(["P/0.jpg", "P/1.jpg"]), "embeddings": np.eye(2, 4, dtype=np.float32)})


@FUZZ
@given(data=st.one_of(mutations(VALID_NPZ),
                      st.builds(lambda i, e: npz_bytes({"ids": i, "embeddings": e}), ARRAYS, ARRAYS)))
def test_npz(folder, data) -> None:  # fmt: skip
    check(folder / "x.npz", data)


@FUZZ
@given(
    header=st.lists(st.sampled_from(["id", "v0", "v1", "", "x"]), max_size=4),
    rows=st.lists(st.lists(VALUES, max_size=4), max_size=6),
    raw=st.binary(max_size=60),
)
def test_csv(folder, header, rows, raw) -> None:
    text = "\n".join([",".join(header), *(",".join([f"P/{i}", *r]) for i, r in enumerate(rows))]).encode()
    check(folder / "x.csv", text)
    check(folder / "x.csv", raw)
