"""The selection record's Markdown: every candidate's numbers from the record, the chosen one marked."""

from __future__ import annotations

from facebridge.experiments.verification.selection import Grids, select_constants
from facebridge.reports.selection import selection_markdown
from tests.experiments.toy_studies import toy_study


def test_selection_markdown_shows_each_candidate_and_the_choice() -> None:
    sets, pairs = toy_study(n_folds=2)
    entries = select_constants(sets, pairs, grids=Grids(shrinks=(1.0, 0.1), gammas=(0.5,), landmarks=(16,),
                                                        start_landmarks=16))  # fmt: skip
    record = {
        "command": "python scripts/select_constants.py --store S --md M", "facebridge_version": "0", "seed": 0,
        "duration_s": 1.0, "entries": entries,
        "protocol": {"pairs": pairs.n, "folds": 2, "files": {"pairsDevTrain.txt": 1, "pairsDevTest.txt": 2},
                     "n_images": 288, "models": list(sets), "n_maps": 6, "view2_overlap": "0 of 10 shared."},
    }  # fmt: skip
    md = selection_markdown(record)
    assert md.startswith("# How the study's constants were chosen (LFW View 1)")
    assert "Written by `python scripts/select_constants.py --store S --md M`; do not edit by hand." in md
    shrink = entries["WHITEN_SHRINK"]
    assert f"## WHITEN_SHRINK = {shrink['value']:g}" in md
    i = shrink["candidates"].index(shrink["value"])
    assert f"| {shrink['value']:g} (chosen) | {shrink['scores'][i]:.2f} | {shrink['worst'][i]:.2f} |" in md
    assert md.count("(chosen)") == len(entries) and "View 2 is never read. 0 of 10 shared." in md
