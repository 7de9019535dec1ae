"""Per-pair checkpoints of long stages (privacy audit, model upgrade): each finished model pair's result saved as
JSON under a folder, keyed by a hash of the stage's settings and of both sets' ids and vectors, so a re-run after an
interruption reuses it and a change of data or settings does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from facebridge.embeddings import EmbeddingSet
from facebridge.storage import atomic_write


def _digest(es: EmbeddingSet) -> str:
    h = hashlib.sha256(es.fingerprint.model.encode())
    h.update("\n".join(es.ids).encode())
    h.update(es.vectors.tobytes())
    return h.hexdigest()


def pair_key(kind: str, a: EmbeddingSet, b: EmbeddingSet, settings: Any) -> str:
    """16 hex digits naming ``kind``'s result for the sets ``a`` and ``b`` under ``settings`` (by its repr)."""
    text = json.dumps([kind, _digest(a), _digest(b), repr(settings)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_cached(checkpoint: Path | None, name: str) -> Any:
    """The value kept as ``checkpoint/name.json``, or None when there is none (or no checkpoint)."""
    path = None if checkpoint is None else checkpoint / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path is not None and path.is_file() else None


def write_cached(checkpoint: Path | None, name: str, value: Any) -> Any:
    """Keep ``value`` as ``checkpoint/name.json`` (None: nowhere) and return it as read back would give it."""
    if checkpoint is not None:
        atomic_write(checkpoint / f"{name}.json", lambda tmp: tmp.write_text(json.dumps(value), encoding="utf-8"))
    return value


def cached(checkpoint: Path | None, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, saved as ``checkpoint/name.json`` and read back from there when it exists (None: no
    checkpoint, always computed)."""
    value = read_cached(checkpoint, name)
    return write_cached(checkpoint, name, compute()) if value is None else value
