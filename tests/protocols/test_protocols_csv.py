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
    assert p.notes == ("folds: 3 people-disjoint folds (groups of people linked by any pair kept together)",)
    evens, odds = np.array([f"P{i}" for i in range(0, 12, 2)]), np.array([f"P{i}" for i in range(1, 12, 2)])
    with pytest.raises(InvalidInputError, match="6 connected groups, too few for 7"):
        people_disjoint_folds(evens, odds, 7)


def random_impostor_csv(tmp_path: Path, n_people: int = 12) -> Path:
    """Two genuine pairs per person and impostor pairs drawn at random: one connected group of everyone."""
    rng = np.random.default_rng(0)
    rows = [f"P{i}/1.jpg,P{i}/{j}.jpg,1" for i in range(n_people) for j in (2, 3)]
    for i in range(n_people):
        other = (i + 1 + rng.integers(n_people - 1)) % n_people
        rows.append(f"P{i}/1.jpg,P{other}/2.jpg,0")
    return write(tmp_path, "\n".join(rows))


def test_random_impostors_fall_back_to_people_to_folds(tmp_path: Path) -> None:
    path = random_impostor_csv(tmp_path)
    p = parse_pairs_csv(path, n_folds=4)
    assert p.n_folds == 4 and np.bincount(p.fold).tolist() == [9, 9, 9, 9]
    for k in range(4):  # genuine pairs never cross folds: each person leads pairs of one fold only
        assert all(p.fold[i] == k for i in range(p.n) if p.id_a[i].split("/")[0] in {
            a.split("/")[0] for a in p.id_a[p.fold == k]})  # fmt: skip
    note = p.notes[0]
    assert note.startswith("folds: people assigned to 4 folds") and "people appear in several folds" in note
    by_pairs = parse_pairs_csv(path, n_folds=4, folds_by="pairs")
    assert np.bincount(by_pairs.fold).tolist() == [9, 9, 9, 9] and "--folds-by pairs" in by_pairs.notes[0]
    with_column = write(tmp_path, "".join(f"{a},{b},{int(s)},{k}\n" for a, b, s, k in zip(
        p.id_a, p.id_b, p.same, p.fold, strict=True)), "given.csv")  # fmt: skip
    assert "not people-disjoint" in parse_pairs_csv(with_column).notes[0]


def test_ids_prefixed_with_the_image_folder_or_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos" / "A").mkdir(parents=True)
    absolute = tmp_path / "photos" / "B" / "1.jpg"
    path = write(tmp_path, f"photos/A/1.jpg,{absolute},0,0\nA/2.jpg,A/1.jpg,1,1\n")
    p = parse_pairs_csv(path, root=Path("photos"))
    assert list(p.id_a) == ["A/1.jpg", "A/2.jpg"] and list(p.id_b) == ["B/1.jpg", "A/1.jpg"]
    with pytest.raises(DataFormatError, match="is not inside the image folder"):
        parse_pairs_csv(write(tmp_path, "/elsewhere/A/1.jpg,A/2.jpg,1,0\n", "out.csv"), root=Path("photos"))


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
    with pytest.raises(InvalidInputError, match="n_folds must be an integer >= 1"):
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
        if len(set(person_a)) < n_folds:
            with pytest.raises(InvalidInputError, match="too few"):
                parse_pairs_csv(path, n_folds=n_folds, seed=seed)
            return
        p = parse_pairs_csv(path, n_folds=n_folds, seed=seed)  # people to folds: a person's pairs share a fold
        assert p.n_folds == n_folds and "people assigned to" in p.notes[0]
        fold_of_person: dict[str, int] = {}
        assert all(fold_of_person.setdefault(a, int(k)) == k for a, k in zip(person_a, p.fold, strict=True))
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
