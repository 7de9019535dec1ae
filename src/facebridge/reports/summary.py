"""Numbers the report derives from a study's results dict: per-method penalty summaries and target verdicts.

A "part" is the top-level results dict or its ``ytf`` entry: both hold ``meta``, ``native``, ``penalty``, ...
Penalties are in percentage points (native target accuracy minus mapped accuracy; positive is a loss).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]


def unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))


def pair_name(row: Record) -> str:
    return f"{row['source']} → {row['target']}"


def method_label(methods: dict[str, Record], key: str) -> str:
    """The method's label from ``meta.methods``, marked ``†`` when it is nonlinear (beyond the study's maps)."""
    info = methods.get(key, {})
    label = str(info.get("label", key))
    return f"{label} †" if info.get("family") == "nonlinear" else label


@dataclass(frozen=True)
class MethodSummary:
    """One method's penalties over all its maps; ``n_within`` counts maps at or under the study's bound."""

    method: str
    n_maps: int
    median: float
    mean: float
    worst: float
    worst_pair: str
    n_within: int


def penalty_summaries(rows: Sequence[Record], bound: float) -> list[MethodSummary]:
    """One summary per method of the ``penalty`` rows, in first-seen order."""
    out = []
    for method in unique(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        values = np.array([r["penalty"] for r in mine], dtype=np.float64)
        worst = mine[int(np.argmax(values))]
        out.append(
            MethodSummary(
                method=method,
                n_maps=len(mine),
                median=float(np.median(values)),
                mean=float(values.mean()),
                worst=float(worst["penalty"]),
                worst_pair=pair_name(worst),
                n_within=int(np.sum(values <= bound)),
            )
        )
    return out


@dataclass(frozen=True)
class Verdict:
    """One target judged for one method: ``value`` is ours (``None``: not reached on some map), lower is better;
    ``shown`` is ours as text with its context, ``study`` the study's figure as text; ``digits``: of the target."""

    quantity: str
    method: str
    value: float | None
    shown: str
    study: str
    target: float
    digits: int = 0

    @property
    def target_text(self) -> str:
        return f"≤ {self.target:.{self.digits}f}"

    @property
    def met(self) -> bool:
        return self.value is not None and self.value <= self.target


def _reach_verdicts(rows: Sequence[Record], key: str, quantity: str, study: str, target: float) -> list[Verdict]:
    """Per method: the worst map's smallest size (n or rank) within 0.5 points of its full-size accuracy."""
    out = []
    for method in unique(r["method"] for r in rows):
        values = [r[key] for r in rows if r["method"] == method]
        missing = sum(v is None for v in values)
        if missing:
            out.append(
                Verdict(quantity, method, None, f"not reached on {missing} of {len(values)} maps", study, target)
            )
        else:
            shown = f"{max(values)} (worst map; median {float(np.median(values)):g})"
            out.append(Verdict(quantity, method, float(max(values)), shown, study, target))
    return out


def verdicts(results: Record) -> list[Verdict]:
    """The study-vs-ours-vs-targets comparison of the top-level (main protocol) results."""
    ref, targets = results["study_reference"], results["targets"]
    bound = ref["max_penalty_points"]
    out = []
    for s in penalty_summaries(results["penalty"], bound):
        worst = f"{s.worst:.2f} ({s.worst_pair})"
        out.append(
            Verdict(
                "worst penalty (points)",
                s.method,
                s.worst,
                worst,
                f"≤ {bound:.1f} over {ref['n_maps']} maps",
                targets["worst_penalty_points"],
                digits=2,
            )
        )
        median = f"{s.median:.2f} over {s.n_maps} maps"
        out.append(
            Verdict("median penalty (points)", s.method, s.median, median, "–", targets["median_penalty_points"], 2)
        )
    n_study, rank_study = f"< {ref['pairs_needed']} pairs", f"rank {ref['rank']}"
    out += _reach_verdicts(
        results["sample_size_summary"],
        "smallest_n_within_0_5",
        "training size n to within 0.5 points of full",
        n_study,
        targets["n_within_0_5"],
    )
    out += _reach_verdicts(
        results["rank_summary"],
        "smallest_rank_within_0_5",
        "rank to within 0.5 points of full",
        rank_study,
        targets["rank_within_0_5"],
    )
    return out
