"""The study's inputs aligned once: every model's L2-normalised vectors over the same images, and the fold group of
each image (the folds its person appears in), which decides which fits may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError, MismatchError, NotFoundError
from facebridge.protocols import PairList, person_of
from facebridge.vectors import unit_rows


@dataclass(frozen=True, eq=False)
class StudyData:
    """Embeddings of ``n`` images in every model, plus the protocol.

    Parameters
    ----------
    models : model names, in the order given.
    ids : (n,) ids shared by every model's set, sorted: the training pool and the pairs' images.
    vectors : model -> (n, d_model) float64 rows of unit L2 norm, row ``i`` is ``ids[i]``.
    groups : the distinct fold sets of the images' people; ``frozenset()`` for people in no pair.
    group : (n,) int, index into ``groups`` of each image.
    pairs : the protocol.
    row_a, row_b : (n_pairs,) rows of each pair's two images.
    """

    models: tuple[str, ...]
    ids: np.ndarray
    vectors: Mapping[str, np.ndarray]
    groups: tuple[frozenset[int], ...]
    group: np.ndarray
    pairs: PairList
    row_a: np.ndarray
    row_b: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def fold_ids(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.pairs.fold_ids)

    def dim(self, model: str) -> int:
        return int(self.vectors[model].shape[1])

    def allowed(self, exclude: frozenset[int]) -> np.ndarray:
        """(n,) bool: images whose person is in none of the folds ``exclude``."""
        ok = np.array([not (g & exclude) for g in self.groups], dtype=bool)
        return ok[self.group]

    def in_fold(self, fold: int) -> np.ndarray:
        """(n,) bool: images whose person appears in fold ``fold``."""
        return ~self.allowed(frozenset({fold}))

    def fold_images(self, fold: int, *, second: bool = True) -> FoldImages:
        """The distinct images of fold ``fold``'s pairs (their first images only, unless ``second``)."""
        return self._fold_images[(fold, second)]

    @cached_property
    def _fold_images(self) -> dict[tuple[int, bool], FoldImages]:
        """``fold_images`` of every fold, both ways: found once, since every fit of a fold scores its images."""
        out = {}
        for k in self.fold_ids:
            rows = self.pairs.fold == k
            a = self.row_a[rows]
            for second in (True, False):
                images, inverse = np.unique(np.concatenate([a, self.row_b[rows]]) if second else a, return_inverse=True)
                out[(k, second)] = FoldImages(images, inverse[: len(a)], inverse[len(a) :] if second else None)
        return out


@dataclass(frozen=True, eq=False)
class FoldImages:
    """The distinct images of one fold's pairs and where each pair's images are among them: a map or a view is
    applied to each image once, however many pairs it is in (LFW View 2: ~770 images for a fold's 1,200 sides,
    ~460 for its 600 first images).

    ``rows``: (m,) sorted rows into ``StudyData.ids``; ``a`` (and ``b``, None when only first images were asked
    for): (n_fold_pairs,) positions in ``rows`` of each pair's first (second) image, in the fold's pair order.
    """

    rows: np.ndarray
    a: np.ndarray
    b: np.ndarray | None


def study_data(sets: Mapping[str, EmbeddingSet], pairs: PairList) -> StudyData:
    """Align ``sets`` (model name -> EmbeddingSet) on the ids they all contain, and group images by fold.

    Raises InvalidInputError for fewer than two models or folds, NotFoundError when a pair's image is missing
    from a set (pairs are never dropped silently), MismatchError when no image is shared.
    """
    if len(sets) < 2:
        raise InvalidInputError(f"a study needs at least two models, got {len(sets)}")
    if pairs.n_folds < 2:
        raise InvalidInputError(f"a study needs at least two folds, got {pairs.n_folds}")
    shared: set[str] | None = None
    for es in sets.values():
        shared = set(es.ids) if shared is None else shared & set(es.ids)
    ids = np.array(sorted(shared or ()), dtype=object)
    if len(ids) == 0:
        raise MismatchError(f"the models {', '.join(sets)} share no image id")
    row = {k: i for i, k in enumerate(ids)}
    missing = [i for i in pairs.ids() if i not in row]
    if missing:
        lacking = [m for m, es in sets.items() if missing[0] not in set(es.ids)]
        raise NotFoundError(
            f"{len(missing)} pair images are missing from some model's set (e.g. {missing[0]!r} from "
            f"{', '.join(lacking)}); embed them or pass a pair list without them"
        )
    folds_of: dict[str, set[int]] = {}
    for a, b, k in zip(pairs.id_a, pairs.id_b, pairs.fold, strict=True):
        folds_of.setdefault(person_of(a), set()).add(int(k))
        folds_of.setdefault(person_of(b), set()).add(int(k))
    image_groups = [frozenset(folds_of.get(person_of(i), ())) for i in ids]
    groups = tuple(sorted(set(image_groups), key=lambda g: (len(g), sorted(g))))
    index = {g: j for j, g in enumerate(groups)}
    vectors = {m: unit_rows(es.vectors[es.index_of(ids)], m, ids) for m, es in sets.items()}
    return StudyData(
        models=tuple(sets),
        ids=ids,
        vectors=vectors,
        groups=groups,
        group=np.array([index[g] for g in image_groups], dtype=np.int64),
        pairs=pairs,
        row_a=np.fromiter((row[i] for i in pairs.id_a), dtype=np.int64, count=pairs.n),
        row_b=np.fromiter((row[i] for i in pairs.id_b), dtype=np.int64, count=pairs.n),
    )
