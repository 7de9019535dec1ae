"""The shifted-domain protocol's data: LFW's people split into a fitting half and an evaluation half, and the
evaluation half's 1:1 pairs.

Maps are fitted on the fitting half's clean images only; the evaluation half's images are embedded clean and
through each camera corruption (:mod:`facebridge.images.corruptions`, ``embed --corrupt``), and scored 1:1
(:func:`evaluation_pairs`) and 1:N (:func:`~facebridge.protocols.identification.identification_split` of the
evaluation half). The halves are disjoint in people, so no face the maps were fitted on is ever scored; every choice
about transfer is made here (or on View 1), never on View 2's test folds.

Split rule: people with two or more images are shuffled with ``seed`` and dealt alternately (fitting, evaluation,
...), and so are people with one image, so both halves hold about half of each kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.protocols.pairs import PairList, person_of


@dataclass(frozen=True)
class DomainSplit:
    """Sorted image ids of the fitting half and of the evaluation half (disjoint in people), and how they were drawn."""

    fit_ids: tuple[str, ...]
    eval_ids: tuple[str, ...]
    seed: int

    def to_dict(self) -> dict:
        halves = (("fit", self.fit_ids), ("eval", self.eval_ids))
        people = {name: len({person_of(i) for i in ids}) for name, ids in halves}
        return {
            "seed": self.seed,
            "n_fit_images": len(self.fit_ids),
            "n_eval_images": len(self.eval_ids),
            "n_fit_people": people["fit"],
            "n_eval_people": people["eval"],
        }


def _by_person(ids: Iterable[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i in sorted(set(map(str, ids))):
        out[person_of(i)].append(i)
    return out


def domain_split(ids: Iterable[str], *, seed: int = 0) -> DomainSplit:
    """Split labelled image ids (person = first path component) into two people-disjoint halves (module docstring)."""
    by_person = _by_person(ids)
    rng = np.random.default_rng(seed)
    halves: tuple[list[str], list[str]] = ([], [])
    for multi in (True, False):
        people = sorted(p for p, v in by_person.items() if (len(v) >= 2) == multi)
        for j, person in enumerate(rng.permutation(people) if people else []):
            halves[j % 2].extend(by_person[str(person)])
    if not halves[1] or not any(len(v) >= 2 for p, v in _by_person(halves[1]).items()):
        raise InvalidInputError("the evaluation half has no person with two or more images; give more people")
    return DomainSplit(tuple(sorted(halves[0])), tuple(sorted(halves[1])), seed)


def sample_people(ids: Iterable[str], n_people: int, *, seed: int = 0) -> tuple[str, ...]:
    """The images of ``n_people`` people of ``ids`` drawn with ``seed`` (all of each one's images): a cheaper subset
    of the evaluation half when embedding every corruption of it would cost too much."""
    by_person = _by_person(ids)
    if not 1 <= n_people <= len(by_person):
        raise InvalidInputError(f"n_people must be in 1..{len(by_person)}, got {n_people}")
    drawn = np.random.default_rng(seed).choice(sorted(by_person), size=n_people, replace=False)
    return tuple(sorted(i for p in drawn for i in by_person[str(p)]))


def _matched(by_person: dict[str, list[str]], people: list[str], quota: int, rng: np.random.Generator) -> list:
    """Up to ``quota`` distinct same-person pairs, people taken in turn (each turn one unused pair of that person)."""
    pools = {}
    for p in people:
        pairs = list(combinations(by_person[p], 2))
        pools[p] = [pairs[i] for i in rng.permutation(len(pairs))]
    out: list[tuple[str, str]] = []
    while len(out) < quota and any(pools.values()):
        for p in people:
            if pools[p] and len(out) < quota:
                out.append(pools[p].pop())
    return out


def _mismatched(by_person: dict[str, list[str]], people: list[str], quota: int, rng: np.random.Generator) -> list:
    """Up to ``quota`` distinct pairs of one image each of two different people, drawn at random."""
    if len(people) < 2:
        return []
    n = 4 * quota
    p, q = rng.integers(len(people), size=n), rng.integers(len(people), size=n)
    u, v = rng.random(n), rng.random(n)
    out: dict[tuple[str, str], None] = {}
    for i in np.flatnonzero(p != q):
        a, b = by_person[people[p[i]]], by_person[people[q[i]]]
        pair = (a[int(u[i] * len(a))], b[int(v[i] * len(b))])
        out[(min(pair), max(pair))] = None
        if len(out) == quota:
            break
    return list(out)


def evaluation_pairs(
    ids: Iterable[str], *, n_folds: int = 10, pairs_per_fold: int = 300, seed: int = 0, name: str = "lfw-shifted"
) -> PairList:
    """1:1 pairs among ``ids`` in ``n_folds`` people-disjoint folds (people dealt round-robin after a seeded
    shuffle): per fold, up to ``pairs_per_fold`` distinct matched pairs (two images of one person, the fold's people
    taken in turn) and up to as many distinct mismatched pairs (one image each of two of the fold's people)."""
    by_person = _by_person(ids)
    rng = np.random.default_rng(seed)
    people = [str(p) for p in rng.permutation(sorted(by_person))]
    rows: list[tuple[str, str, bool, int]] = []
    for k in range(n_folds):
        group = people[k::n_folds]
        multi = [p for p in group if len(by_person[p]) >= 2]
        rows += [(a, b, True, k) for a, b in _matched(by_person, multi, pairs_per_fold, rng)]
        rows += [(a, b, False, k) for a, b in _mismatched(by_person, group, pairs_per_fold, rng)]
    if not any(r[2] for r in rows) or all(r[2] for r in rows):
        raise InvalidInputError("too few people for matched and mismatched evaluation pairs")
    id_a, id_b, same, fold = zip(*rows, strict=True)
    return PairList(
        np.array(id_a, dtype=object), np.array(id_b, dtype=object), np.array(same), np.array(fold), name
    )
