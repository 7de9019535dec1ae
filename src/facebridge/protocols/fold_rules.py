"""Fold assignment for real pair lists, where random impostor pairs link everyone into one group.

Three rules, each returning folds plus a one-line note saying which rule was used (shown in every result):

- people-disjoint (:func:`facebridge.protocols.csv_pairs.people_disjoint_folds`), when the pairs allow it;
- people to folds (:func:`people_to_folds`): every person gets a fold, a pair goes to the fold of its first
  image's person, so genuine pairs never cross folds and the impostor pairs between two folds' people are the
  only sharing (fold k's map is still trained without any person in fold k's pairs);
- pairs (:func:`pair_folds`): pairs dealt to folds at random, people shared across folds.
"""

from __future__ import annotations

import numpy as np

from facebridge.checks import check_int
from facebridge.errors import InvalidInputError


def deal_groups(sizes: np.ndarray, n_folds: int, tie_order: np.ndarray) -> np.ndarray:
    """(len(sizes),) fold of each group, balancing the folds' total size: the groups are taken largest first (equal
    sizes in ``tie_order``, a permutation of the groups) and each goes to the fold with the smallest total so far
    (the lowest fold on ties). One dealer for the people-disjoint folds of pair lists and the inner splits of the
    cross-validated ridge."""
    sizes = np.asarray(sizes)
    order = tie_order[np.argsort(-sizes[tie_order], kind="stable")]
    load = np.zeros(n_folds, dtype=np.int64)
    fold_of_group = np.empty(len(sizes), dtype=np.int64)
    for group in order:
        k = int(np.argmin(load))
        fold_of_group[group] = k
        load[k] += sizes[group]
    return fold_of_group


def people_to_folds(person_a: np.ndarray, person_b: np.ndarray, n_folds: int, seed: int = 0) -> np.ndarray:
    """Folds from people: each person of ``person_a`` gets a fold, each pair the fold of its ``person_a``.

    People are shuffled with ``seed`` and dealt largest first (by the pairs they lead) to the fold with the fewest
    pairs so far. Raises InvalidInputError when fewer people lead pairs than there are folds.
    """
    n_folds = check_int(n_folds, "n_folds", "people_to_folds", 1)
    people, lead = np.unique(np.asarray(person_a).astype(str), return_inverse=True)
    if len(people) < n_folds:
        raise InvalidInputError(f"the pairs' first images show {len(people)} people, too few for {n_folds} folds")
    sizes = np.bincount(lead, minlength=len(people))
    return deal_groups(sizes, n_folds, np.random.default_rng(seed).permutation(len(people)))[lead]


def pair_folds(n_pairs: int, n_folds: int, seed: int = 0) -> np.ndarray:
    """``n_pairs`` pairs dealt at random (``seed``) to ``n_folds`` folds of sizes differing by at most one."""
    if not 1 <= n_folds <= n_pairs:
        raise InvalidInputError(f"n_folds must be in 1..{n_pairs} (the number of pairs), got {n_folds}")
    folds = np.empty(n_pairs, dtype=np.int64)
    folds[np.random.default_rng(seed).permutation(n_pairs)] = np.arange(n_pairs) % n_folds
    return folds


def fold_sharing(person_a: np.ndarray, person_b: np.ndarray, folds: np.ndarray) -> tuple[int, int]:
    """(people appearing in more than one fold, pairs showing such a person); (0, 0) for people-disjoint folds."""
    a, b = np.asarray(person_a).astype(str), np.asarray(person_b).astype(str)
    folds_of: dict[str, set[int]] = {}
    for person, k in zip(np.concatenate([a, b]), np.concatenate([folds, folds]).tolist(), strict=True):
        folds_of.setdefault(person, set()).add(k)
    shared = {p for p, ks in folds_of.items() if len(ks) > 1}
    return len(shared), sum(1 for x, y in zip(a, b, strict=True) if x in shared or y in shared)


#: The training pools a map fitted for a test fold may use, by name: what each holds (``evaluate --pool``).
POOLS: dict[str, str] = {
    "people": "every image of the people outside the test fold",
    "pairs": "only the images used by the other folds' pairs",
}


def training_pool_sizes(
    id_a: np.ndarray, id_b: np.ndarray, person_a: np.ndarray, person_b: np.ndarray, folds: np.ndarray
) -> np.ndarray:
    """(k,) for each fold (sorted), how many of the pairs' distinct images show people absent from the fold's pairs:
    the training pool a map fitted for that fold may use (``evaluate --fit``), among the pairs' own images."""
    ids = np.concatenate([id_a, id_b]).astype(str)
    people = np.concatenate([person_a, person_b]).astype(str)
    twice = np.concatenate([folds, folds])
    _, first = np.unique(ids, return_index=True)
    image_person = people[first]
    sizes = []
    for k in np.unique(folds):
        held_out = np.unique(people[twice == k])
        sizes.append(int((~np.isin(image_person, held_out)).sum()))
    return np.array(sizes, dtype=np.int64)
