"""Generic CSV pair lists: parsing, errors with file:line, and people-disjoint fold assignment."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import DataFormatError, InvalidInputError, MissingFileError
from facebridge.protocols import parse_pairs_csv, people_disjoint_folds


def write(tmp_path: Path, text: str, name: str = "pairs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_fold_column_header_and_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'path1,path2,same,fold\nA/1.jpg,A/2.jpg,TRUE,3\n"B/x,y.jpg",C/1.jpg,0,0\nD/1.jpg,D/2.jpg,1,3\n'
    )
    p = parse_pairs_csv(path)
    assert p.name == "pairs"
    assert list(p.id_a) == ["A/1.jpg", "B/x,y.jpg", "D/1.jpg"]
    assert list(p.same) == [True, False, True]
    assert list(p.fold) == [3, 0, 3]
    assert parse_pairs_csv(write(tmp_path, "A/1.jpg,A/2.jpg,false,0\n"), name="mine").name == "mine"


def test_folds_assigned_people_disjointly(tmp_path: Path) -> None:
    rows = [f"P{i}/a.jpg,P{i}/b.jpg,1" for i in range(12)] + [f"P{i}/a.jpg,P{i + 1}/a.jpg,0" for i in range(0, 12, 2)]
    path = write(tmp_path, "\n".join(rows))
    p = parse_pairs_csv(path, n_folds=3, seed=7)
    # people P0+P1, P2+P3, ... are linked by impostor pairs: 6 groups of 3 pairs each, 2 groups per fold
    np.testing.assert_array_equal(np.bincount(p.fold), [6, 6, 6])
    people = [p.people_of_fold(k) for k in range(3)]
    assert all(not (a & b) for a, b in itertools.combinations(people, 2))
    np.testing.assert_array_equal(parse_pairs_csv(path, n_folds=3, seed=7).fold, p.fold)
    with pytest.raises(InvalidInputError, match="6 connected groups, too few for 7"):
        parse_pairs_csv(path, n_folds=7)


def test_greedy_balance_hand_example() -> None:
    # groups (people -> pair count): a 5, b 3, c 2, d 2, e 1; greedy largest-first into 2 folds:
    # a->0 (5), b->1 (3), c->1 (5), d->0 (7, tie goes to fold 0), e->1 (6)
    sizes = {"a": 5, "b": 3, "c": 2, "d": 2, "e": 1}
    people = np.array([p for p, n in sizes.items() for _ in range(n)], dtype=object)
    for seed in range(5):
        folds = people_disjoint_folds(people, people, 2, seed)
        loads = np.bincount(folds)
        assert sorted(loads.tolist()) == [6, 7]
        assert folds[people == "a"][0] != folds[people == "b"][0]
    with pytest.raises(InvalidInputError, match="n_folds must be >= 1"):
        people_disjoint_folds(people, people, 0)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("A/1.jpg,A/2.jpg,1\nA/1.jpg,B/2.jpg,yes\n", 2, "same must be 0, 1, true or false, got 'yes'"),
        ("A/1.jpg,A/2.jpg,1,0\nA/1.jpg,B/2.jpg,0\n", 2, "3 fields, expected 4"),
        ("A/1.jpg,A/2.jpg,1,0\nA/1.jpg,B/2.jpg,0,-1\n", 2, "fold must be >= 0"),
        ("A/1.jpg,A/2.jpg\n", 1, "got 2 fields"),
        ("a,b,same\nA/1.jpg,,1\n", 2, "empty path"),
        ("A/1.jpg,A/2.jpg,1\nimg1.jpg,B/2.jpg,0\n", 2, "no person folder"),
    ],
)
def test_malformed_lines(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(DataFormatError, match=rf"pairs\.csv:{line}: .*{message}"):
        parse_pairs_csv(write(tmp_path, text), n_folds=1)


def test_missing_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        parse_pairs_csv(tmp_path / "absent.csv")
    with pytest.raises(DataFormatError, match="header line but no pairs"):
        parse_pairs_csv(write(tmp_path, "path1,path2,same\n"))


def reference_groups(person_a: list[str], person_b: list[str]) -> dict[str, str]:
    """Plain union-find: each person's group representative."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in zip(person_a, person_b, strict=True):
        parent[find(a)] = find(b)
    return {p: find(p) for p in parent}


people = st.sampled_from([f"P{i}" for i in range(12)])
labels = st.sampled_from([("1", True), ("0", False), ("true", True), ("False", False), ("TRUE", True)])


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(people, people, labels, st.integers(0, 4)), min_size=1, max_size=25),
    header=st.booleans(),
    with_fold=st.booleans(),
    n_folds=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_generated_csv_round_trip(
    tmp_path_factory, rows, header: bool, with_fold: bool, n_folds: int, seed: int
) -> None:
    lines = ["image_a,image_b,is_same" + (",fold" if with_fold else "")] if header else []
    for i, (a, b, (label, _), fold) in enumerate(rows):
        lines.append(f"{a}/{i}a.jpg,{b}/{i}b.jpg,{label}" + (f",{fold}" if with_fold else ""))
    path = tmp_path_factory.mktemp("csv") / "gen.csv"
    path.write_text("\n".join(lines) + "\n")
    person_a, person_b = [r[0] for r in rows], [r[1] for r in rows]
    groups = reference_groups(person_a, person_b)
    if not with_fold and len(set(groups.values())) < n_folds:
        with pytest.raises(InvalidInputError, match="too few"):
            parse_pairs_csv(path, n_folds=n_folds, seed=seed)
        return
    p = parse_pairs_csv(path, n_folds=n_folds, seed=seed)
    assert list(p.id_a) == [f"{a}/{i}a.jpg" for i, a in enumerate(person_a)]
    assert list(p.id_b) == [f"{b}/{i}b.jpg" for i, b in enumerate(person_b)]
    assert list(p.same) == [r[2][1] for r in rows]
    if with_fold:
        assert list(p.fold) == [r[3] for r in rows]
        return
    assert p.n_folds == n_folds and set(p.fold) == set(range(n_folds))
    fold_of_group: dict[str, int] = {}
    for a, k in zip(person_a, p.fold, strict=True):
        assert fold_of_group.setdefault(groups[a], int(k)) == k  # people-disjoint
    loads = np.bincount(p.fold)
    assert loads.max() - loads.min() <= max(Counter(groups[a] for a in person_a).values())  # greedy balance bound
    np.testing.assert_array_equal(parse_pairs_csv(path, n_folds=n_folds, seed=seed).fold, p.fold)
