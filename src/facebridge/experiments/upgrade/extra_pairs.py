"""Extra corresponding pairs for fitting maps: more rows of the same images under the same ids, e.g. each photo's
mirror image embedded by both models (``embed --corrupt flip``, one store per variant).

A map scored on some images must never have seen any version of them: the extra rows that join a fit are those of
its own fitting images only (:func:`fitting_rows`), each as its image's person (so a group-wise CV inside the fit
keeps an image and its mirror on one side). A fitting method with them is labelled ``METHOD+flip``
(:func:`method_label`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.protocols.pairs import person_of


def common_extra_ids(ids: Sequence[str], extra: Mapping[str, EmbeddingSet], models: Sequence[str]) -> list[str]:
    """The ids of ``ids`` (in that order) that the extra set of every model of ``models`` holds; InvalidInputError
    naming a model without an extra set."""
    missing = [m for m in models if m not in extra]
    if missing:
        raise InvalidInputError(f"extra pairs: no extra set for {', '.join(missing)}")
    held = set.intersection(*(set(extra[m].ids) for m in models))
    return [i for i in ids if i in held]


def fitting_rows(
    ids: np.ndarray, a: EmbeddingSet, targets: list[EmbeddingSet], extra: list[EmbeddingSet] | None = None
) -> tuple[np.ndarray, list[np.ndarray], list[str]]:
    """Source rows, each target's rows and the person of each row, for fitting on the images ``ids``; with
    ``extra`` (the source's extra set, then each target's, in ``targets``' order), the extra rows of exactly those
    ids that every extra set holds are appended. An id outside ``ids`` never contributes."""
    ids = np.asarray(ids, dtype=object)
    if extra is None:
        return a.vectors_of(ids), [t.vectors_of(ids) for t in targets], [person_of(i) for i in ids]
    if len(extra) != len(targets) + 1:
        raise InvalidInputError(f"extra sets: one for the source and each of {len(targets)} targets, got {len(extra)}")
    held = set.intersection(*(set(es.ids) for es in extra))
    more = np.array([i for i in ids if i in held], dtype=object)
    X = np.vstack([a.vectors_of(ids), extra[0].vectors_of(more)])
    ys = [np.vstack([t.vectors_of(ids), e.vectors_of(more)]) for t, e in zip(targets, extra[1:], strict=True)]
    return X, ys, [person_of(i) for i in (*ids, *more)]


def method_label(label: str) -> tuple[str, dict, bool]:
    """``NAME[:KEY=VALUE...][+flip]`` (e.g. ``ensemble:members=kernel/affine_cv:weighting=cv+flip``) as (map method,
    its parameters, whether the mirrored images join the fit): VALUE read as JSON where it parses, ``/`` separating
    a list's items. The labels of the method-selection scripts and benchmarks."""
    body, flip = (label.removesuffix("+flip"), True) if label.endswith("+flip") else (label, False)
    name, *items = body.split(":")
    params: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not (key and sep):
            raise InvalidInputError(f"method {label!r}: expected NAME:KEY=VALUE, got {item!r}")
        if "/" in raw:
            params[key] = tuple(raw.split("/"))
            continue
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return name, params, flip
