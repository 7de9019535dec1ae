"""The privacy audit's report: its verdict (the budget k at which linking passes the bar), linking curves (rank-1
vs k), a heatmap at fixed k, the defences that ran, and the threat model last (figures: ``privacy_figures``).

Rendered from the results dict of ``facebridge.experiments.privacy.audit_run.run_audit`` alone, into a standalone folder
(report.md, a self-contained report.html, results.json, figures); :func:`privacy_section` gives the same blocks for
a larger document.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.reports.claims import plural
from facebridge.reports.document import (
    Block,
    Bullets,
    Figure,
    Heading,
    Paragraph,
    Table,
    Verdict,
    figures_of,
    render_markdown,
)
from facebridge.reports.figures import save_figure
from facebridge.reports.html import render_html
from facebridge.reports.numbers import fmt, fmt_value
from facebridge.reports.privacy_figures import curves_figure, defences_figure, heatmap_figure, row_at
from facebridge.reports.strict_json import results_json
from facebridge.storage import atomic_write

Record = dict[str, Any]
TITLE = "facebridge privacy audit: linking leaked face templates across systems"


def _systems(pairs: Sequence[Record]) -> tuple[str, str]:
    """How the threat model names systems A and B: the models themselves for one pair, else the pairs' models."""
    if len(pairs) == 1:
        return f"system A (model {pairs[0]['leaked']})", f"their own face model B ({pairs[0]['reference']})"
    models = ", ".join(dict.fromkeys(m for p in pairs for m in (p["leaked"], p["reference"])))
    return (
        f"system A (each ordered pair of {models} is one case)",
        "their own face model B (the pair's second model)",
    )


def threat_model(meta: Record, pairs: Sequence[Record], defences: Sequence[Record] = ()) -> str:
    """The threat model in one paragraph, with this run's models and settings; the defences only when they ran."""
    budgets = ", ".join(str(k) for k in meta["budgets"])
    a, b = _systems(pairs)
    text = (
        f"Threat model. Templates of {a} have leaked for a set of victims, one template each. The attacker runs {b} "
        "and holds a gallery of known identities embedded with it, which contains each victim through a different "
        "photo from the one behind the leaked template (the realistic case: gallery and leak were collected "
        "independently). The attacker's side information is k images embedded by both models (e.g. photos of "
        "known people matched to leaked templates, or enrolled in A by the attacker), all of people who are not "
        "victims; from them they fit a map from A's space into B's "
        f"({meta['map_method']} with parameters {fmt_value(meta['map_params']) or 'at their defaults'}, any "
        "penalty it chooses chosen by cross-validation over the attacker's own people) and search each mapped leaked "
        "template in B's gallery. With k = 0 they have no pair at all and align the two spaces from unpaired "
        "templates only (VecMap-style unsupervised self-learning; A and B templates of disjoint non-victim images). "
        "Success is rank-1 identification (chance: 1 / gallery size) and cross verification TAR at fixed FAR "
        "(chance: the FAR). "
        f"People are split at random into victims ({meta['evaluated_fraction']:.0%} of those with two images) and "
        f"the attacker's side, per seed; budgets k = {budgets}; seeds {meta['seeds']}."
    )
    if defences:
        labels = ", ".join(dict.fromkeys(d["label"] for d in defences))
        text += (
            f" Defences measured ({labels}): each is applied by system A to every template it stores, under its "
            "secret key; the attacker's pairs then hold protected templates too."
        )
    return text


def _k_link(pair: Record) -> float:
    """The budget at which the pair's mean rank-1 passes the bar; inf where it never does."""
    k = pair["k_link"]["mean"]
    return math.inf if k is None else float(k)


