"""LFW pair files: the real View 1 / View 2 files, malformed-file errors, and generated files round trip."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import DataFormatError, MissingFileError
from facebridge.protocols import lfw_image_id, parse_lfw_pairs


def test_view2_real_file(shared_data: Path) -> None:
    p = parse_lfw_pairs(shared_data / "lfw" / "pairs.txt")
    assert (p.n, p.n_folds, p.name) == (6000, 10, "lfw")
    np.testing.assert_array_equal(p.fold_ids, np.arange(10))
    for k in range(10):
        fold = p.fold == k
        assert fold.sum() == 600
        assert p.same[fold].sum() == 300
        # within a fold: 300 matched lines, then 300 mismatched
        np.testing.assert_array_equal(p.same[fold], np.arange(600) < 300)
    assert (p.id_a[0], p.id_b[0]) == ("Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg")
    assert (p.id_a[300], p.id_b[300]) == (
        "Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg",
        "Dean_Barker/Dean_Barker_0001.jpg",
    )
    people = [p.people_of_fold(k) for k in range(10)]
    assert all(not (a & b) for a, b in itertools.combinations(people, 2))
    missing = [i for i in p.ids() if not (shared_data / "lfw" / "images" / i).is_file()]
    assert missing == []


@pytest.mark.parametrize(("name", "matched"), [("pairsDevTrain.txt", 1100), ("pairsDevTest.txt", 500)])
def test_view1_real_files(shared_data: Path, name: str, matched: int) -> None:
    p = parse_lfw_pairs(shared_data / "lfw" / name)
    assert p.n == 2 * matched
    np.testing.assert_array_equal(p.same, np.arange(2 * matched) < matched)
    np.testing.assert_array_equal(p.fold, 0)
    assert p.name == f"lfw-view1:{Path(name).stem}"
    assert all((shared_data / "lfw" / "images" / i).is_file() for i in p.ids())


def test_view1_train_and_test_are_disjoint_in_people(shared_data: Path) -> None:
    train = parse_lfw_pairs(shared_data / "lfw" / "pairsDevTrain.txt").people_of_fold(0)
    test = parse_lfw_pairs(shared_data / "lfw" / "pairsDevTest.txt").people_of_fold(0)
    assert not train & test


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("2 1\nA 1 2\nA 1 B 1\nC 1 2\nC 1 D x\n", 5, "image number must be an integer, got 'x'"),
        ("1 1\nA 1 2 3\nA 1 B 1\n", 2, "expected a matched pair"),
        ("1 1\nA 1 2\nA 1 B\n", 3, "expected a mismatched pair"),
        ("1 1\nA 0 2\nA 1 B 1\n", 2, "image number must be >= 1, got 0"),
        ("1 1\nA 1 2\nA 1 B 1\nA 1 3\n", 4, "extra line"),
        ("1 2 3\nA 1 2\n", 1, "header must be"),
        ("ten 300\n", 1, "fold count must be an integer"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=rf"pairs\.txt:{line}: .*{message}"):
        parse_lfw_pairs(path)


def test_short_empty_and_missing_files(tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("2 1\nA\t1\t2\nA\t1\tB\t1\n")
    with pytest.raises(DataFormatError, match=r"short\.txt: 2 pair lines, the header \(line 1\) announces 4"):
        parse_lfw_pairs(short)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    with pytest.raises(DataFormatError, match="empty file"):
        parse_lfw_pairs(empty)
    with pytest.raises(MissingFileError, match=r"nope\.txt"):
        parse_lfw_pairs(tmp_path / "nope.txt")


names = st.from_regex(r"[A-Z][a-z]{0,6}(_[A-Z][a-z-]{0,6}){0,2}", fullmatch=True)
numbers = st.integers(1, 9999)
seps = st.sampled_from(["\t", " ", "  ", " \t"])


@st.composite
def pair_files(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, bool, int]], bool]:
    view2 = draw(st.booleans())
    n_folds = draw(st.integers(1, 3)) if view2 else 1
    per_fold = draw(st.integers(1, 4))
    header = f"{n_folds}{draw(seps)}{per_fold}" if view2 else str(per_fold)
    lines, expected = [header], []
    for fold in range(n_folds):
        for matched in (True, False):
            for _ in range(per_fold):
                a, i, j = draw(names), draw(numbers), draw(numbers)
                b = a if matched else draw(names)
                fields = [a, i, j] if matched else [a, i, b, j]
                lines.append(draw(seps).join(map(str, fields)))
                expected.append((lfw_image_id(a, i), lfw_image_id(b, j), matched, fold))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"])), expected, view2


@settings(max_examples=60, deadline=None)
@given(pair_files())
def test_generated_pair_files_round_trip(tmp_path_factory: pytest.TempPathFactory, case) -> None:
    text, expected, view2 = case
    path = tmp_path_factory.mktemp("lfw") / "gen.txt"
    path.write_text(text)
    p = parse_lfw_pairs(path)
    assert p.name == ("lfw" if view2 else "lfw-view1:gen")
    assert list(zip(p.id_a, p.id_b, p.same, p.fold, strict=True)) == expected
