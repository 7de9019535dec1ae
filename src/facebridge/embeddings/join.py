"""Join two embedding sets on their ids: the corresponding pairs a map is fitted on."""

from __future__ import annotations

import numpy as np

from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import MismatchError


def shared_rows(source_ids: np.ndarray, target_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``source_ids`` and of ``target_ids`` holding the ids both contain, in source order: the one id join
    of two sets (in memory, or a cluster's partitions)."""
    target_rows = {k: i for i, k in enumerate(target_ids)}
    src_rows = np.array([i for i, k in enumerate(source_ids) if k in target_rows], dtype=np.int64)
    return src_rows, np.fromiter((target_rows[k] for k in source_ids[src_rows]), np.int64, count=len(src_rows))


def join_sets(
    source: EmbeddingSet, target: EmbeddingSet, *, min_shared: int = 2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``source`` and ``target`` for the ids both contain, in ``source`` order.

    Returns
    -------
    ids : (m,) shared ids.
    X : (m, d_source) float32 source vectors.
    Y : (m, d_target) float32 target vectors.

    Raises MismatchError when fewer than ``min_shared`` ids are shared (typically a wrong file or id scheme).
    """
    src_rows, tgt_rows = shared_rows(source.ids, target.ids)
    if len(src_rows) < min_shared:
        example_s = source.ids[0] if source.n else "-"
        example_t = target.ids[0] if target.n else "-"
        raise MismatchError(
            f"source ({source.fingerprint.model}) and target ({target.fingerprint.model}) share {len(src_rows)} "
            f"ids, need at least {min_shared}; ids look like {example_s!r} vs {example_t!r}"
        )
    return source.ids[src_rows], source.vectors[src_rows], target.vectors[tgt_rows]
