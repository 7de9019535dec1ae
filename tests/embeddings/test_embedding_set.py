"""EmbeddingSet validation, Parquet/npz/CSV round trips, joins and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import (
    EmbeddingSet,
    Fingerprint,
    iter_parquet_batches,
    join_sets,
    read_embeddings,
    write_parquet,
)
from facebridge.errors import DataFormatError, InvalidInputError, MismatchError, MissingFileError, NotFoundError

FP = Fingerprint("model-a", "ab" * 32, "arc112", "1")


def make_set(n: int = 5, d: int = 4, seed: int = 0, prefix: str = "p") -> EmbeddingSet:
    rng = np.random.default_rng(seed)
    ids = np.array([f"{prefix}{i}/{prefix}{i}_0001.jpg" for i in range(n)])
    return EmbeddingSet(ids, rng.normal(size=(n, d)), FP)


def test_validation_errors() -> None:
    with pytest.raises(InvalidInputError, match="duplicate"):
        EmbeddingSet(np.array(["a", "a"]), np.zeros((2, 3)), FP)
    with pytest.raises(InvalidInputError, match="NaN"):
        EmbeddingSet(np.array(["a", "b"]), np.array([[0.0, np.nan], [1, 2]]), FP)
    with pytest.raises(InvalidInputError, match="ids but"):
        EmbeddingSet(np.array(["a"]), np.zeros((2, 3)), FP)
    with pytest.raises(InvalidInputError, match=r"\(n, d\)"):
        EmbeddingSet(np.array(["a"]), np.zeros(3), FP)
    with pytest.raises(NotFoundError, match="not in"):
        make_set().index_of(["nope"])


def test_parquet_round_trip_with_meta(tmp_path) -> None:
    es = make_set()
    es = EmbeddingSet(
        es.ids,
        es.vectors,
        FP,
        {"status": np.array(["ok"] * 4 + ["fallback"]), "landmarks": np.arange(50.0).reshape(5, 10)},
    )
    write_parquet(es, tmp_path / "a.parquet")
    back = read_embeddings(tmp_path / "a.parquet")
    assert back.fingerprint == FP
    np.testing.assert_array_equal(back.ids, es.ids)
    np.testing.assert_array_equal(back.vectors, es.vectors)
    np.testing.assert_array_equal(back.meta["status"], es.meta["status"])
    np.testing.assert_allclose(back.meta["landmarks"], es.meta["landmarks"])
    chunks = list(iter_parquet_batches(tmp_path / "a.parquet", batch_size=2))
    assert [len(c[0]) for c in chunks] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), es.vectors)


def test_npz_and_csv(tmp_path) -> None:
    es = make_set()
    np.savez(tmp_path / "e.npz", ids=es.ids.astype(str), embeddings=es.vectors)
    back = read_embeddings(tmp_path / "e.npz")
    assert back.fingerprint.model == "e"
    np.testing.assert_array_equal(back.vectors, es.vectors)
    lines = ["id," + ",".join(f"v{i}" for i in range(es.dim))]
    lines += [i + "," + ",".join(repr(float(x)) for x in v) for i, v in zip(es.ids, es.vectors, strict=True)]
    (tmp_path / "e.csv").write_text("\n".join(lines) + "\n")
    back = read_embeddings(tmp_path / "e.csv", model="m")
    assert back.fingerprint.model == "m"
    np.testing.assert_allclose(back.vectors, es.vectors)


def test_untrusted_files_give_clear_errors(tmp_path) -> None:
    with pytest.raises(MissingFileError):
        read_embeddings(tmp_path / "missing.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataFormatError, match="Parquet"):
        read_embeddings(tmp_path / "bad.parquet")
    np.savez(tmp_path / "pickled.npz", ids=np.array([object()], dtype=object), embeddings=np.zeros((1, 2)))
    with pytest.raises(DataFormatError, match="pickle"):
        read_embeddings(tmp_path / "pickled.npz")
    (tmp_path / "bad.csv").write_text("id,v0\na,notanumber\n")
    with pytest.raises(DataFormatError, match="non-numeric"):
        read_embeddings(tmp_path / "bad.csv")
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(DataFormatError, match="unknown embedding format"):
        read_embeddings(tmp_path / "x.txt")
    write_parquet(make_set(), tmp_path / "ok.parquet")
    data = (tmp_path / "ok.parquet").read_bytes()
    (tmp_path / "trunc.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError):
        read_embeddings(tmp_path / "trunc.parquet")


def test_join_in_source_order_and_too_few_shared() -> None:
    a = make_set(6, 3, seed=1)
    b = EmbeddingSet(a.ids[::-1][:4], np.arange(12.0).reshape(4, 3), Fingerprint("model-b"))
    ids, x, y = join_sets(a, b)
    np.testing.assert_array_equal(ids, a.ids[2:])
    np.testing.assert_array_equal(x, a.vectors[2:])
    np.testing.assert_array_equal(y, b.subset(ids).vectors)
    with pytest.raises(MismatchError, match="share 0 ids"):
        join_sets(a, make_set(3, 3, prefix="q"))
