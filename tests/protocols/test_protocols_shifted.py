"""The shifted-domain split: people-disjoint, deterministic halves; evaluation pairs; id lists."""

from __future__ import annotations

import pytest

from facebridge.errors import DataFormatError, InvalidInputError
from facebridge.protocols.id_lists import read_id_list, write_id_list
from facebridge.protocols.pairs import person_of
from facebridge.protocols.shifted import domain_split, evaluation_pairs, sample_people
from tests.experiments.shifted_toys import toy_faces


def _people(ids) -> set[str]:
    return {person_of(i) for i in ids}


def test_halves_are_people_disjoint_cover_every_image_and_are_seeded() -> None:
    ids, _ = toy_faces(n_people=80)
    split = domain_split(reversed(ids), seed=4)
    assert not _people(split.fit_ids) & _people(split.eval_ids)
    assert sorted(split.fit_ids + split.eval_ids) == sorted(ids)
    assert split == domain_split(ids, seed=4)  # the input's order does not matter
    assert split.fit_ids != domain_split(ids, seed=5).fit_ids
    info = split.to_dict()
    assert info["n_fit_people"] + info["n_eval_people"] == 80
    assert abs(info["n_fit_people"] - info["n_eval_people"]) <= 2  # single- and multi-image people dealt alternately


def test_a_split_without_repeated_people_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="two or more images"):
        domain_split([f"P{p}/P{p}_0001.jpg" for p in range(10)])


def test_sample_people_keeps_whole_people() -> None:
    ids, _ = toy_faces(n_people=40)
    kept = sample_people(ids, 7, seed=1)
    assert len(_people(kept)) == 7
    assert kept == tuple(sorted(i for i in ids if person_of(i) in _people(kept)))
    assert kept == sample_people(ids, 7, seed=1)
    with pytest.raises(InvalidInputError):
        sample_people(ids, 41)


def test_evaluation_pairs_are_labelled_right_people_disjoint_across_folds_and_unique() -> None:
    ids, _ = toy_faces(n_people=60)
    pairs = evaluation_pairs(ids, n_folds=5, pairs_per_fold=20, seed=2)
    for a, b, same in zip(pairs.id_a, pairs.id_b, pairs.same, strict=True):
        assert a != b and (person_of(a) == person_of(b)) == same
    for k in range(5):
        for j in range(k):
            assert not pairs.people_of_fold(k) & pairs.people_of_fold(j)
    assert len(set(zip(pairs.id_a, pairs.id_b, strict=True))) == pairs.n
    again = evaluation_pairs(ids, n_folds=5, pairs_per_fold=20, seed=2)
    assert list(again.id_a) == list(pairs.id_a) and list(again.id_b) == list(pairs.id_b)


def test_id_lists_round_trip_and_refuse_empty_files(tmp_path) -> None:
    path = write_id_list(["a/a_1.jpg", "b/b_2.jpg"], tmp_path / "ids.txt")
    assert read_id_list(path) == ["a/a_1.jpg", "b/b_2.jpg"]
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(DataFormatError):
        read_id_list(tmp_path / "empty.txt")
