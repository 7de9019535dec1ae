"""The study report's tables, built from the results dict, and the CSV files that hold their raw numbers.

Tables hold formatted text (two decimals); CSVs hold every number at full precision, one row per record.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facebridge.reports.document import Table
from facebridge.reports.summary import (
    MethodSummary,
    Record,
    Verdict,
    method_label,
    pair_name,
    penalty_summaries,
    unique,
    verdicts,
)
from facebridge.storage import atomic_write

DASH = "–"


def fmt(x: float | None, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals, or a dash for a missing value."""
    return DASH if x is None else f"{x:.{digits}f}"


def native_accuracy_table(native: Sequence[Record]) -> Table:
    """One row per model: accuracy (mean ± std over folds), AUC, EER and TAR at FAR 1e-3."""
    rows = tuple(
        (
            r["model"],
            str(r["dim"]),
            f"{fmt(r['mean'])} ± {fmt(r['std'])}",
            fmt(r["auc"], 4),
            fmt(r["eer"]),
            fmt(r["tar_far_1e-3"]),
        )
        for r in native
    )
    return Table(("model", "dim", "accuracy %", "AUC", "EER %", "TAR@FAR=1e-3 %"), rows)


def penalty_matrix_table(rows: Sequence[Record], method: str, models: Sequence[str], label: str) -> Table:
    """Penalty (points) of ``method``'s maps: source models as rows, target models as columns."""
    cell = {(r["source"], r["target"]): r["penalty"] for r in rows if r["method"] == method}
    body = tuple((src, *(fmt(cell.get((src, tgt))) for tgt in models)) for src in models)
    return Table(("source \\ target", *models), body, caption=f"Penalty matrix, {label} (points)")


def penalty_summary_table(summaries: Sequence[MethodSummary], methods: dict[str, Record], bound: float) -> Table:
    """One row per method: median, mean and worst penalty, the worst pair, and how many maps meet the bound."""
    rows = tuple(
        (
            method_label(methods, s.method),
            methods.get(s.method, {}).get("family", DASH),
            str(s.n_maps),
            fmt(s.median),
            fmt(s.mean),
            fmt(s.worst),
            s.worst_pair,
            f"{s.n_within} of {s.n_maps}",
        )
        for s in summaries
    )
    header = ("method", "family", "maps", "median", "mean", "worst", "worst pair", f"maps ≤ {bound:.1f}")
    return Table(header, rows, caption="Penalty per method (points)")


def modes_table(modes: Sequence[Record], methods: dict[str, Record]) -> Table:
    """Cross (mapped probe vs native gallery) beside both (both sides mapped), as accuracies and penalties."""
    rows = tuple(
        (
            pair_name(r),
            method_label(methods, r["method"]),
            fmt(r["native_target"]),
            fmt(r["cross"]),
            fmt(r["both"]),
            fmt(r["native_target"] - r["cross"]),
            fmt(r["native_target"] - r["both"]),
        )
        for r in modes
    )
    header = ("map", "method", "native target %", "cross %", "both %", "cross penalty", "both penalty")
    return Table(header, rows)


def curve_table(
    rows: Sequence[Record], summary: Sequence[Record], methods: dict[str, Record], *, x: str, y: str, reach: str
) -> Table:
    """One row per (map, method): accuracy ``y`` at each numeric ``x``, the full-size accuracy of the summary
    (the ``all``/``full`` rows stay in the CSV), and the smallest ``x`` within 0.5 points of it (``reach``)."""
    xs = sorted({r[x] for r in rows if not isinstance(r[x], str)})
    value = {(r["source"], r["target"], r["method"], r[x]): r[y] for r in rows}
    body = []
    for s in summary:
        key = (s["source"], s["target"], s["method"])
        cells = (fmt(value.get((*key, v))) for v in xs)
        body.append(
            (
                pair_name(s),
                method_label(methods, s["method"]),
                *cells,
                fmt(s["full"]),
                DASH if s[reach] is None else str(s[reach]),
            )
        )
    return Table(("map", "method", *map(str, xs), "full size", "within 0.5"), tuple(body))


def comparison_table(items: Sequence[Verdict], methods: dict[str, Record]) -> Table:
    """The study's figures, ours and the targets, one row per (quantity, method), with met / missed."""
    rows = tuple(
        (v.quantity, method_label(methods, v.method), v.shown, v.study, v.target_text, "met" if v.met else "missed")
        for v in items
    )
    return Table(("quantity", "method", "this run", "study", "target", "verdict"), rows)


def _flatten(record: Record) -> dict[str, Any]:
    """Lists become numbered columns (``fold_accuracy_1`` ...), dicts JSON text, ``None`` an empty cell."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, list):
            out.update({f"{key}_{i + 1}": v for i, v in enumerate(value)})
        elif isinstance(value, dict):
            out[key] = json.dumps(value, sort_keys=True)
        else:
            out[key] = "" if value is None else value
    return out


def write_csv(path: Path, records: Sequence[Record]) -> None:
    """``records`` as one CSV (header = the union of their flattened keys, first-seen order), atomically."""
    flat = [_flatten(r) for r in records]
    columns = unique(k for row in flat for k in row)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(flat)

    atomic_write(path, write)


_PART_CSVS = ("native", "penalty", "modes", "sample_size", "sample_size_summary", "rank", "rank_summary")


def csv_records(results: Record) -> dict[str, list[Record]]:
    """File name -> records of every CSV of a study report; empty sections write no file."""
    bound = results["study_reference"]["max_penalty_points"]
    out: dict[str, list[Record]] = {}
    for prefix, part in (("", results), ("ytf_", results.get("ytf"))):
        if part is None:
            continue
        out.update({f"{prefix}{name}.csv": part[name] for name in _PART_CSVS if part[name]})
        summary = [vars(s) for s in penalty_summaries(part["penalty"], bound)]
        if summary:
            out[f"{prefix}penalty_summary.csv"] = summary
    targets = [{**vars(v), "met": v.met} for v in verdicts(results)]
    if targets:
        out["targets.csv"] = targets
    return out
