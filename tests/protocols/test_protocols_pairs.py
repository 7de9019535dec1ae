"""PairList validation and accessors, person_of."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.protocols import PairList, person_of


def make_pairs() -> PairList:
    return PairList(
        np.array(["A/A_0001.jpg", "B/B_0001.jpg", "C/C_0002.jpg"]),
        np.array(["A/A_0002.jpg", "C/C_0001.jpg", "C/C_0001.jpg"]),
        np.array([True, False, True]),
        np.array([0, 2, 2]),
        "toy",
    )


def test_person_of() -> None:
    assert person_of("Aaron_Eckhart/Aaron_Eckhart_0001.jpg") == "Aaron_Eckhart"
    assert person_of("Sadie_Frost/1") == "Sadie_Frost"
    assert person_of("Sadie_Frost/1/aligned_detect_1.12.jpg") == "Sadie_Frost"
    for bad in ("Aaron_Eckhart_0001.jpg", "/abs/path.jpg", "Person/"):
        with pytest.raises(InvalidInputError, match="no person folder"):
            person_of(bad)


def test_accessors() -> None:
    p = make_pairs()
    assert (p.n, len(p), p.n_folds) == (3, 3, 2)
    np.testing.assert_array_equal(p.fold_ids, [0, 2])
    assert list(p.ids()) == ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg", "C/C_0001.jpg", "C/C_0002.jpg"]
    assert p.people_of_fold(0) == {"A"}
    assert p.people_of_fold(2) == {"B", "C"}
    assert p.people_of_fold(1) == set()
    assert p.fold.dtype == np.int64


def test_validation() -> None:
    p = make_pairs()
    with pytest.raises(InvalidInputError, match="equal length"):
        PairList(p.id_a, p.id_b[:2], p.same, p.fold, "x")
    with pytest.raises(InvalidInputError, match=">= 0"):
        PairList(p.id_a, p.id_b, p.same, np.array([0, -1, 0]), "x")
    with pytest.raises(InvalidInputError, match="bool"):
        PairList(p.id_a, p.id_b, np.array([1, 0, 1]), p.fold, "x")
    with pytest.raises(InvalidInputError, match="integer"):
        PairList(p.id_a, p.id_b, p.same, np.array([0.0, 1.0, 1.0]), "x")
    with pytest.raises(InvalidInputError, match="non-empty string"):
        PairList(np.array(["a", "", "c"]), p.id_b, p.same, p.fold, "x")
