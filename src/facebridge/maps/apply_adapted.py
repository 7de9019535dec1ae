"""``migrate --adapt-*``: a gallery mapped, with the deployment's own template statistics, without pairs.

Each move is learnt between two sets of one model's native templates (:mod:`facebridge.experiments.upgrade.adaptation`),
so a deployment that looks like the map's training data changes nothing:

- before the map (``--adapt-source G`` with ``--adapt-reference R``): the deployment's old-model templates ``G``
  (e.g. the gallery itself) aligned onto the map's training inputs ``R``, applied to the gallery;
- after the map (``--adapt-target P`` with ``--adapt-reference-target T``): the move from the map's training targets
  ``T`` onto the deployment's new-model templates ``P`` (unit rows; a broad mix of people, e.g. recent probes),
  applied to the mapped gallery's unit rows.

The statistics (counts, shrinkage, digests of the inputs and of the learnt moves) go into the output's header.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings
from facebridge.errors import InvalidInputError, MismatchError
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


def _side(path: Path, model: Fingerprint, what: str) -> tuple[EmbeddingSet, dict[str, Any]]:
    es = read_embeddings(path)
    if not es.fingerprint.same_space(model):
        raise MismatchError(f"{path}: {es.fingerprint.model} templates, the map's {what} are {model.model}")
    return es, _described(path, es)


def fit_adaptation(
    loaded: MapFile,
    *,
    source: Path | None = None,
    reference: Path | None = None,
    target: Path | None = None,
    reference_target: Path | None = None,
    mode: str = "coral",
) -> tuple[DeploymentAlign | None, DeploymentAlign | None, dict[str, Any]]:
    """The before-map move (``source`` onto ``reference``), the after-map one (``reference_target`` onto
    ``target``), each None when its two files are not given, and their provenance record."""
    if (source is None) != (reference is None) or (target is None) != (reference_target is None):
        raise InvalidInputError(
            "adaptation pairs --adapt-source with --adapt-reference (before the map) and --adapt-target with "
            "--adapt-reference-target (after it): give both files of a pair"
        )
    if source is None and target is None:
        raise InvalidInputError("adaptation needs --adapt-source and --adapt-reference, or --adapt-target and "
                                "--adapt-reference-target")  # fmt: skip
    record: dict[str, Any] = {"mode": mode}
    pre = post = None
    if source is not None and reference is not None:
        (g, record["source"]), (r, record["reference"]) = (
            _side(source, loaded.source, "inputs"), _side(reference, loaded.source, "inputs"),
        )  # fmt: skip
        pre = DeploymentAlign(mode).fit(g.vectors, r.vectors)
        record["before_map"] = pre.statistics()
    if target is not None and reference_target is not None:
        (p, record["target"]), (t, record["reference_target"]) = (
            _side(target, loaded.target, "outputs"), _side(reference_target, loaded.target, "outputs"),
        )  # fmt: skip
        post = DeploymentAlign(mode, normalize=True).fit(t.vectors, p.vectors)
        record["after_map"] = post.statistics()
    return pre, post, record


def adapted_transform_file(
    map_path: str | os.PathLike[str],
    gallery: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    target: str | os.PathLike[str] | None = None,
    reference_target: str | os.PathLike[str] | None = None,
    mode: str = "coral",
    batch_rows: int = 65536,
    extra: dict | None = None,
) -> tuple[MapFile, int, dict[str, Any]]:
    """Map ``gallery`` into ``out`` (Parquet, atomically) through the adapted map (module docstring); returns the
    map, the rows written and the adaptation's provenance (also under ``adaptation`` in ``out``'s header)."""
    gallery, map_path = Path(gallery), Path(map_path)
    fingerprint, dim, chunks = _batches(gallery, batch_rows)
    loaded = load_map(map_path, expected_source=fingerprint, expected_dim=dim)
    paths = {"source": source, "reference": reference, "target": target, "reference_target": reference_target}
    pre, post, record = fit_adaptation(loaded, mode=mode, **{k: v if v is None else Path(v) for k, v in paths.items()})
    schema = mapped_schema(loaded, map_path, {**(extra or {}), "adaptation": record})
    after = None if post is None else post.transform
    tables = (mapped_table(loaded, schema, ids, v if pre is None else pre.transform(v), after) for ids, v in chunks)
    return loaded, write_tables(out, schema, tables), record
