"""The study report's tables, built from the results dict, and the CSV files that hold their raw numbers.

Tables hold formatted text (:mod:`facebridge.reports.numbers`); CSVs hold every number at full precision, one row
per record. The ROC points stay in ``results.json`` only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facebridge.reports.claims import Claim, maps_text, study_claims
from facebridge.reports.document import Table
from facebridge.reports.numbers import DASH, fmt, fmt_signed, fmt_value
from facebridge.reports.summary import MethodSummary, Record, method_label, pair_name, penalty_summaries, unique
from facebridge.storage import atomic_write

#: Results fields kept out of the CSVs (curves of ~40 points per row; in results.json).
NOT_IN_CSV = ("roc",)


def native_accuracy_table(native: Sequence[Record], csv_name: str) -> Table:
    """One row per model: plain-cosine accuracy (mean ± std over folds), AUC, EER, TAR at FAR 1e-3 and the norm of
    the mean unit embedding (0: centred; see ``claims.OFF_CENTRE_NORM``)."""
    rows = tuple(
        (
            r["model"],
            str(r["dim"]),
            f"{fmt(r['mean'])} ± {fmt(r['std'])}",
            fmt(r["auc"], 4),
            fmt(r["eer"]),
            fmt(r["tar_far_1e-3"]),
            fmt(r.get("mean_norm")),
        )
        for r in native
    )
    header = ("model", "dim", "accuracy %", "AUC", "EER %", "TAR@FAR=1e-3 %", "‖mean‖")
    return Table(header, rows, caption="Native accuracy, plain cosine", csv=csv_name)


def view_groups(part: Record) -> list[tuple[str, list[str]]]:
    """The scoring views other than plain cosine, as (name, method keys) in first-seen order: methods whose native
    target accuracies are identical share a view; the name is their common ``params.view``, else their labels."""
    methods = part["meta"]["methods"]
    plain = {r["model"]: r["mean"] for r in part["native"]}
    natives: dict[str, dict[str, float]] = {}
    for r in part["penalty"]:
        natives.setdefault(r["method"], {})[r["target"]] = r["native_target"]
    groups: dict[tuple, list[str]] = {}
    for key, by_target in natives.items():
        if all(abs(v - plain.get(t, v)) < 1e-9 for t, v in by_target.items()):
            continue
        groups.setdefault(tuple(sorted(by_target.items())), []).append(key)
    out = []
    for keys in groups.values():
        names = unique(str(methods[k]["params"].get("view", "")) for k in keys)
        name = names[0] if len(names) == 1 and names[0] else ", ".join(method_label(methods, k) for k in keys)
        out.append((name, keys))
    return out


def native_views_table(part: Record) -> Table:
    """Native accuracy of every target in plain cosine and in each other scoring view, with the view's change."""
    groups = view_groups(part)
    native = {(r["method"], r["target"]): r["native_target"] for r in part["penalty"]}
    rows = []
    for r in part["native"]:
        cells = [r["model"], fmt(r["mean"])]
        for _, keys in groups:
            value = native.get((keys[0], r["model"]))
            cells += [fmt(value), DASH if value is None else fmt_signed(value - r["mean"])]
        rows.append(tuple(cells))
    header = ["target", "plain cosine %"]
    for name, _ in groups:
        header += [f"{name} %", "change"]
    return Table(tuple(header), tuple(rows), caption="Native accuracy of each target in each scoring view")


def penalty_summary_table(summaries: Sequence[MethodSummary], methods: dict[str, Record], bound: float) -> Table:
    """One row per method: absolute cross accuracy, the penalty against plain native (headline) and the in-view
    penalty (secondary)."""
    rows = tuple(
        (
            method_label(methods, s.method),
            str(s.n_maps),
            fmt(s.cross_median),
            fmt(s.cross_worst),
            fmt(s.median),
            fmt(s.worst),
            s.worst_pair,
            f"{s.n_within} of {s.n_maps}",
            fmt(s.view_median),
            fmt(s.view_worst),
        )
        for s in summaries
    )
    header = (
        "method", "maps", "cross accuracy % (median)", "cross accuracy % (worst)", "penalty vs plain (median)",
        "penalty vs plain (worst)", "worst map", f"maps ≤ {bound:.1f} vs plain", "in-view penalty (median)",
        "in-view penalty (worst)",
    )  # fmt: skip
    return Table(header, rows, caption="Cross accuracy and penalty per method (points)")


