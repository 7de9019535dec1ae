"""``facebridge evaluate --report``: one evaluation as a report folder (report.md, a self-contained report.html and
its ROC/DET figure), the answer first, rendered from the JSON ``evaluate --json`` writes."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.reports import figures
from facebridge.reports.document import Block, Bullets, Figure, Heading, Table, Verdict, figures_of, render_markdown
from facebridge.reports.html import render_html
from facebridge.reports.numbers import fmt, fmt_signed, fmt_value
from facebridge.storage import atomic_write

Record = dict[str, Any]


def _what(result: Record) -> str:
    if result["mode"] == "native":
        return result["target"]
    return f"{result['source']} → {result['target']} ({result['method']}, {result['mode']} mode)"


def evaluation_title(result: Record) -> str:
    return f"facebridge evaluation: {_what(result)} on {result['protocol'].upper()}"


def _pct(x: float) -> str:
    return fmt(100 * x)


def resolved_roc(verification: Record) -> dict[str, list[float]]:
    """The ROC points at FARs the impostor count resolves (at least one false accept), TAR in %."""
    roc = verification["roc"]
    fpr, tpr = np.asarray(roc["fpr"]), np.asarray(roc["tpr"])
    keep = fpr * verification["n_impostor"] >= 1
    return {"far": fpr[keep].tolist(), "tar": (100 * tpr[keep]).tolist()}


def evaluation_verdict(result: Record) -> Verdict:
    """Accuracy with its spread, EER and TAR at each FAR the impostor pairs resolve; with a native run beside it,
    the penalty against it."""
    v = result["verification"]
    resolved = {f: t for f, t in v["tar_at_far"].items() if float(f) * v["n_impostor"] >= 1}
    tars = "".join(f"; TAR {_pct(t)}% at FAR {f}" for f, t in resolved.items())
    items = [("", f"{_what(result)}: accuracy {_pct(v['accuracy_mean'])}% ± {_pct(v['accuracy_std'])} over "
                  f"{len(v['fold_accuracy'])} folds ({result['metric']}); EER {_pct(v['eer'])}%{tars}.")]  # fmt: skip
    if "native" in result:
        native = result["native"]
        items.append(("", f"Penalty against {result['target']} alone on the same pairs: "
                          f"{fmt_signed(result['penalty_points'])} points (native {_pct(native['accuracy_mean'])}%; "
                          f"{result['penalty_definition']})."))  # fmt: skip
    return Verdict(tuple(items))


def evaluation_blocks(result: Record) -> list[Block]:
    """The page: verdict, ROC/DET (mapped and native when both ran), the metrics per fold, the notes, the setup."""
    v = result["verification"]
    blocks: list[Block] = [Heading(1, evaluation_title(result)), evaluation_verdict(result)]
    if "roc" in v:
        label = _what(result)
        curves = [(label, resolved_roc(v), "-", "C0")]
        if "roc" in result.get("native", {}):
            curves.append((f"native {result['target']}", resolved_roc(result["native"]), "--", "black"))
        caption = "ROC and DET (log FAR; only FARs the impostor pairs resolve)" + (
            ": solid the evaluated pairs, dashed the target alone on the same pairs." if len(curves) > 1 else "."
        )
        blocks.append(Figure("roc", caption, partial(figures.roc_det_figure, curves)))
    rows = [(f"fold {k}", _pct(a)) for k, a in zip(v["fold_ids"], v["fold_accuracy"], strict=True)]
    rows += [("mean ± std", f"{_pct(v['accuracy_mean'])} ± {_pct(v['accuracy_std'])}"), ("AUC", fmt(v["auc"], 4)),
             ("EER %", _pct(v["eer"]))]  # fmt: skip
    rows += [(f"TAR % at FAR {f}", _pct(t)) for f, t in v["tar_at_far"].items()]
    if "native" in result:
        rows.append((f"native {result['target']} accuracy %", _pct(result["native"]["accuracy_mean"])))
        rows.append(("penalty (points)", fmt_signed(result["penalty_points"])))
    caption = f"Accuracy (%) per fold (threshold rule: {v['threshold_rule']}) and summary"
    blocks.append(Table(("figure", "value"), tuple(rows), caption=caption))
    if result["notes"]:
        blocks.append(Bullets(tuple(result["notes"])))
    setup = [
        f"Protocol: {result['protocol']}, {v['n_genuine']} genuine and {v['n_impostor']} impostor pairs.",
        f"Mode: {result['mode']}; metric: {result['metric']}; scoring view: {result['view'] or 'plain'}.",
    ]
    if result["mode"] != "native":
        params = fmt_value(result["params"] or {}) or "none recorded"
        setup.append(f"Map: {result['method']} ({params}); training pool: {result['pool']}.")
        if result["n_train"]:
            setup.append(f"Training images per fold: {min(result['n_train'])} to {max(result['n_train'])}.")
    return [*blocks, Heading(2, "Setup"), Bullets(tuple(setup))]


def write_evaluation_report(result: Record, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """``report.md``, ``report.html`` and ``figures/`` in ``out_dir``; returns name -> path of every file."""
    out_dir = Path(out_dir)
    blocks = evaluation_blocks(result)
    written: dict[str, Path] = {}
    for figure in figures_of(blocks):
        for path in figures.save_figure(figure.draw, out_dir / "figures" / figure.name):
            written[f"figures/{path.name}"] = path
    pages = {"report.md": render_markdown(blocks),
             "report.html": render_html(blocks, out_dir / "figures", evaluation_title(result))}  # fmt: skip
    for name, text in pages.items():
        atomic_write(out_dir / name, partial(Path.write_text, data=text, encoding="utf-8"))
        written[name] = out_dir / name
    return written
