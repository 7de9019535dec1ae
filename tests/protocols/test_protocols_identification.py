"""The identification split (people-disjoint, seeded, written as data) and the 1:N metrics against plain references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import InvalidInputError
from facebridge.protocols.identification import identification_split, read_split, write_split
from facebridge.protocols.identification_metrics import (
    closed_set_dir,
    identify,
    mate_ranks,
    open_set_dir,
    threshold_at,
)
from facebridge.protocols.pairs import person_of

MATED = np.array([[0.9, 0.2, 0.1], [0.5, 0.4, 0.3], [0.3, 0.6, 0.6]])
MATE = np.array([0, 1, 2])
NONMATED = np.array([[0.7, 0.1, 0.0], [0.2, 0.35, 0.1]])


def _ids(counts: list[int]) -> list[str]:
    return [f"p{i}/{j}.jpg" for i, c in enumerate(counts) for j in range(c)]


def test_hand_checked_gallery() -> None:
    # p0 mate first (rank 1); p1 beaten by 0.5 (rank 2); p2 tied at 0.6 (ties count against: rank 2).
    assert mate_ranks(MATED, MATE).tolist() == [1, 2, 2]
    result = identify(MATED, MATE, NONMATED, ranks=(1, 2), fpirs=(0.5,))
    assert result.cmc == {1: pytest.approx(1 / 3), 2: 1.0}
    # Open set at FPIR 0.5: one of two non-mated probes may alarm -> t just above 0.35; only p0 is rank 1 above it.
    op = result.dir_open[0.5]
    assert (op.hits, op.n, op.false_alarms, op.n_false) == (1, 3, 1, 2)
    assert 0.35 < op.threshold < 0.3500001
    # Closed set (insightface): k = ceil(0.5 * 3) = 2nd largest non-mate score = 0.5; mates above it: 0.9, 0.6.
    cl = result.dir_closed[0.5]
    assert (cl.hits, cl.threshold, cl.false_alarms, cl.n_false) == (2, 0.5, 1, 6)


def _reference_open(scores, mate, nonmated, fpir):
    """Plain loops: every candidate threshold, keep the smallest whose FPIR <= fpir."""
    tops = [max(row) for row in nonmated]
    best = math.inf
    for t in [*tops, math.inf]:
        t = float(np.nextafter(t, math.inf))
        if sum(x >= t for x in tops) / len(tops) <= fpir:
            best = min(best, t)
    for t in tops:  # thresholds exactly at a top score, too
        if sum(x >= t for x in tops) / len(tops) <= fpir:
            best = min(best, t)
    hits = 0
    for row, m in zip(scores, mate, strict=True):
        rank = 1 + sum(1 for j, s in enumerate(row) if j != m and s >= row[m])
        hits += rank == 1 and row[m] >= best
    return hits


def _reference_closed(scores, mate, fpir):
    neg = sorted((s for row, m in zip(scores, mate, strict=True) for j, s in enumerate(row) if j != m), reverse=True)
    t = neg[math.ceil(fpir * len(mate)) - 1]
    return sum(row[m] > t for row, m in zip(scores, mate, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.integers(1, 8), st.integers(1, 8), st.integers(0, 9999), st.sampled_from([0.1, 0.3, 0.5]))
def test_metrics_match_plain_reference(g: int, n: int, m: int, seed: int, fpir: float) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=(n, g)) / 4  # coarse values: many ties
    nonmated = rng.integers(0, 5, size=(m, g)) / 4
    mate = rng.integers(0, g, size=n)
    ranks = mate_ranks(scores, mate)
    for i in range(n):
        assert ranks[i] == 1 + sum(1 for j in range(g) if j != mate[i] and scores[i, j] >= scores[i, mate[i]])
    assert open_set_dir(scores, mate, nonmated, fpir).hits == _reference_open(scores, mate, nonmated, fpir)
    assert closed_set_dir(scores, mate, fpir).hits == _reference_closed(scores, mate, fpir)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(0, 9999), st.sampled_from([0.0, 1e-3, 0.01, 0.1, 0.5, 0.999, 1.0]),
       st.sampled_from([np.float64, np.float32]))  # fmt: skip
def test_threshold_is_the_smallest_with_rate_at_most_the_target(n: int, seed: int, rate: float, dtype) -> None:
    """Float32 scores too (FAISS and cosine_matrix give them): a float64 step above a float32 score rounded back
    onto it when compared, so the threshold accepted one false alarm too many."""
    scores = (np.random.default_rng(seed).integers(0, 7, size=n) / 6).astype(dtype)  # many ties
    t = threshold_at(scores, rate)
    assert (scores >= t).mean() <= rate
    below = [float(x) for x in np.unique(scores) if x < t]  # any smaller threshold at a score accepts too many
    assert all((scores >= x).mean() > rate for x in below)


def test_split_is_people_disjoint_complete_and_seeded(tmp_path) -> None:
    ids = _ids([3, 1, 2, 5, 1, 1, 2, 4, 2, 3, 1, 2])
    split = identification_split(ids, n_folds=3, seed=7, open_fraction=0.3)
    assert sorted(split.ids) == sorted(ids)  # every image exactly once
    people_fold: dict[str, set[int]] = {}
    for i, k in zip(split.ids, split.fold, strict=True):
        people_fold.setdefault(person_of(i), set()).add(int(k))
    assert all(len(f) == 1 for f in people_fold.values())
    for k in range(3):
        gallery = [person_of(i) for i in split.gallery(k)]
        assert len(gallery) == len(set(gallery))  # one image per enrolled person
        assert {person_of(i) for i in split.mated(k)} <= set(gallery)
        assert not {person_of(i) for i in split.nonmated(k)} & set(gallery)
        fold_people = {person_of(i) for i in split.ids[split.fold == k]}
        assert not fold_people & {person_of(i) for i in split.train_ids(k)}
    again = identification_split(list(reversed(ids)), n_folds=3, seed=7, open_fraction=0.3)
    assert [*again.ids] == [*split.ids] and [*again.role] == [*split.role]
    other = identification_split(ids, n_folds=3, seed=8, open_fraction=0.3)
    assert [*other.role] != [*split.role] or [*other.fold] != [*split.fold]
    back = read_split(write_split(split, tmp_path / "split.csv"))
    assert [*back.ids] == [*split.ids] and back.fold.tolist() == split.fold.tolist() and back.seed == 7


def test_split_refuses_too_few_people() -> None:
    with pytest.raises(InvalidInputError, match="n_folds"):
        identification_split(_ids([2, 2, 1]), n_folds=3)


def test_split_of_all_lfw_images() -> None:
    from tests.helpers import LFW_IMAGES, require_shared

    require_shared(LFW_IMAGES)
    ids = [f"{p.name}/{f.name}" for p in LFW_IMAGES.iterdir() if p.is_dir() for f in p.iterdir()]
    split = identification_split(ids, n_folds=5, seed=0)
    counts = [split.counts(k) for k in range(5)]
    assert len(split.ids) == 13233
    assert sum(c["distractor"] for c in counts) == 5749 - 1680
    assert sum(c["enrolled_people"] for c in counts) + sum(
        len({person_of(i) for i in split.nonmated(k)}) for k in range(5)
    ) == 1680
