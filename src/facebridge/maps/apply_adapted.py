"""``migrate --adapt-source G --adapt-target P``: a gallery mapped, then moved onto the deployment's statistics.

Without pairs, the deployment offers two sets of unlabelled templates: the old gallery's (model A, ``G``) and new
probes' (model B, ``P``). After the map, the mapped ``G`` is aligned onto ``P``'s mean and covariance
(:class:`~facebridge.maps.adapt.DeploymentAlign`); with a reference (the map's training inputs, model A), the
gallery is first aligned onto the reference before the map, as the shifted-domain protocol's ``coral`` does. The
statistics (counts, shrinkage, digests of the inputs and of the learnt moves) go into the output's header.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.embeddings import EmbeddingSet, read_embeddings
from facebridge.errors import MismatchError
from facebridge.maps.adapt import DeploymentAlign
from facebridge.maps.apply import _batches, mapped_schema, mapped_table, write_tables
from facebridge.maps.io import load_map
from facebridge.maps.map_file import MapFile


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _described(path: Path, es: EmbeddingSet) -> dict[str, Any]:
    return {"file": path.name, "sha256": _sha256(path), "n": es.n, "model": es.fingerprint.model}


def fit_adaptation(
    loaded: MapFile, source: Path, target: Path, *, mode: str = "coral", reference: Path | None = None
) -> tuple[DeploymentAlign | None, DeploymentAlign, dict[str, Any]]:
    """The before-map alignment (None without ``reference``), the after-map one, and their provenance record."""
    g, p = read_embeddings(source), read_embeddings(target)
    if not g.fingerprint.same_space(loaded.source):
        raise MismatchError(f"{source}: {g.fingerprint.model} templates, the map reads {loaded.source.model}")
    if not p.fingerprint.same_space(loaded.target):
        raise MismatchError(f"{target}: {p.fingerprint.model} templates, the map writes {loaded.target.model}")
    record: dict[str, Any] = {"mode": mode, "source": _described(source, g), "target": _described(target, p)}
    pre = None
    rows = g.vectors.astype(np.float64)
    if reference is not None:
        r = read_embeddings(reference)
        if not r.fingerprint.same_space(loaded.source):
            raise MismatchError(f"{reference}: {r.fingerprint.model} templates, the map reads {loaded.source.model}")
        pre = DeploymentAlign(mode).fit(rows, r.vectors)
        rows = pre.transform(rows)
        record |= {"reference": _described(reference, r), "before_map": pre.statistics()}
    post = DeploymentAlign(mode).fit(loaded.estimator.transform(rows), p.vectors)
    return pre, post, record | {"after_map": post.statistics()}


def adapted_transform_file(
    map_path: str | os.PathLike[str],
    gallery: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    reference: str | os.PathLike[str] | None = None,
    mode: str = "coral",
    batch_rows: int = 65536,
    extra: dict | None = None,
) -> tuple[MapFile, int, dict[str, Any]]:
    """Map ``gallery`` into ``out`` (Parquet, atomically) through the adapted map (module docstring); returns the
    map, the rows written and the adaptation's provenance (also under ``adaptation`` in ``out``'s header)."""
    gallery, map_path = Path(gallery), Path(map_path)
    fingerprint, dim, chunks = _batches(gallery, batch_rows)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    pre, post, record = fit_adaptation(
        loaded, Path(source), Path(target), mode=mode, reference=None if reference is None else Path(reference)
    )
    schema = mapped_schema(loaded, map_path, {**(extra or {}), "adaptation": record})
    tables = (
        mapped_table(loaded, schema, ids, v if pre is None else pre.transform(v), post.transform) for ids, v in chunks
    )
    return loaded, write_tables(out, schema, tables), record
