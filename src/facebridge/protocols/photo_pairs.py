"""A verification pair list made from a photo folder's ids (``Person/photo.jpg``), with people-disjoint folds.

Every same-person pair of photos is a genuine pair. People are dealt into folds by
:func:`~facebridge.protocols.csv_pairs.people_disjoint_folds` (each person its own group, weighted by its genuine
pairs), and each fold gets ``impostors_per_genuine`` times its genuine count of different-person pairs drawn from
its own people only, so no person appears in two folds. A map fitted for fold k then trains on every photo of the
other folds' people; random impostor pairs across the whole folder would link everyone into one group and leave a
fold far fewer training photos (the note of :func:`~facebridge.protocols.csv_pairs.parse_pairs_csv` says how many).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from facebridge.checks import check_int
from facebridge.errors import InvalidInputError
from facebridge.protocols.csv_pairs import people_disjoint_folds
from facebridge.protocols.pairs import PairList
from facebridge.storage import atomic_write


def _impostors(images: np.ndarray, person: np.ndarray, wanted: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Up to ``wanted`` distinct pairs (i < j) of ``images`` rows whose ``person`` differs, drawn with ``rng``."""
    n = len(images)
    sizes = np.bincount(person)
    possible = n * (n - 1) // 2 - int((sizes * (sizes - 1) // 2).sum())
    wanted = min(wanted, possible)
    if 2 * wanted > possible:  # a large share of all pairs: enumerate them (at most ~2x the output) and choose
        i, j = np.triu_indices(n, 1)
        keep = person[i] != person[j]
        chosen = np.sort(rng.choice(possible, size=wanted, replace=False))
        return list(zip(i[keep][chosen].tolist(), j[keep][chosen].tolist(), strict=True))
    seen: set[tuple[int, int]] = set()
    out: list[tuple[int, int]] = []
    while len(out) < wanted:  # rejection sampling in batches; draws stay in a seeded order
        for a, b in rng.integers(n, size=(2 * (wanted - len(out)) + 16, 2)).tolist():
            key = (min(a, b), max(a, b))
            if person[a] != person[b] and key not in seen and len(out) < wanted:
                seen.add(key)
                out.append(key)
    return out


def photo_pairs(
    ids: list[str] | np.ndarray,
    *,
    n_folds: int = 10,
    seed: int = 0,
    impostors_per_genuine: int = 1,
    name: str = "pairs",
) -> PairList:
    """Genuine and impostor pairs of ``ids`` in ``n_folds`` people-disjoint folds (module docstring), seeded.

    Ids without a person folder are left out (the notes count them). The result depends only on the set of ids,
    ``n_folds``, ``seed`` and ``impostors_per_genuine``. Raises InvalidInputError when fewer than ``n_folds``
    people, or no person with two photos, are found.
    """
    impostors_per_genuine = check_int(impostors_per_genuine, "impostors_per_genuine", "photo_pairs", 1)
    by_person: dict[str, list[str]] = defaultdict(list)
    loose = 0
    for image in sorted(set(map(str, ids))):
        person, sep, rest = image.partition("/")
        if person and sep and rest:
            by_person[person].append(image)
        else:
            loose += 1
    people = sorted(by_person)
    if not any(len(by_person[p]) >= 2 for p in people):
        raise InvalidInputError(
            f"no person folder holds two photos ({len(people)} people, {loose} photos outside a person folder): "
            "same-person pairs need photos/Person/1.jpg, photos/Person/2.jpg"
        )
    if len(people) < n_folds:
        raise InvalidInputError(f"{len(people)} people, too few for {n_folds} people-disjoint folds; lower --folds")
    # each person is a group weighted by its genuine pairs (at least 1, so one-photo people are dealt too)
    weight = [max(1, len(by_person[p]) * (len(by_person[p]) - 1) // 2) for p in people]
    rows = np.repeat(np.array(people, dtype=object), weight)
    fold_of_row = people_disjoint_folds(rows, rows, n_folds, seed)
    fold_of = dict(zip(people, fold_of_row[np.cumsum([0, *weight[:-1]])].tolist(), strict=True))
    rng = np.random.default_rng([seed, 1])
    id_a: list[str] = []
    id_b: list[str] = []
    same: list[bool] = []
    fold: list[int] = []
    short = 0
    for k in range(n_folds):
        members = [p for p in people if fold_of[p] == k]
        genuine = [(x, y) for p in members for i, x in enumerate(by_person[p]) for y in by_person[p][i + 1 :]]
        images = np.array([im for p in members for im in by_person[p]], dtype=object)
        person_of_image = np.repeat(np.arange(len(members)), [len(by_person[p]) for p in members])
        wanted = impostors_per_genuine * len(genuine)
        impostors = [(images[i], images[j]) for i, j in _impostors(images, person_of_image, wanted, rng)]
        short += wanted - len(impostors)
        for pairs, label in ((genuine, True), (impostors, False)):
            id_a += [a for a, _ in pairs]
            id_b += [b for _, b in pairs]
            same += [label] * len(pairs)
            fold += [k] * len(pairs)
    notes = [
        f"pairs: every same-person pair of {len(people)} people's photos, {impostors_per_genuine} different-person "
        f"pair(s) per genuine pair within its fold; {n_folds} people-disjoint folds, seed {seed}"
    ]
    if short:
        notes.append(f"warning: {short} impostor pairs short: some folds have too few different-person pairs")
    if loose:
        notes.append(f"{loose} photos outside a person folder left out (the first folder of an id is the person)")
    return PairList(np.array(id_a, dtype=object), np.array(id_b, dtype=object), np.array(same, dtype=bool),
                    np.array(fold, dtype=np.int64), name, tuple(notes))  # fmt: skip


def write_pairs_csv(pairs: PairList, path: str | os.PathLike[str]) -> Path:
    """Write ``pairs`` as the CSV ``parse_pairs_csv`` reads: a ``path1,path2,same,fold`` header, then one pair a
    line (``same`` 1/0), atomically."""
    path = Path(path)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["path1", "path2", "same", "fold"])
            writer.writerows(zip(pairs.id_a, pairs.id_b, pairs.same.astype(int).tolist(), pairs.fold.tolist(),
                                 strict=True))  # fmt: skip

    atomic_write(path, write)
    return path
