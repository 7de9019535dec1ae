"""The canonical verification protocol: pairs of image (or video) ids, a same/different label and a fold each.

Every benchmark file (LFW ``pairs.txt``, YTF ``splits.txt``, a user CSV) is parsed into one ``PairList``; the folds
are data carried by each pair, never inferred from line positions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError


def person_of(image_id: str) -> str:
    """The person of an id: its first path component.

    ``"Aaron_Eckhart/Aaron_Eckhart_0001.jpg"`` -> ``"Aaron_Eckhart"``; YTF ``"Sadie_Frost/1"`` -> ``"Sadie_Frost"``.
    Ids are relative to the dataset root, so an id without a person folder (or an absolute path) is an error.
    """
    person, sep, rest = image_id.partition("/")
    if not (person and sep and rest):
        raise InvalidInputError(f"id {image_id!r} has no person folder (expected 'Person/...')")
    return person


def _id_array(values: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise InvalidInputError(f"{what} must be 1-D, got shape {arr.shape}")
    if not all(isinstance(v, str) and v for v in arr):
        raise InvalidInputError(f"every {what} must be a non-empty string")
    return arr


def pair_warnings(id_a: np.ndarray, id_b: np.ndarray, same: np.ndarray, fold: np.ndarray) -> list[str]:
    """One-line warnings on a pair list: folds whose pairs are all genuine or all impostor (their threshold and
    accuracy mean little), and pairs listed more than once (each copy is counted)."""
    out = []
    degenerate = [f"{int(k)} ({'genuine' if same[fold == k].all() else 'impostor'})" for k in np.unique(fold)
                  if same[fold == k].all() or not same[fold == k].any()]  # fmt: skip
    if degenerate:
        out.append(f"warning: {len(degenerate)} folds hold only genuine or only impostor pairs: "
                   f"{', '.join(degenerate[:5])}; their accuracy measures one kind of error only")  # fmt: skip
    keys = [(min(a, b), max(a, b)) for a, b in zip(id_a, id_b, strict=True)]
    repeats = len(keys) - len(set(keys))
    if repeats:
        first = next(k for k, n in Counter(keys).items() if n > 1)
        out.append(f"warning: {repeats} pairs repeat an earlier pair (e.g. {first[0]}, {first[1]}); each copy is "
                   "counted")  # fmt: skip
    return out


@dataclass(frozen=True, eq=False)
class PairList:
    """``n`` verification pairs with their labels and folds.

    Parameters
    ----------
    id_a, id_b : (n,) str, the ids compared, e.g. ``"Abel_Pacheco/Abel_Pacheco_0001.jpg"`` or ``"Sadie_Frost/1"``.
    same : (n,) bool, True for a genuine (same person) pair.
    fold : (n,) int >= 0, the cross-validation fold of each pair.
    name : protocol name used in reports, e.g. ``"lfw"``.
    notes : one-line remarks carried into every result, e.g. which rule assigned the folds.
    """

    id_a: np.ndarray
    id_b: np.ndarray
    same: np.ndarray
    fold: np.ndarray
    name: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        id_a, id_b = _id_array(self.id_a, "id_a"), _id_array(self.id_b, "id_b")
        same, fold = np.asarray(self.same), np.asarray(self.fold)
        if same.dtype != np.bool_:
            raise InvalidInputError(f"same must be a bool array, got dtype {same.dtype}")
        if not np.issubdtype(fold.dtype, np.integer):
            raise InvalidInputError(f"fold must be an integer array, got dtype {fold.dtype}")
        if same.ndim != 1 or fold.ndim != 1 or not len(id_a) == len(id_b) == len(same) == len(fold):
            raise InvalidInputError(
                f"id_a, id_b, same and fold must be 1-D of equal length, got shapes "
                f"{id_a.shape}, {id_b.shape}, {same.shape}, {fold.shape}"
            )
        if len(fold) and fold.min() < 0:
            raise InvalidInputError(f"folds must be >= 0, got {int(fold.min())}")
        object.__setattr__(self, "id_a", id_a)
        object.__setattr__(self, "id_b", id_b)
        object.__setattr__(self, "same", same)
        object.__setattr__(self, "fold", fold.astype(np.int64, copy=False))
        warnings = [w for w in pair_warnings(id_a, id_b, same, fold) if w not in self.notes]
        object.__setattr__(self, "notes", (*self.notes, *warnings))

    @property
    def n(self) -> int:
        return len(self.same)

    def __len__(self) -> int:
        return self.n

    @property
    def fold_ids(self) -> np.ndarray:
        """(k,) sorted distinct fold numbers."""
        return np.unique(self.fold)

    @property
    def n_folds(self) -> int:
        return len(self.fold_ids)

    def ids(self) -> np.ndarray:
        """Sorted unique ids used by any pair: the images (or videos) that must be embedded."""
        return np.unique(np.concatenate([self.id_a, self.id_b]).astype(str)).astype(object)

    def without_images(self, left_out: dict[str, str], where: str) -> PairList:
        """The pairs that use none of the ``left_out`` ids (id -> why, e.g. ``no_face``), with a warning note that
        counts the dropped pairs and names the first images and ``where`` their statuses are kept."""
        keep = np.array([a not in left_out and b not in left_out for a, b in zip(self.id_a, self.id_b, strict=True)])
        if keep.all():
            return self
        if not keep.any():
            raise InvalidInputError(f"every pair uses an image that was not embedded (see {where})")
        used = sorted({i for i in (*self.id_a[~keep], *self.id_b[~keep]) if i in left_out})
        names = ", ".join(f"{i} ({left_out[i]})" for i in used[:3])
        names += f" and {len(used) - 3} more" if len(used) > 3 else ""
        note = (f"warning: dropped {int((~keep).sum())} of {self.n} pairs ({int((self.same & ~keep).sum())} genuine): "
                f"their {len(used)} images were not embedded: {names}; statuses in {where}")  # fmt: skip
        return PairList(self.id_a[keep], self.id_b[keep], self.same[keep], self.fold[keep], self.name,
                        (*self.notes, note))  # fmt: skip

    def people_of_fold(self, k: int) -> set[str]:
        """The people (``person_of``) appearing in fold ``k``."""
        mask = self.fold == k
        return {person_of(i) for i in self.id_a[mask]} | {person_of(i) for i in self.id_b[mask]}
