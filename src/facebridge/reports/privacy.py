"""The privacy audit's report: threat model, linking curves (rank-1 vs k), a heatmap at fixed k, defences.

Rendered from the results dict of ``facebridge.experiments.privacy.audit_run.run_audit`` alone, into a standalone folder
(report.md, a self-contained report.html, results.json, figures); :func:`privacy_section` gives the same blocks for
a larger document.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.reports.document import Block, Bullets, Figure, Heading, Paragraph, Table, figures_of, render_markdown
from facebridge.reports.figures import new_figure, save_figure
from facebridge.reports.html import render_html
from facebridge.reports.strict_json import results_json
from facebridge.reports.tables import fmt
from facebridge.storage import atomic_write

Record = dict[str, Any]
TITLE = "facebridge privacy audit: linking leaked face templates across systems"


def threat_model(meta: Record) -> str:
    """The threat model in one paragraph, with this run's settings."""
    budgets = ", ".join(str(k) for k in meta["budgets"])
    return (
        "Threat model. Templates of system A (model 'leaked') have leaked for a set of victims, one template each. "
        "The attacker runs their own face model B ('reference') and holds a gallery of known identities embedded "
        "with it, which contains each victim through a different photo from the one behind the leaked template "
        "(the realistic case: gallery and leak were collected independently). The attacker's side information is "
        "k images embedded by both models (e.g. photos of known people matched to leaked templates, or enrolled in A "
        "by the attacker), all of people who are not victims; from them they fit a map from A's space into B's "
        f"({meta['map_method']} with parameters {meta['map_params'] or 'at their defaults'}, any penalty it chooses "
        "chosen by cross-validation over the attacker's own people) and search each mapped leaked template in "
        "B's gallery. With k = 0 they have no pair at all and align the two spaces from unpaired templates only "
        "(VecMap-style unsupervised self-learning; A and B templates of disjoint non-victim images). Success is "
        "rank-1 identification (chance: 1 / gallery size) and cross verification TAR at fixed FAR (chance: the FAR). "
        f"People are split at random into victims ({meta['evaluated_fraction']:.0%} of those with two images) and "
        f"the attacker's side, per seed; budgets k = {budgets}; seeds {meta['seeds']}. A defence is applied by "
        "system A to every template it stores, under its secret key; the attacker's pairs then hold protected "
        "templates too."
    )


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


def _row_at(pair: Record, k: int) -> Record | None:
    return next((r for r in pair["summary"] if r["k"] == k), None)


def pairs_table(pairs: Sequence[Record], meta: Record) -> Table:
    """Per ordered pair: victims, chance, ceiling, k = 0, the budget that links more than half, rank-1 at k."""
    shown = [k for k in meta["budgets"] if k in (0, 100, 1000)]
    bar = f"k for rank-1 > {meta['link_bar']:.0%}"
    header = ("leaked (A)", "reference (B)", "victims", "chance %", "ceiling %", bar)
    rows = []
    for p in pairs:
        cells = [p["leaked"], p["reference"], str(p["n_victims"]), fmt(100 * p["chance_rank1"], 2)]
        cells += [fmt(100 * p["ceiling_rank1"], 1), _k_text(p["k_link"])]
        for k in shown:
            r = _row_at(p, k)
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


def curves_figure(pairs: Sequence[Record], meta: Record) -> Any:
    """Rank-1 (%) against k on a log axis, one line per pair (mean over seeds, min–max band); k = 0 is drawn at the
    left edge as its own marker, since a log axis has no 0."""
    positive = sorted(k for k in meta["budgets"] if k > 0)
    zero_x = positive[0] / 3 if positive else 1.0
    fig = new_figure(6.4, 4.0)
    ax = fig.add_subplot()
    many = len(pairs) > 8
    for i, p in enumerate(pairs):
        rows = [r for r in p["summary"] if r["k"] > 0]
        xs = [r["k"] for r in rows]
        color = "steelblue" if many else f"C{i % 10}"
        label = None if many else f"{p['leaked']} → {p['reference']}"
        ax.plot(xs, [100 * r["rank1_mean"] for r in rows], color=color, alpha=0.35 if many else 1, lw=1, label=label)
        if not many:
            lo, hi = [100 * r["rank1_min"] for r in rows], [100 * r["rank1_max"] for r in rows]
            ax.fill_between(xs, lo, hi, color=color, alpha=0.15, linewidth=0)
        if (zero := _row_at(p, 0)) is not None:
            ax.plot([zero_x], [100 * zero["rank1_mean"]], marker="o", color=color, alpha=0.5 if many else 1)
    if many:
        grid = np.array([[100 * r["rank1_mean"] for r in p["summary"] if r["k"] > 0] for p in pairs])
        ax.plot(positive, np.median(grid, axis=0), color="black", lw=2, label=f"median over {len(pairs)} pairs")
    ax.axhline(100 * meta["link_bar"], color="black", lw=0.8, ls=":", label=f"{meta['link_bar']:.0%} bar")
    ax.axhline(100 * float(np.mean([p["chance_rank1"] for p in pairs])), color="grey", lw=0.8, ls="--", label="chance")
    ax.set_xscale("log")
    ax.set_xticks([zero_x, *positive], ["0\n(unpaired)", *map(str, positive)])
    ax.minorticks_off()
    ax.set_xlabel("attacker's paired images k (log scale)")
    ax.set_ylabel("rank-1 linking (%)")
    ax.set_ylim(0, 100)
    ax.set_title("Linking leaked templates across systems")
    ax.legend(fontsize=7, frameon=False)
    return fig


