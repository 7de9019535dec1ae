"""Generic pair lists from CSV: ``path1,path2,same[,fold]``, with people-disjoint folds when none are given.

``path1``/``path2`` are ids relative to the image root, ``"Person/image.jpg"``; ``same`` is 0/1/true/false (any
case); ``fold`` is an integer >= 0. A first line whose ``same`` field is not such a label is a header and skipped.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.protocols._lines import line_error, parse_int, read_lines
from facebridge.protocols.pairs import PairList, person_of

log = logging.getLogger(__name__)

LABELS = {"0": False, "1": True, "false": False, "true": True}


def people_disjoint_folds(person_a: np.ndarray, person_b: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """A fold for each pair such that no person appears in two folds.

    People linked by any pair (genuine or impostor) form a group: the connected components of the person graph.
    Groups are shuffled with ``seed``, then assigned largest first (stable, so the shuffle breaks size ties) to the
    fold holding the fewest pairs so far (lowest fold on ties): greedy balancing by pair count.

    Parameters
    ----------
    person_a, person_b : (n,) str, the people of each pair's two sides.
    n_folds : number of folds, >= 1.
    seed : seed of the shuffle; the result depends only on the pairs' people and ``seed``.

    Returns
    -------
    (n,) int64 folds in ``0..n_folds-1``, every fold non-empty. Raises InvalidInputError when the people form
    fewer than ``n_folds`` groups.
    """
    if n_folds < 1:
        raise InvalidInputError(f"n_folds must be >= 1, got {n_folds}")
    n = len(person_a)
    people, inverse = np.unique(np.concatenate([person_a, person_b]).astype(str), return_inverse=True)
    graph = coo_matrix((np.ones(n), (inverse[:n], inverse[n:])), shape=(len(people), len(people)))
    n_groups, group_of_person = connected_components(graph, directed=False)
    if n_groups < n_folds:
        raise InvalidInputError(
            f"the pairs link their {len(people)} people into {n_groups} connected groups, too few for {n_folds} "
            "people-disjoint folds; lower n_folds or give the folds in a fourth column"
        )
    group_of_pair = group_of_person[inverse[:n]]
    sizes = np.bincount(group_of_pair, minlength=n_groups)
    order = np.random.default_rng(seed).permutation(n_groups)
    order = order[np.argsort(-sizes[order], kind="stable")]
    load = np.zeros(n_folds, dtype=np.int64)
    fold_of_group = np.empty(n_groups, dtype=np.int64)
    for group in order:
        k = int(np.argmin(load))
        fold_of_group[group] = k
        load[k] += sizes[group]
    return fold_of_group[group_of_pair]


def _person(path: Path, lineno: int, image_id: str) -> str:
    try:
        return person_of(image_id)
    except InvalidInputError as exc:
        raise line_error(path, lineno, f"{exc}; people-disjoint folds need it, or give a fold column") from None


def parse_pairs_csv(
    path: str | os.PathLike[str], n_folds: int = 10, seed: int = 0, name: str | None = None
) -> PairList:
    """Parse a ``path1,path2,same[,fold]`` CSV into a PairList named ``name`` (default: the file stem).

    Without a fold column, folds come from ``people_disjoint_folds(n_folds, seed)`` over ``person_of`` of each
    path. Raises MissingFileError when absent, DataFormatError naming ``file:line`` for a malformed line, and
    InvalidInputError when the people cannot be split into ``n_folds`` folds.
    """
    path = Path(path)
    rows = [(lineno, [f.strip() for f in next(csv.reader([line]))]) for lineno, line in read_lines(path)]
    first_no, first = rows[0]
    if len(first) >= 3 and first[2].lower() not in LABELS:
        log.debug("%s: skipping header line %s", path, ",".join(first))
        rows = rows[1:]
    if not rows:
        raise DataFormatError(f"{path}: a header line but no pairs")
    width = len(first)
    if width not in (3, 4):
        raise line_error(path, first_no, f"expected 'path1,path2,same[,fold]', got {width} fields")
    id_a, id_b, same, fold = [], [], [], []
    for lineno, fields in rows:
        if len(fields) != width:
            raise line_error(path, lineno, f"{len(fields)} fields, expected {width} like the first line")
        if not (fields[0] and fields[1]):
            raise line_error(path, lineno, "empty path")
        if fields[2].lower() not in LABELS:
            raise line_error(path, lineno, f"same must be 0, 1, true or false, got {fields[2]!r}")
        id_a.append(fields[0])
        id_b.append(fields[1])
        same.append(LABELS[fields[2].lower()])
        if width == 4:
            fold.append(parse_int(fields[3], path, lineno, "fold", 0))
    if width == 3:
        person_a = np.array([_person(path, no, f[0]) for no, f in rows], dtype=object)
        person_b = np.array([_person(path, no, f[1]) for no, f in rows], dtype=object)
        fold = people_disjoint_folds(person_a, person_b, n_folds, seed)
    a, b = np.array(id_a, dtype=object), np.array(id_b, dtype=object)
    return PairList(a, b, np.array(same, dtype=bool), np.array(fold, dtype=np.int64), name or path.stem)
