"""The canonical workflow on embedding sets: fit a space on a store's models, join a newcomer, export a route as an
ordinary map file (so ``transform``, ``migrate`` and ``search`` take it), and search a gallery of mixed models."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.embeddings.search import Hits, search_arrays
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps.canonical.file import CanonFile, load_space, save_space
from facebridge.maps.canonical.space import CanonicalSpace
from facebridge.maps.io import save_map
from facebridge.maps.map_file import Provenance
from facebridge.protocols import person_of


def matched_rows(sets: Mapping[str, EmbeddingSet], min_shared: int = 2) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The ids every set contains (sorted) and each set's rows for them, in that order."""
    shared = sorted(set.intersection(*(set(es.ids) for es in sets.values())))
    if len(shared) < min_shared:
        raise MismatchError(f"the models {', '.join(sets)} share {len(shared)} image ids, need at least {min_shared}")
    ids = np.array(shared, dtype=object)
    return ids, {m: es.vectors[es.index_of(ids)] for m, es in sets.items()}


def fit_space(
    sets: Mapping[str, EmbeddingSet], space: CanonicalSpace, path: str | os.PathLike[str], dataset: str = ""
) -> CanonFile:
    """Fit ``space`` on the images every set shares and write it to ``path``; returns the file as loaded back."""
    ids, rows = matched_rows(sets)
    space.fit(rows)
    people = len({person_of(i) for i in ids})
    members = {m: es.fingerprint for m, es in sets.items()}
    save_space(space, path, members=members, provenance=Provenance(len(ids), people, dataset))
    return load_space(path)


def join_space(
    canon: CanonFile, newcomer: EmbeddingSet, via: Sequence[EmbeddingSet], path: str | os.PathLike[str]
) -> tuple[CanonFile, int]:
    """``canon`` with ``newcomer``'s model joined through the images it shares with every set of ``via`` (members'
    sets), written to ``path``; returns the new file and the images the join was fitted on."""
    name = newcomer.fingerprint.model
    if any(fp.same_space(newcomer.fingerprint) for fp in canon.members.values()) or name in canon.members:
        raise InvalidInputError(f"{name} is already a member of this canonical space")
    members = [canon.member_of(es.fingerprint) for es in via]
    if len(set(members)) != len(members):
        raise InvalidInputError(f"--via names a member twice ({', '.join(members)})")
    ids, rows = matched_rows({name: newcomer, **dict(zip(members, via, strict=True))})
    canon.space.join(name, rows[name], {m: rows[m] for m in members})
    fingerprints = {**canon.members, name: newcomer.fingerprint}
    save_space(canon.space, path, members=fingerprints, provenance=canon.provenance)
    return load_space(path), len(ids)


def write_route(canon: CanonFile, source: str, target: str | None, path: str | os.PathLike[str]) -> Path:
    """``source`` -> canonical (``target`` None) or -> canonical -> ``target`` as a ``.fbmap`` map file."""
    route = canon.space.route(source, target)
    to = canon.fingerprint if target is None else canon.fingerprint_of(target)
    return save_map(route, path, source=canon.fingerprint_of(source), target=to, provenance=canon.provenance)


def encode_set(canon: CanonFile, es: EmbeddingSet) -> np.ndarray:
    """(n, d) canonical coordinates of a member's set (the member found by its fingerprint)."""
    member = canon.member_of(es.fingerprint)
    if es.dim != canon.space.dims()[member]:
        raise MismatchError(f"{member} embeddings are {canon.space.dims()[member]}-d in the space, got {es.dim}-d")
    return canon.space.encode(es.vectors, member)


def search_mixed(
    canon: CanonFile, galleries: Sequence[EmbeddingSet], probes: EmbeddingSet, k: int, index: str = "exact"
) -> tuple[Hits, np.ndarray]:
    """Search ``probes`` in the union of ``galleries`` (each from any member model) in the canonical space.

    Returns the hits and, per hit, the model of the gallery template it found.
    """
    if not galleries:
        raise InvalidInputError("give at least one gallery set")
    encoded = [encode_set(canon, g) for g in galleries]
    gallery_ids = np.concatenate([g.ids for g in galleries])
    gallery_model = np.concatenate([np.full(g.n, g.fingerprint.model, dtype=object) for g in galleries])
    scores, rows = search_arrays(np.vstack(encoded), encode_set(canon, probes), k, index)
    n, kk = rows.shape
    hits = Hits(
        probe_id=np.repeat(probes.ids, kk),
        rank=np.tile(np.arange(1, kk + 1), n),
        gallery_id=gallery_ids[rows.ravel()],
        score=scores.ravel(),
    )
    return hits, gallery_model[rows.ravel()]
