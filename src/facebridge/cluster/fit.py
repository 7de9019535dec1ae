"""Fit a map on a Dask cluster from the sufficient statistics of Parquet row-group partitions.

Neither file is read whole by one machine. Each partition (a chunk of :func:`parquet_chunks`) splits its rows into
buckets by a stable hash of the id, and bucket ``b`` joins the ``b``-th piece of every source partition with the
``b``-th of every target partition by id, as :func:`facebridge.embeddings.join_sets` does in one process. A first
pass over the ids alone counts the shared ids per person (the provenance, and the validation splits of
``affine_cv``, which depend on every person's count) and digests each partition's ids; the second accumulates
``SufficientStats`` per bucket (per validation split for ``affine_cv``), summed in a tree of ``merge`` and finished
by the estimator's own ``fit_stats`` / ``fit_fold_stats``: the map equals the one-process fit up to summation order.
When chunk ``i`` of both files holds the same ids in the same order (the sets of one store), the second pass skips
the shuffle: each task reads chunk ``i`` of both files, and no rows move between workers.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import pairwise
from operator import add
from pathlib import Path
from typing import Any

import numpy as np
from dask import delayed

from facebridge.cluster.run import compute, parquet_input
from facebridge.embeddings.io import parquet_chunks, read_parquet_chunk
from facebridge.embeddings.join import shared_rows
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.fingerprint import Fingerprint
from facebridge.maps import STATS_METHODS, AffineRidgeCV, LinearMap, MapEstimator, SufficientStats
from facebridge.maps.stats import DEFAULT_CHUNK_ROWS
from facebridge.protocols import person_of

#: Partial results combined per task of the reduction tree.
SPLIT_EVERY = 8

#: Rows of one bucket: ids (m,) and vectors (m, d), or None in the ids-only pass.
Piece = tuple[np.ndarray, np.ndarray | None]


@dataclass(frozen=True)
class DistributedFit:
    """A map fitted on a cluster and what its file records: the spaces, and the ids and people it was fitted on."""

    estimator: LinearMap
    source: Fingerprint
    target: Fingerprint
    source_dim: int
    target_dim: int
    n_ids: int
    n_people: int


def bucket_of(ids: np.ndarray, n_buckets: int) -> np.ndarray:
    """(len(ids),) bucket of each id: crc32 of its UTF-8 bytes modulo ``n_buckets``, the same in every process
    (Python's ``hash`` of a string is salted per process)."""
    crc = np.fromiter((zlib.crc32(str(i).encode()) for i in ids), np.int64, count=len(ids))
    return crc % n_buckets


def _ids_digest(ids: np.ndarray) -> str:
    return hashlib.sha256("\0".join(map(str, ids)).encode()).hexdigest()


def _split(path: str, chunk: tuple[int, int, int], n_buckets: int, vectors: bool) -> tuple[str, list[Piece]]:
    """One partition's ids digest and rows, bucket by bucket (each bucket's rows in file order)."""
    ids, vecs = read_parquet_chunk(path, *chunk, vectors=vectors)
    bucket = bucket_of(ids, n_buckets)
    order = np.argsort(bucket, kind="stable")
    bounds = np.searchsorted(bucket[order], np.arange(n_buckets + 1))
    rows = [order[a:b] for a, b in pairwise(bounds)]
    return _ids_digest(ids), [(ids[r], None if vecs is None else vecs[r]) for r in rows]


def _concat(pieces: Sequence[Piece]) -> Piece:
    ids = np.concatenate([p[0] for p in pieces])
    return ids, None if pieces[0][1] is None else np.concatenate([p[1] for p in pieces])


def _check_unique(ids: np.ndarray, side: str) -> None:
    uniq, counts = np.unique(ids.astype(str), return_counts=True)
    if (counts > 1).any():
        raise InvalidInputError(f"the {side} set has duplicate ids, e.g. {str(uniq[np.argmax(counts > 1)])!r}")


def _count_people(src: Sequence[Piece], tgt: Sequence[Piece]) -> Counter[str]:
    """Shared ids per person in one bucket; duplicate ids (which all land in the same bucket) are refused."""
    (src_ids, _), (tgt_ids, _) = _concat(src), _concat(tgt)
    _check_unique(src_ids, "source")
    _check_unique(tgt_ids, "target")
    rows, _ = shared_rows(src_ids, tgt_ids)
    return Counter(person_of(i) for i in src_ids[rows])


def _bucket_stats(
    src: Sequence[Piece], tgt: Sequence[Piece], fold_of: Mapping[str, int] | None, n_folds: int, options: dict
) -> list[SufficientStats]:
    """:func:`_stats` of one bucket's pairs, joined by id."""
    (src_ids, x), (tgt_ids, y) = _concat(src), _concat(tgt)
    s, t = shared_rows(src_ids, tgt_ids)
    return _stats(src_ids[s], x[s], y[t], fold_of, n_folds, options)  # type: ignore[index]


def _aligned_stats(
    source: str, src_chunk: tuple[int, int, int], target: str, tgt_chunk: tuple[int, int, int],
    fold_of: Mapping[str, int] | None, n_folds: int, options: dict,
) -> list[SufficientStats]:  # fmt: skip
    """``_bucket_stats`` of two chunks holding the same ids in the same order: no join needed."""
    ids, x = read_parquet_chunk(source, *src_chunk)
    _, y = read_parquet_chunk(target, *tgt_chunk)
    return _stats(ids, x, y, fold_of, n_folds, options)  # type: ignore[arg-type]


def _stats(
    ids: np.ndarray, x: np.ndarray, y: np.ndarray, fold_of: Mapping[str, int] | None, n_folds: int, options: dict
) -> list[SufficientStats]:
    """Statistics of pairs ``x`` (m, dx), ``y`` (m, dy) of ``ids``, one per validation split (``fold_of`` maps a
    person to its split; None: one for all)."""
    if fold_of is None:
        return [SufficientStats.from_arrays(x, y, **options)]
    fold = np.fromiter((fold_of[person_of(i)] for i in ids), np.int64, count=len(ids))
    return [SufficientStats.from_arrays(x[fold == f], y[fold == f], **options) for f in range(n_folds)]


def _add_counts(*counts: Counter[str]) -> Counter[str]:
    return reduce(add, counts, Counter())


def _add_stats(*parts: list[SufficientStats]) -> list[SufficientStats]:
    return [reduce(SufficientStats.merge, folds) for folds in zip(*parts, strict=True)]


def _tree(parts: list[Any], combine: Callable[..., Any]) -> Any:
    """``combine`` over ``parts`` (delayed values) as a tree of at most :data:`SPLIT_EVERY` inputs per task."""
    while len(parts) > 1:
        parts = [delayed(combine)(*parts[i : i + SPLIT_EVERY]) for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def _buckets(path: Path, chunks: list, n_buckets: int, vectors: bool) -> tuple[list[Any], list[list[Any]]]:
    """The ids digest of each partition of ``path`` and, in ``[b]``, bucket ``b``'s piece of every partition
    (delayed)."""
    parts = [delayed(_split, nout=2)(str(path), chunk, n_buckets, vectors) for chunk in chunks]
    return [p[0] for p in parts], [[p[1][b] for p in parts] for b in range(n_buckets)]


def stats_family(estimator: MapEstimator) -> LinearMap:
    """``estimator`` if it is fitted from sufficient statistics (so on a cluster), else InvalidInputError."""
    if not isinstance(estimator, LinearMap) or (
        estimator.method not in STATS_METHODS and type(estimator) is not AffineRidgeCV
    ):
        raise InvalidInputError(
            f"{estimator.method} is fitted from the rows themselves, so it cannot be fitted on a cluster; fit it in "
            f"one process (families fitted from statistics: {', '.join((*STATS_METHODS, AffineRidgeCV.method))})"
        )
    return estimator


def fit_distributed(
    client: Any,
    estimator: MapEstimator,
    source: str | Path,
    target: str | Path,
    *,
    batch_rows: int = DEFAULT_CHUNK_ROWS,
    n_buckets: int | None = None,
    progress: bool = False,
) -> DistributedFit:
    """Fit ``estimator`` (a family fitted from statistics) on every id the Parquet sets ``source`` and ``target``
    share, on ``client``'s cluster; it is fitted in place and returned inside the result.

    Partitions are chunks of at most ``batch_rows`` rows of a row group; ``n_buckets`` (default: the larger file's
    partition count) sets how many join tasks share the rows, so one task holds ~1/n_buckets of both files.
    ``progress`` shows a progress bar per pass. Ids need a person folder (``Person/...``), as in one process.
    """
    estimator = stats_family(estimator)
    source, target = Path(source), Path(target)
    (src_fp, dx), (tgt_fp, dy) = parquet_input(source), parquet_input(target)
    options = estimator.stats_options(dx, dy)
    source, target = source.resolve(), target.resolve()  # the workers' working folder may be another
    chunks = parquet_chunks(source, batch_rows), parquet_chunks(target, batch_rows)
    sides = (source, chunks[0]), (target, chunks[1])
    buckets = n_buckets or max(map(len, chunks))
    (src_digest, src_ids), (tgt_digest, tgt_ids) = (_buckets(p, c, buckets, False) for p, c in sides)
    counted = [delayed(_count_people)(s, t) for s, t in zip(src_ids, tgt_ids, strict=True)]
    counts, src_digest, tgt_digest = compute(client, (_tree(counted, _add_counts), src_digest, tgt_digest), progress)
    n_ids = sum(counts.values())
    if n_ids < 2:
        raise MismatchError(
            f"source ({src_fp.model}) and target ({tgt_fp.model}) share {n_ids} ids, need at least 2; "
            "check that both sets use the same ids"
        )
    fold_of, n_folds = None, 1
    if isinstance(estimator, AffineRidgeCV):
        people = sorted(counts)
        folds = estimator.assign_folds([counts[p] for p in people])
        # hash=False, as in cluster.transform: a content-hashed key shared with a previous fit's released copy is lost
        [fold_of] = client.scatter([dict(zip(people, folds.tolist(), strict=True))], broadcast=True, hash=False)
        n_folds = int(folds.max()) + 1
    if src_digest == tgt_digest:  # chunk i of both files holds the same ids in the same order (a store's sets do)
        stats = [
            delayed(_aligned_stats)(str(source), s, str(target), t, fold_of, n_folds, options)
            for s, t in zip(*chunks, strict=True)
        ]
    else:
        (_, src_rows), (_, tgt_rows) = (_buckets(p, c, buckets, True) for p, c in sides)
        stats = [
            delayed(_bucket_stats)(s, t, fold_of, n_folds, options) for s, t in zip(src_rows, tgt_rows, strict=True)
        ]
    merged = compute(client, _tree(stats, _add_stats), progress)
    if isinstance(estimator, AffineRidgeCV):
        estimator.fit_fold_stats(merged)
    else:
        estimator.fit_stats(merged[0])
    return DistributedFit(estimator, src_fp, tgt_fp, dx, dy, n_ids, len(counts))