def audit_verdict(results: Record) -> tuple[str, ...]:
    """The audit's answer: the budget k at which rank-1 linking passes the bar (one pair, or the median over pairs
    with the soonest and the pairs that never pass), rank-1 with no pair at all, and what the defences bought."""
    meta, pairs = results["meta"], results["pairs"]
    bar, largest = f"{meta['link_bar']:.0%}", max(meta["budgets"])
    ks = sorted((_k_link(p), f"{p['leaked']} → {p['reference']}") for p in pairs)
    never = [name for k, name in ks if math.isinf(k)]
    median = ks[(len(ks) - 1) // 2][0]  # the lower median: a budget that was run

    def k_text(k: float) -> str:
        return f"never within k = {largest}" if math.isinf(k) else f"at k = {k:.0f} paired images"

    if len(pairs) == 1:
        lines = [f"Linking {ks[0][1]}: rank-1 passes {bar} {k_text(ks[0][0])}."]
    else:
        first = f"; soonest {k_text(ks[0][0])} ({ks[0][1]})" if ks[0][0] < median else ""
        last = f"; never within k = {largest} for {plural(len(never), 'pair')}" if never else ""
        lines = [f"Rank-1 linking passes {bar} {k_text(median)} (median over {len(pairs)} ordered pairs{first}{last})."]
    zero = [r["rank1_mean"] for p in pairs if (r := row_at(p, 0)) is not None]
    if zero:
        chance = float(np.median([p["chance_rank1"] for p in pairs]))
        what = "" if len(pairs) == 1 else "median "
        rank1 = fmt(100 * float(np.median(zero)), 1)
        lines.append(f"With no paired image (k = 0, unpaired alignment): {what}rank-1 {rank1}% (chance "
                     f"{fmt(100 * chance, 2)}%).")  # fmt: skip
    if results["defences"]:
        lines.append(_defences_verdict(results["defences"], meta["defence_budgets"]))
    return tuple(lines)


#: Accuracy points a defence may cost and still count as keeping the protected system's accuracy.
KEPT_POINTS = 1.0


def _defences_verdict(defences: Sequence[Record], budgets: Sequence[int]) -> str:
    """On the first pair the defences ran on, at the largest budget: linking with no defence, the least linking a
    defence leaves while keeping native accuracy within :data:`KEPT_POINTS` of no defence, and the least overall."""
    k = max(budgets)
    pair = (defences[0]["leaked"], defences[0]["reference"])
    mine = [d for d in defences if (d["leaked"], d["reference"]) == pair]

    def at(d: Record) -> str:
        return f"rank-1 {fmt(100 * d[f'rank1_k{k}_mean'], 1)}% at accuracy {fmt(100 * d['accuracy_mean'], 1)}%"

    def least(records: list[Record]) -> str:
        best = min(records, key=lambda d: d[f"rank1_k{k}_mean"])
        return f"{best['label']}, {at(best)}"

    none = next((d for d in mine if d["defence"] == "none"), None)
    others = [d for d in mine if d is not none]
    parts = []
    if none is not None:
        parts.append(f"no defence {at(none)}")
        kept = [d for d in others if 100 * (none["accuracy_mean"] - d["accuracy_mean"]) <= KEPT_POINTS]
        if kept:
            parts.append(f"least linking within {KEPT_POINTS:g} accuracy point of that: {least(kept)}")
    if others:
        parts.append(f"least linking of all: {least(others)}")
    return f"Defences ({pair[0]} → {pair[1]}, k = {k}): " + "; ".join(parts) + "."


def _pm(mean: float, std: float, scale: float = 100.0) -> str:
    return f"{fmt(scale * mean, 1)} ± {fmt(scale * std, 1)}"


def _k_text(k_link: Record) -> str:
    seeds = k_link["per_seed"]
    if k_link["mean"] is None and all(k is None for k in seeds):
        return "never"
    found = [k for k in seeds if k is not None]
    per_seed = f"{min(found)}–{max(found)}" if found else "–"
    never = sum(k is None for k in seeds)
    mean = k_link["mean"] if k_link["mean"] is not None else "never"
    return f"{mean} (seeds: {per_seed}{f', never in {never}' if never else ''})"


def pairs_table(pairs: Sequence[Record], meta: Record) -> Table:
    """Per ordered pair: victims, chance, ceiling, k = 0, the budget that links more than half, rank-1 at k."""
    shown = [k for k in meta["budgets"] if k in (0, 100, 1000)]
    bar = f"k for rank-1 > {meta['link_bar']:.0%}"
    header = ("A (leaked templates)", "B (attacker's gallery)", "victims", "chance %", "ceiling %", bar)
    rows = []
    for p in pairs:
        cells = [p["leaked"], p["reference"], str(p["n_victims"]), fmt(100 * p["chance_rank1"], 2)]
        cells += [fmt(100 * p["ceiling_rank1"], 1), _k_text(p["k_link"])]
        for k in shown:
            r = row_at(p, k)
            cells.append(_pm(r["rank1_mean"], r["rank1_std"]) if r else "–")
        rows.append(tuple(cells))
    return Table(
        header + tuple(f"rank-1 % k={k}" for k in shown),
        tuple(rows),
        "Rank-1 linking of leaked A templates in B's gallery (mean ± std over seeds). Ceiling: B's own templates of "
        "the leaked photos searched in the same gallery. k for rank-1 > bar: on the mean curve (per-seed range).",
    )


def curve_table(pair: Record, meta: Record) -> Table:
    fars = [f"{f:g}" for f in meta["fars"]]
    rows = tuple(
        (str(r["k"]), _pm(r["rank1_mean"], r["rank1_std"]), *(_pm(r[f"tar@{f}_mean"], r[f"tar@{f}_std"]) for f in fars))
        for r in pair["summary"]
    )
    return Table(
        ("k", "rank-1 %", *(f"TAR % at FAR {f}" for f in fars)),
        rows,
        f"{pair['leaked']} → {pair['reference']}: {pair['n_victims']} victims, chance rank-1 "
        f"{100 * pair['chance_rank1']:.2f}%.",
    )


def defences_table(defences: Sequence[Record], budgets: Sequence[int]) -> Table:
    rows = tuple(
        (
            d["leaked"],
            d["reference"],
            d["label"],
            _pm(d["accuracy_mean"], d["accuracy_std"], 100.0),
            *(_pm(d[f"rank1_k{k}_mean"], d[f"rank1_k{k}_std"]) for k in budgets),
        )
        for d in defences
    )
    return Table(
        (
            "A (leaked templates)",
            "B (attacker's gallery)",
            "defence",
            "native accuracy %",
            *(f"attack rank-1 % k={k}" for k in budgets),
        ),
        rows,
        "Native accuracy: the protected system's own verification (mean ± std over folds). Attack: mean ± std over "
        "seeds.",
    )


def privacy_section(results: Record, level: int = 2, *, box: bool = True) -> list[Block]:
    """The audit's blocks (without the page title): its verdict (a box, or with ``box=False`` a paragraph for a
    larger document that has its own), linking by budget, the defences that ran, then the threat model."""
    meta, pairs, defences = results["meta"], results["pairs"], results["defences"]
    verdict = audit_verdict(results)
    blocks: list[Block] = [Verdict(tuple(("", line) for line in verdict)) if box else Paragraph(" ".join(verdict))]
    blocks.append(Heading(level, "Linking by budget"))
    curves = Figure("audit_curves", "Rank-1 linking against k (log x).", lambda: curves_figure(pairs, meta))
    blocks += [pairs_table(pairs, meta), curves]
    if len({(p["leaked"], p["reference"]) for p in pairs}) > 1:
        k = meta["heatmap_k"]
        blocks.append(Figure(f"audit_heatmap_k{k}", f"Rank-1 linking at k = {k}.", lambda: heatmap_figure(pairs, k)))
    if len(pairs) <= 8:
        blocks += [Heading(level + 1, "Per pair"), *(curve_table(p, meta) for p in pairs)]
    if defences:
        budgets = meta["defence_budgets"]
        blocks += [Heading(level, "Defences"), defences_table(defences, budgets)]
        blocks.append(Figure("audit_defences", "Accuracy vs privacy.", lambda: defences_figure(defences, budgets)))
    blocks += [Heading(level, "Threat model and settings"), Paragraph(threat_model(meta, pairs, defences))]
    if meta.get("warnings"):
        blocks.append(Bullets(tuple(meta["warnings"])))
    blocks.append(Bullets((f"Duration: {meta['duration_s']:.0f} s. facebridge {meta['facebridge_version']}.",)))
    return blocks


def write_audit_report(results: Record, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write results.json, report.md, report.html and figures into ``out_dir``; returns name -> path."""
    if not isinstance(results, dict) or not {"meta", "pairs", "defences"} <= set(results):
        raise InvalidInputError("not an audit results dict (needs meta, pairs, defences)")
    out_dir = Path(out_dir)
    written: dict[str, Path] = {}

    def text(name: str, content: str) -> None:
        atomic_write(out_dir / name, lambda tmp: tmp.write_text(content, encoding="utf-8"))
        written[name] = out_dir / name

    text("results.json", results_json(results))
    blocks = [Heading(1, TITLE), *privacy_section(results)]
    for figure in figures_of(blocks):
        for path in save_figure(figure.draw, out_dir / "figures" / figure.name):
            written[f"figures/{path.name}"] = path
    text("report.md", render_markdown(blocks))
    text("report.html", render_html(blocks, out_dir / "figures", TITLE))
    return written
