"""Join two embedding sets on their ids: the corresponding pairs a map is fitted on."""

from __future__ import annotations

import numpy as np

from facebridge.embeddings.set import EmbeddingSet
from facebridge.errors import MismatchError


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
    target_rows = {k: i for i, k in enumerate(target.ids)}
    src_rows = np.array([i for i, k in enumerate(source.ids) if k in target_rows], dtype=np.int64)
    if len(src_rows) < min_shared:
        example_s = source.ids[0] if source.n else "-"
        example_t = target.ids[0] if target.n else "-"
        raise MismatchError(
            f"source ({source.fingerprint.model}) and target ({target.fingerprint.model}) share {len(src_rows)} "
            f"ids, need at least {min_shared}; ids look like {example_s!r} vs {example_t!r}"
        )
    ids = source.ids[src_rows]
    tgt_rows = np.fromiter((target_rows[k] for k in ids), dtype=np.int64, count=len(ids))
    return ids, source.vectors[src_rows], target.vectors[tgt_rows]
