"""The default adaptation's rule on hand-made shifted-protocol results, and the constant agreeing with the record."""

from __future__ import annotations

import json

import pytest

from facebridge.experiments.upgrade import adaptation
from facebridge.experiments.upgrade.adaptation_choice import RECORD_PATH, TIE, choose_adaptation


def _results(loss: dict[str, dict[str, float]]) -> dict:
    """One run whose variant -> adaptation -> 1:N loss is ``loss`` (1:1 penalties equal to it)."""
    variants = {v: {"identification": {"loss": ls}, "verification": {"penalty": ls}} for v, ls in loss.items()}
    ratio = {v: {a: {} for a in ls} for v, ls in loss.items()}
    run = {"source": "a", "target": "b", "method": "kernel", "variants": variants, "ratio": ratio}
    return {"adaptations": list(loss["clean"]), "runs": [run]}


def test_a_clear_win_under_corruption_is_chosen() -> None:
    out = choose_adaptation(_results({"clean": {"none": 5.0, "coral": 5.2}, "jpeg": {"none": 20.0, "coral": 12.0}}))
    assert out["chosen"] == "coral" and out["table"]["coral"]["median_loss_corrupted"] == 12.0


def test_near_ties_keep_none_and_a_clean_loss_excludes() -> None:
    tie = {"clean": {"none": 5.0, "coral": 5.0}, "jpeg": {"none": 20.0, "coral": 20.0 - TIE / 2}}
    assert choose_adaptation(_results(tie))["chosen"] == "none"
    hurts_clean = {"clean": {"none": 5.0, "coral": 5.0 + 2 * TIE}, "jpeg": {"none": 20.0, "coral": 10.0}}
    assert choose_adaptation(_results(hurts_clean))["chosen"] == "none"


def test_the_constant_is_the_recorded_choice() -> None:
    if not RECORD_PATH.exists():
        pytest.skip("no adaptation record yet")
    record = json.loads(RECORD_PATH.read_text(encoding="utf-8"))
    assert record["chosen"] == adaptation.UPGRADE_ADAPTATION
    assert "View 2" in record["chosen_on"] and record["pairs"]