def heatmap_figure(pairs: Sequence[Record], k: int) -> Any:
    """Rank-1 (%) at budget ``k``: leaked model rows, reference model columns."""
    models = sorted({p["leaked"] for p in pairs} | {p["reference"] for p in pairs})
    index = {m: i for i, m in enumerate(models)}
    grid = np.full((len(models), len(models)), np.nan)
    for p in pairs:
        if (row := _row_at(p, k)) is not None:
            grid[index[p["leaked"]], index[p["reference"]]] = 100 * row["rank1_mean"]
    n = len(models)
    fig = new_figure(1.8 + 0.75 * n, 1.3 + 0.6 * n)
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=100)
    for (i, j), value in np.ndenumerate(grid):
        text = "–" if np.isnan(value) else f"{value:.0f}"
        ax.text(j, i, text, ha="center", va="center", color="black" if value > 60 else "white", fontsize=8)
    ax.set_xticks(range(n), models, rotation=40, ha="right")
    ax.set_yticks(range(n), models)
    ax.set_xlabel("reference model B (attacker's gallery)")
    ax.set_ylabel("leaked model A")
    ax.set_title(f"Rank-1 linking (%) at k = {k}")
    fig.colorbar(image, ax=ax, shrink=0.9).set_label("rank-1 (%)")
    return fig


def defences_figure(defences: Sequence[Record], budgets: Sequence[int]) -> Any:
    """Accuracy vs privacy: native accuracy of the protected system against the attack's rank-1, per defence."""
    fig = new_figure(6.4, 4.0)
    ax = fig.add_subplot()
    for marker, k in zip(("o", "s", "^"), budgets, strict=False):
        for i, label in enumerate(dict.fromkeys(d["label"] for d in defences)):
            mine = [d for d in defences if d["label"] == label]
            if k == budgets[0] and len(budgets) > 1:  # a thin line joins each defence's budgets
                for d in mine:
                    xs = [100 * d[f"rank1_k{b}_mean"] for b in budgets]
                    ax.plot(xs, [100 * d["accuracy_mean"]] * len(xs), color=f"C{i % 10}", lw=0.6, alpha=0.5)
            ax.scatter(
                [100 * d[f"rank1_k{k}_mean"] for d in mine],
                [100 * d["accuracy_mean"] for d in mine],
                marker=marker,
                color=f"C{i % 10}",
                s=22,
                label=f"{label}" if k == budgets[0] else None,
            )
        ax.scatter([], [], marker=marker, color="black", label=f"k = {k}")
    ax.set_xlabel("attack rank-1 (%)")
    ax.set_ylabel("native verification accuracy of the protected system (%)")
    ax.set_title("Defences: accuracy kept vs linking left (top left is best)")
    ax.legend(fontsize=6, frameon=False, ncol=2)
    return fig


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
        ("leaked (A)", "reference (B)", "defence", "native accuracy %", *(f"attack rank-1 % k={k}" for k in budgets)),
        rows,
        "Native accuracy: the protected system's own verification (mean ± std over folds). Attack: mean ± std over "
        "seeds.",
    )


def privacy_section(results: Record, level: int = 2) -> list[Block]:
    """The audit's blocks (without the page title), for the standalone report or a larger document."""
    meta, pairs, defences = results["meta"], results["pairs"], results["defences"]
    blocks: list[Block] = [Paragraph(threat_model(meta)), Heading(level, "Linking by budget")]
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