def penalty_rows_table(part: Record, csv_name: str) -> Table:
    """One row per (map, method): cross accuracy, both penalties, and TAR at FAR 1e-3 beside the target's native
    plain TAR (LFW accuracy saturates near 99 %; the TAR at a low FAR still separates maps)."""
    methods = part["meta"]["methods"]
    native_tar = {r["model"]: r["tar_far_1e-3"] for r in part["native"]}
    rows = []
    for r in part["penalty"]:
        tar = r.get("tar_far_1e-3")
        native = native_tar.get(r["target"])
        loss = None if tar is None or native is None else native - tar
        rows.append(
            (
                pair_name(r),
                method_label(methods, r["method"]),
                fmt(r["mean"]),
                fmt(r["native_plain"]),
                fmt(r["penalty_vs_plain"]),
                fmt(r["native_target"]),
                fmt(r["penalty"]),
                fmt(tar),
                fmt(native),
                fmt(loss),
            )
        )
    header = (
        "map", "method", "cross %", "native plain %", "penalty vs plain", "native in view %", "in-view penalty",
        "cross TAR@FAR=1e-3 %", "native plain TAR@FAR=1e-3 %", "TAR loss (points)",
    )  # fmt: skip
    return Table(header, tuple(rows), caption="Every map: accuracy, penalties and TAR@FAR=1e-3", csv=csv_name)


def modes_table(modes: Sequence[Record], methods: dict[str, Record], csv_name: str) -> Table:
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
    header = ("map", "method", "native in view %", "cross %", "both %", "cross penalty", "both penalty")
    return Table(header, rows, caption="Cross and both modes per map (penalties against native in view)", csv=csv_name)


def curve_table(
    rows: Sequence[Record],
    summary: Sequence[Record],
    methods: dict[str, Record],
    *,
    x: str,
    y: str,
    reach: str,
    caption: str,
    csv_name: str,
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
                "never" if s[reach] is None else str(s[reach]),
            )
        )
    return Table(("map", "method", *map(str, xs), "full size", "within 0.5"), tuple(body), caption, csv_name)


def claims_table(claims: Sequence[Claim], methods: dict[str, Record]) -> Table:
    """The study's claims judged per method: the baseline, this run's figure, the verdict and the failing maps."""
    rows = tuple(
        (c.claim, method_label(methods, c.method), c.baseline, c.shown, c.verdict, maps_text(c.failing))
        for c in claims
    )
    return Table(("study's claim", "method", "baseline", "this run", "verdict", "fails on"), rows)


def stages_table(stages: Record, total: float) -> Table:
    """Wall time of each stage of the run that wrote the results (``meta.stages_s``), and their sum ``total``
    (``meta.duration_s``, the one record every other duration shows: summing the rounded stages again could
    round the other way)."""
    rows = tuple((stage, f"{seconds:.1f}") for stage, seconds in stages.items())
    return Table(("stage", "wall s"), (*rows, ("all", f"{total:.1f}")), caption="Where the run's time went")


def methods_table(meta: Record) -> Table:
    """Every method: key, label, family, description and parameters (values to three significant digits)."""
    rows = tuple(
        (
            key,
            method_label(meta["methods"], key),
            info["family"],
            info["description"],
            "; ".join(f"{k}={fmt_value(v)}" for k, v in sorted(info["params"].items())) or "none",
        )
        for key, info in meta["methods"].items()
    )
    return Table(("key", "label", "family", "description", "parameters"), rows)


def _flatten(record: Record) -> dict[str, Any]:
    """Lists become numbered columns (``fold_accuracy_1`` ...), dicts JSON text, ``None`` an empty cell."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in NOT_IN_CSV:
            continue
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


PART_CSVS = ("native", "penalty", "modes", "sample_size", "sample_size_summary", "rank", "rank_summary")


def csv_records(results: Record) -> dict[str, list[Record]]:
    """File name -> records of every CSV of a study report; empty sections write no file."""
    bound = results["study_reference"]["max_penalty_points"]
    out: dict[str, list[Record]] = {}
    for prefix, part in (("", results), ("ytf_", results.get("ytf"))):
        if part is None:
            continue
        out.update({f"{prefix}{name}.csv": part[name] for name in PART_CSVS if part[name]})
        summary = [vars(s) for s in penalty_summaries(part["penalty"], bound)]
        if summary:
            out[f"{prefix}penalty_summary.csv"] = summary
    claims = [
        {"claim": c.claim, "method": c.method, "baseline": c.baseline, "this_run": c.shown, "verdict": c.verdict,
         "n_maps": c.n_maps, "n_failing": len(c.failing), "failing": "; ".join(pair_name(r) for r in c.failing)}
        for c in study_claims(results)
    ]  # fmt: skip
    if claims:
        out["claims.csv"] = claims
    return out
