"""The 1:N identification protocol as data: a seeded, people-disjoint split of a labelled image list into folds,
each with a gallery (one enrolled image per person, plus distractors) and probes (mated and non-mated).

The rule, written once (LFW: 5,749 people, 1,680 with two or more images):

1. The people with two or more images are shuffled with ``seed`` and dealt round-robin into ``n_folds`` groups;
   so are the people with one image. Folds are therefore disjoint in people.
2. In fold ``k``, a share ``open_fraction`` of its multi-image people (rounded, seeded) is *not enrolled*: all
   their images are **non-mated probes** (open-set: the person is not in the gallery).
3. Every other multi-image person of fold ``k`` is **enrolled** with one image chosen with ``seed``; their other
   images are **mated probes**. People with one image are enrolled too: **distractors** nobody searches for.

A map for fold ``k`` may be trained on any image of a person outside fold ``k`` (:meth:`IdentificationSplit.train_ids`).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facebridge.checks import check_int, check_seed
from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.protocols.pairs import person_of
from facebridge.storage import atomic_write

#: Roles of an image in a fold; every image has exactly one role in exactly one fold.
ROLES = ("gallery", "distractor", "mated", "nonmated")


@dataclass(frozen=True, eq=False)
class IdentificationSplit:
    """Each image's fold and role.

    Parameters
    ----------
    ids : (n,) str image ids ``"Person/file"``.
    fold : (n,) int fold of each image (the fold of its person).
    role : (n,) str, one of :data:`ROLES`.
    seed, open_fraction : how the split was drawn (kept so a written split says how to redraw it).
    """

    ids: np.ndarray
    fold: np.ndarray
    role: np.ndarray
    seed: int
    open_fraction: float

    def __post_init__(self) -> None:
        ids, fold, role = (np.asarray(a) for a in (self.ids, self.fold, self.role))
        if not len(ids) == len(fold) == len(role):
            raise InvalidInputError(f"ids, fold and role differ in length: {len(ids)}, {len(fold)}, {len(role)}")
        bad = sorted(set(role.astype(str)) - set(ROLES))
        if bad:
            raise InvalidInputError(f"unknown roles {bad}; known: {', '.join(ROLES)}")
        object.__setattr__(self, "ids", ids.astype(object))
        object.__setattr__(self, "fold", fold.astype(np.int64))
        object.__setattr__(self, "role", role.astype(str).astype(object))

    @property
    def n_folds(self) -> int:
        return int(self.fold.max()) + 1 if len(self.fold) else 0

    def _ids(self, k: int, *roles: str) -> np.ndarray:
        return self.ids[(self.fold == k) & np.isin(self.role.astype(str), roles)]

    def gallery(self, k: int) -> np.ndarray:
        """Ids enrolled in fold ``k``: one image per enrolled person, then the distractors."""
        return np.concatenate([self._ids(k, "gallery"), self._ids(k, "distractor")])

    def mated(self, k: int) -> np.ndarray:
        """Probe ids of fold ``k`` whose person is enrolled."""
        return self._ids(k, "mated")

    def nonmated(self, k: int) -> np.ndarray:
        """Probe ids of fold ``k`` whose person is not enrolled (open-set)."""
        return self._ids(k, "nonmated")

    def mate_index(self, k: int) -> np.ndarray:
        """(len(mated(k)),) position in ``gallery(k)`` of each mated probe's enrolled image."""
        where = {person_of(i): j for j, i in enumerate(self.gallery(k))}
        return np.array([where[person_of(i)] for i in self.mated(k)], dtype=np.int64)

    def train_ids(self, k: int) -> np.ndarray:
        """Ids of every person outside fold ``k``: what a map for fold ``k`` may be fitted on."""
        return self.ids[self.fold != k]

    def counts(self, k: int) -> dict[str, int]:
        """Images per role in fold ``k`` and the number of enrolled people."""
        mask = self.fold == k
        out = {r: int((mask & (self.role == r)).sum()) for r in ROLES}
        return out | {"enrolled_people": out["gallery"]}


def identification_split(
    ids: np.ndarray | list[str], *, n_folds: int = 5, seed: int = 0, open_fraction: float = 0.25
) -> IdentificationSplit:
    """Split labelled image ids (person = first path component) by the rule in the module docstring."""
    n_folds = check_int(n_folds, "n_folds", "identification_split", 1)
    if not 0 <= open_fraction < 1:
        raise InvalidInputError(f"open_fraction must be in [0, 1), got {open_fraction!r}")
    seed = check_seed(seed, "seed", "identification_split")
    by_person: dict[str, list[str]] = defaultdict(list)
    for i in sorted(set(map(str, ids))):
        by_person[person_of(i)].append(i)
    multi = sorted(p for p, v in by_person.items() if len(v) >= 2)
    single = sorted(p for p, v in by_person.items() if len(v) == 1)
    if len(multi) < n_folds:
        raise InvalidInputError(f"{len(multi)} people with two or more images, fewer than n_folds={n_folds}")
    rng = np.random.default_rng(seed)
    out_ids: list[str] = []
    out_fold: list[int] = []
    out_role: list[str] = []

    def add(images: list[str], k: int, role: str) -> None:
        out_ids.extend(images)
        out_fold.extend([k] * len(images))
        out_role.extend([role] * len(images))

    for k, person in enumerate(rng.permutation(single)):
        add(by_person[str(person)], k % n_folds, "distractor")
    dealt = rng.permutation(multi)
    groups = [dealt[k::n_folds] for k in range(n_folds)]
    for k, group in enumerate(groups):
        n_open = round(open_fraction * len(group))
        for j, person in enumerate(rng.permutation(group)):
            images = by_person[str(person)]
            if j < n_open:
                add(images, k, "nonmated")
                continue
            enrol = int(rng.integers(len(images)))
            add([images[enrol]], k, "gallery")
            add([im for i, im in enumerate(images) if i != enrol], k, "mated")
    ids_out = np.array(out_ids, dtype=object)
    return IdentificationSplit(ids_out, np.array(out_fold), np.array(out_role), seed, open_fraction)


def write_split(split: IdentificationSplit, path: str | os.PathLike[str]) -> Path:
    """Write the split as CSV ``id,fold,role`` (a header comment names seed and open_fraction), atomically."""
    path = Path(path)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            fh.write(f"# facebridge identification split seed={split.seed} open_fraction={split.open_fraction}\n")
            writer = csv.writer(fh)
            writer.writerow(["id", "fold", "role"])
            writer.writerows(zip(split.ids, split.fold.tolist(), split.role, strict=True))

    atomic_write(path, write)
    return path


def read_split(path: str | os.PathLike[str]) -> IdentificationSplit:
    """Read a split written by :func:`write_split`; a malformed file is a DataFormatError naming the line."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        head = dict(kv.split("=") for kv in lines[0].split()[4:])
        seed, open_fraction = int(head["seed"]), float(head["open_fraction"])
        rows = list(csv.reader(lines[2:]))
        ids = [r[0] for r in rows]
        fold = [int(r[1]) for r in rows]
        role = [r[2] for r in rows]
    except (IndexError, KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a facebridge identification split ({exc!r})") from None
    return IdentificationSplit(np.array(ids, dtype=object), np.array(fold), np.array(role), seed, open_fraction)
