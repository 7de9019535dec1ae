"""Generic pair lists from CSV: ``path1,path2,same[,fold]``, with folds assigned when none are given.

``path1``/``path2`` are ids: paths relative to the image folder given to ``embed --images``, ``"Person/image.jpg"``
(the first folder is the person). With that folder as ``root``, paths that start with it or are absolute inside it
are accepted too. ``same`` is 0/1/true/false (any case); ``fold`` is an integer >= 0. A first line whose ``same``
field is not such a label is a header and skipped. Without a fold column the folds follow ``folds_by``
(:mod:`facebridge.protocols.fold_rules`); every PairList says in its notes which rule was used.
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from facebridge.checks import check_int, check_seed
from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.protocols._lines import line_error, parse_int, read_lines
from facebridge.protocols.fold_rules import deal_groups, fold_sharing, pair_folds, people_to_folds, training_pool_sizes
from facebridge.protocols.pairs import PairList, person_of

log = logging.getLogger(__name__)

LABELS = {"0": False, "1": True, "false": False, "true": True}
FOLDS_BY = ("people", "pairs")


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
    n_folds = check_int(n_folds, "n_folds", "people_disjoint_folds", 1)
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
    return deal_groups(sizes, n_folds, np.random.default_rng(seed).permutation(n_groups))[group_of_pair]


def _person(path: Path, lineno: int, image_id: str) -> str:
    try:
        return person_of(image_id)
    except InvalidInputError as exc:
        raise line_error(path, lineno, f"{exc}; people-disjoint folds need it, or give a fold column") from None


def image_id(text: str, root: Path | None) -> str:
    """The id of a CSV path: as written, or relative to ``root`` when it starts with ``root`` or is absolute in it.

    Raises InvalidInputError for an absolute path outside ``root`` (it cannot match an embedded image's id).
    """
    path = Path(text)
    if root is None:
        return text
    if not path.is_absolute():
        prefixed = root.parts != () and path.parts[: len(root.parts)] == root.parts
        if not prefixed or (root / path).is_file():
            return text
        path = Path.cwd() / path
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InvalidInputError(f"{text} is not inside the image folder {root}") from None


def assign_folds(
    person_a: np.ndarray, person_b: np.ndarray, n_folds: int, seed: int, folds_by: str
) -> tuple[np.ndarray, str]:
    """Folds for pairs without a fold column, and a one-line note naming the rule used (module docstring).

    ``folds_by="people"``: people-disjoint folds when the pairs link their people into at least ``n_folds``
    groups, else people assigned to folds with each pair in its first image's fold. ``"pairs"``: pairs at random.
    """
    if folds_by not in FOLDS_BY:
        raise InvalidInputError(f"folds_by must be one of {', '.join(FOLDS_BY)}, got {folds_by!r}")
    if folds_by == "pairs":
        folds = pair_folds(len(person_a), n_folds, seed)
        shared, _ = fold_sharing(person_a, person_b, folds)
        return folds, (
            f"folds: pairs dealt at random to {n_folds} folds (--folds-by pairs); {shared} people appear in several "
            "folds, so a test fold's threshold is chosen on pairs that show its people"
        )
    try:
        folds = people_disjoint_folds(person_a, person_b, n_folds, seed)
        return folds, f"folds: {n_folds} people-disjoint folds (groups of people linked by any pair kept together)"
    except InvalidInputError:
        folds = people_to_folds(person_a, person_b, n_folds, seed)
    people, pairs = fold_sharing(person_a, person_b, folds)
    return folds, (
        f"folds: people assigned to {n_folds} folds, each pair in its first image's person's fold (the pairs link "
        f"their people too closely for people-disjoint folds); through impostor pairs {people} people appear in "
        f"several folds ({pairs} pairs show them); a map fitted per fold still never trains on a test fold's people"
    )


def _pool_cost(
    id_a: np.ndarray, id_b: np.ndarray, person_a: np.ndarray, person_b: np.ndarray, folds: np.ndarray
) -> str:
    """For folds that share people, what that costs a map fitted per fold: its training pool, as a note's tail."""
    if not fold_sharing(person_a, person_b, folds)[0]:
        return ""
    sizes = training_pool_sizes(id_a, id_b, person_a, person_b, folds)
    n_images = len(np.unique(np.concatenate([id_a, id_b]).astype(str)))
    return (
        f"; this costs a map fitted per fold (--fit) training data: its pool (people outside the fold's pairs) holds "
        f"{sizes.min()}-{sizes.max()} of the pairs' {n_images} images; 'facebridge pairs --images DIR' writes "
        "people-disjoint folds, whose pools keep every other fold's people"
    )


def parse_pairs_csv(
    path: str | os.PathLike[str],
    n_folds: int = 10,
    seed: int = 0,
    name: str | None = None,
    *,
    folds_by: str = "people",
    root: str | os.PathLike[str] | None = None,
) -> PairList:
    """Parse a ``path1,path2,same[,fold]`` CSV into a PairList named ``name`` (default: the file stem).

    Without a fold column, folds come from :func:`assign_folds` (``n_folds``, ``seed``, ``folds_by``) over
    ``person_of`` of each id; a given fold column that shares people between folds gets a note. ``root`` is the
    image folder the ids are relative to (:func:`image_id`). Raises MissingFileError when absent,
    DataFormatError naming ``file:line`` for a malformed line, and InvalidInputError when no folds can be made.
    """
    path = Path(path)
    seed = check_seed(seed, "seed", "parse_pairs_csv")
    root = Path(root) if root is not None else None
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
        try:
            id_a.append(image_id(fields[0], root))
            id_b.append(image_id(fields[1], root))
        except InvalidInputError as exc:
            raise line_error(path, lineno, str(exc)) from None
        same.append(LABELS[fields[2].lower()])
        if width == 4:
            fold.append(parse_int(fields[3], path, lineno, "fold", 0))
    notes: list[str] = []
    if width == 3:
        person_a = np.array([_person(path, no, i) for (no, _), i in zip(rows, id_a, strict=True)], dtype=object)
        person_b = np.array([_person(path, no, i) for (no, _), i in zip(rows, id_b, strict=True)], dtype=object)
        dealt, note = assign_folds(person_a, person_b, n_folds, seed, folds_by)
        notes.append(note + _pool_cost(np.array(id_a), np.array(id_b), person_a, person_b, dealt))
        fold = dealt.tolist()
    elif all("/" in i for i in id_a + id_b):  # ids with a person folder: check the given folds
        shared, _ = fold_sharing(np.array([person_of(i) for i in id_a]), np.array([person_of(i) for i in id_b]),
                                 np.array(fold))  # fmt: skip
        if shared:
            notes.append(f"warning: the fold column is not people-disjoint: {shared} people appear in several folds")
    a, b = np.array(id_a, dtype=object), np.array(id_b, dtype=object)
    return PairList(a, b, np.array(same, dtype=bool), np.array(fold, dtype=np.int64), name or path.stem, tuple(notes))
