"""The upgrade path's default adaptation, chosen on the shifted-domain protocol only (never LFW View 2 test folds):
``scripts/choose_adaptation.py`` reads what ``facebridge shifted`` wrote and records the choice in
:data:`RECORD_PATH`; :data:`~facebridge.experiments.upgrade.adaptation.UPGRADE_ADAPTATION` is its value (a test checks).

Criterion (:data:`CRITERION`): the lowest median 1:N rank-1 loss over every (ordered pair, corrupted variant); a
candidate within :data:`TIE` points of that median is a near tie and the simplest of them wins (``none`` first);
and a candidate that adds more than :data:`TIE` points to the median loss on the clean evaluation half is not a
default, whatever it wins under corruption.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facebridge.experiments.upgrade.adaptation import ADAPTATIONS

#: The record the script writes (package data).
RECORD_PATH = Path(__file__).with_name("selection_adaptation_shifted.json")
TIE = 0.5
CRITERION = (
    "lowest median 1:N rank-1 loss over every (ordered pair, corrupted variant) of the shifted-domain protocol; "
    f"candidates within {TIE} points of it are near ties, the simplest wins (order: {' < '.join(ADAPTATIONS)}); "
    f"a candidate adding more than {TIE} points to the median loss on the clean evaluation half is excluded"
)


def _median(runs: list[dict], adaptation: str, clean: bool, key: tuple[str, str]) -> float:
    part, metric = key
    return float(np.median([
        s[part][metric][adaptation] for r in runs for v, s in r["variants"].items() if (v == "clean") == clean
    ]))  # fmt: skip


def choose_adaptation(results: dict) -> dict:
    """The choice and its table from ``facebridge shifted``'s results."""
    runs, candidates = results["runs"], [a for a in ADAPTATIONS if a in results["adaptations"]]
    table = {}
    for ad in candidates:
        table[ad] = {
            "median_loss_corrupted": _median(runs, ad, False, ("identification", "loss")),
            "median_penalty_corrupted": _median(runs, ad, False, ("verification", "penalty")),
            "median_loss_clean": _median(runs, ad, True, ("identification", "loss")),
            "median_penalty_clean": _median(runs, ad, True, ("verification", "penalty")),
        }
    clean_none = table["none"]["median_loss_clean"]
    eligible = [a for a in candidates if table[a]["median_loss_clean"] <= clean_none + TIE]
    best = min(eligible, key=lambda a: table[a]["median_loss_corrupted"])
    bar = table[best]["median_loss_corrupted"] + TIE
    chosen = next(a for a in eligible if table[a]["median_loss_corrupted"] <= bar)
    return {
        "chosen": chosen,
        "lowest_median": best,
        "criterion": CRITERION,
        "chosen_on": "the shifted-domain protocol: maps fitted on the clean fitting half of LFW's people, scored on "
        "the other half (clean and corrupted); never LFW View 2",
        "variants": sorted({v for r in runs for v in r["variants"]}),
        "pairs": [[r["source"], r["target"]] for r in runs],
        "method": sorted({r["method"] for r in runs}),
        "table": table,
        "per_run": [
            {
                "source": r["source"],
                "target": r["target"],
                "variant": v,
                "loss": s["identification"]["loss"],
                "penalty": s["verification"]["penalty"],
                "ratio": r["ratio"][v],
            }
            for r in runs
            for v, s in r["variants"].items()
        ],
    }
