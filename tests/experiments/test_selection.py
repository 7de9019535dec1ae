"""Selection on View 1: the tie rule, the two-fold protocol, the record, and the constants agreeing with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.experiments.verification import methods
from facebridge.experiments.verification.selection import (
    RECORD_PATH,
    TIE_MEDIAN,
    Grids,
    Score,
    choose,
    read_view1,
    recorded_selection,
    rerun_shrink,
    select_constants,
    view1_pairs,
)
from facebridge.maps import kernel as kernel_map
from facebridge.protocols import PairList
from tests.experiments.toy_studies import toy_study

TOY_GRIDS = Grids(shrinks=(1.0, 0.1), gammas=(0.5, 2.0), landmarks=(16, 32), start_landmarks=16)


def _score(median: float, worst: float) -> Score:
    return Score(median, worst, "a → b", 99.0, 98.0, 6)


def test_near_ties_go_to_the_simplest_candidate_and_clear_wins_do_not() -> None:
    assert choose([_score(0.5, 1.0), _score(0.5 - TIE_MEDIAN / 2, 1.0)]) == 0
    assert choose([_score(0.5, 1.0), _score(0.5 - 2 * TIE_MEDIAN, 1.0)]) == 1
    assert choose([_score(0.45, 3.0), _score(0.4, 1.0)]) == 1  # close median, far worse worst map: not a tie


def _pairs(people: list[str], name: str) -> PairList:
    ids = np.array([f"{p}/{p}_0001.jpg" for p in people], object)
    return PairList(ids, ids[::-1].copy(), np.zeros(len(ids), bool), np.zeros(len(ids), int), name)


def test_view1_is_two_people_disjoint_folds() -> None:
    pairs = view1_pairs(_pairs(["A", "B"], "train"), _pairs(["C", "D", "E"], "test"))
    assert pairs.n == 5 and list(pairs.fold) == [0, 0, 1, 1, 1] and pairs.name == "lfw-view1"
    with pytest.raises(InvalidInputError, match="share 1 people"):
        view1_pairs(_pairs(["A", "B"], "train"), _pairs(["B", "C"], "test"))


def test_select_constants_scores_every_candidate_and_records_its_choice() -> None:
    sets, pairs = toy_study(n_folds=2)
    record = select_constants(sets, pairs, grids=TOY_GRIDS)
    assert list(record) == ["WHITEN_SHRINK", "KERNEL_GAMMA", "KERNEL_LANDMARKS", "CURVE_METHOD", "headline_method"]
    for entry in record.values():
        assert entry["value"] in entry["candidates"]
        assert len(entry["scores"]) == len(entry["worst"]) == len(entry["candidates"])
        assert all(w >= m for m, w in zip(entry["scores"], entry["worst"], strict=True))
        chosen = entry["candidates"].index(entry["value"])
        assert entry["scores"][chosen] <= min(entry["scores"]) + TIE_MEDIAN + 1e-9
    assert record["CURVE_METHOD"]["candidates"] == ["affine_cv", "affine_centred", "affine_whitened"]
    # the headline's affine_whitened is the shrink grid's chosen candidate, scored once
    shrink = record["WHITEN_SHRINK"]
    i = record["headline_method"]["candidates"].index("affine_whitened")
    assert record["headline_method"]["scores"][i] == shrink["scores"][shrink["candidates"].index(shrink["value"])]


def test_read_view1_never_opens_view2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from facebridge.experiments.verification import selection

    opened = []
    monkeypatch.setattr(selection, "parse_lfw_pairs", lambda path: opened.append(Path(path).name) or _pairs(
        ["A", "B"] if Path(path).name == "pairsDevTrain.txt" else ["C"], "x"))  # fmt: skip
    assert read_view1(tmp_path).n == 3 and opened == ["pairsDevTrain.txt", "pairsDevTest.txt"]


def test_the_constants_are_the_recorded_choices() -> None:
    """The study's constants are the values the View 1 record chose (re-run the command, then copy its values)."""
    if not RECORD_PATH.exists():
        pytest.skip("no selection record yet")
    entries = recorded_selection()
    assert json.loads(RECORD_PATH.read_text())["protocol"]["pairs"] == 3200
    assert entries["WHITEN_SHRINK"]["value"] == methods.WHITEN_SHRINK
    assert {
        "landmarks": entries["KERNEL_LANDMARKS"]["value"],
        "gamma": entries["KERNEL_GAMMA"]["value"],
    } == kernel_map.KERNEL_DEFAULTS
    assert entries["CURVE_METHOD"]["value"] == methods.CURVE_METHOD


def test_rerun_shrink_replaces_only_that_entry_and_refuses_a_changed_value() -> None:
    sets, pairs = toy_study(n_folds=2)
    grids = Grids(shrinks=(1.0, 0.1))
    entries = select_constants(sets, pairs, grids=TOY_GRIDS)
    record = {"seed": 0, "entries": entries}
    again = rerun_shrink(record, sets, pairs, command="cmd", reason="why", grids=grids)
    assert again["entries"]["WHITEN_SHRINK"] == entries["WHITEN_SHRINK"]  # same data, same choice and scores
    assert {k: v for k, v in again["entries"].items() if k != "WHITEN_SHRINK"} == {
        k: v for k, v in entries.items() if k != "WHITEN_SHRINK"
    }
    (rerun,) = again["reruns"]
    assert rerun["value_held"] and rerun["reason"] == "why"
    assert rerun["previous_scores"] == entries["WHITEN_SHRINK"]["scores"]
    other = 0.1 if entries["WHITEN_SHRINK"]["value"] == 1.0 else 1.0
    stale = {"seed": 0, "entries": {**entries, "WHITEN_SHRINK": {**entries["WHITEN_SHRINK"], "value": other}}}
    with pytest.raises(InvalidInputError, match="re-run the whole selection"):
        rerun_shrink(stale, sets, pairs, command="cmd", reason="why", grids=grids)
