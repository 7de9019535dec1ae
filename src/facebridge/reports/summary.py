"""Numbers the report derives from a study's results dict: per-method summaries of the penalty matrix.

A "part" is the top-level results dict or its ``ytf`` entry: both hold ``meta``, ``native``, ``penalty``, ...
Accuracies are in %, penalties in percentage points (a native accuracy minus the cross accuracy; positive is a loss).
The headline baseline is the target's native accuracy with plain cosine (``penalty_vs_plain``: what a deployed
system with a cosine scorer sees); ``penalty`` is against native accuracy in the method's own scoring view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]

PLAIN_BASELINE = "the target's native plain-cosine accuracy"
VIEW_BASELINE = "the target's native accuracy in the method's scoring view"


def unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))


def pair_name(row: Record) -> str:
    return f"{row['source']} → {row['target']}"


#: Labels of the rank sweep's methods, which ``meta.methods`` (the penalty matrix's methods) does not describe.
SWEEP_LABELS = {"rrr": "reduced-rank ridge", "pca_ridge": "PCA + ridge"}


def method_label(methods: dict[str, Record], key: str) -> str:
    """The method's label from ``meta.methods`` (or ``SWEEP_LABELS``), marked ``†`` when it is nonlinear."""
    info = methods.get(key, {})
    label = str(info.get("label", SWEEP_LABELS.get(key, key)))
    return f"{label} †" if info.get("family") == "nonlinear" else label


@dataclass(frozen=True)
class MethodSummary:
    """One method's maps: absolute cross accuracy, penalty against plain native (headline; ``n_within`` maps at or
    under the study's bound) and the in-view penalty (secondary)."""

    method: str
    n_maps: int
    cross_median: float
    cross_worst: float
    median: float
    mean: float
    worst: float
    worst_pair: str
    n_within: int
    view_median: float
    view_worst: float


def penalty_summaries(rows: Sequence[Record], bound: float) -> list[MethodSummary]:
    """One summary per method of the ``penalty`` rows, in first-seen order."""
    out = []
    for method in unique(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        plain = np.array([r["penalty_vs_plain"] for r in mine], dtype=np.float64)
        cross = np.array([r["mean"] for r in mine], dtype=np.float64)
        view = np.array([r["penalty"] for r in mine], dtype=np.float64)
        out.append(
            MethodSummary(
                method=method,
                n_maps=len(mine),
                cross_median=float(np.median(cross)),
                cross_worst=float(cross.min()),
                median=float(np.median(plain)),
                mean=float(plain.mean()),
                worst=float(plain.max()),
                worst_pair=pair_name(mine[int(np.argmax(plain))]),
                n_within=int(np.sum(plain <= bound)),
                view_median=float(np.median(view)),
                view_worst=float(view.max()),
            )
        )
    return out


def headline_method(part: Record) -> str | None:
    """The method the ROC figures show: ``meta.selection.headline_method.value`` when the results name one of their
    methods there (chosen without test folds), else the first method of the penalty matrix; None without one."""
    keys = unique(r["method"] for r in part["penalty"])
    chosen = part["meta"].get("selection", {}).get("headline_method", {}).get("value")
    return chosen if chosen in keys else (keys[0] if keys else None)


def best_and_worst(part: Record, method: str) -> tuple[Record, Record]:
    """The penalty rows of ``method`` with the smallest and the largest penalty against plain native."""
    mine = [r for r in part["penalty"] if r["method"] == method]
    order = sorted(mine, key=lambda r: (r["penalty_vs_plain"], r["source"], r["target"]))
    return order[0], order[-1]
