"""The privacy audit's figures: rank-1 linking against the attacker's budget k, a heatmap at one k, and each
defence's accuracy kept against the linking it leaves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from facebridge.reports.figures import new_figure
from facebridge.reports.summary import Record


def row_at(pair: Record, k: int) -> Record | None:
    """The pair's summary row at budget ``k`` (None: not run)."""
    return next((r for r in pair["summary"] if r["k"] == k), None)


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
        if (zero := row_at(p, 0)) is not None:
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
    fig.legend(fontsize=7, frameon=False, loc="outside right upper")
    return fig


def heatmap_figure(pairs: Sequence[Record], k: int) -> Any:
    """Rank-1 (%) at budget ``k``: leaked model rows, reference model columns."""
    models = sorted({p["leaked"] for p in pairs} | {p["reference"] for p in pairs})
    index = {m: i for i, m in enumerate(models)}
    grid = np.full((len(models), len(models)), np.nan)
    for p in pairs:
        if (row := row_at(p, k)) is not None:
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
    ax.set_xlabel("B: the attacker's gallery model")
    ax.set_ylabel("A: templates leaked from")
    ax.set_title(f"Rank-1 linking (%) at k = {k}")
    fig.colorbar(image, ax=ax, shrink=0.9).set_label("rank-1 (%)")
    return fig


#: Percentage points under which two defences' points are drawn as one (a marker would hide the other).
SAME_POINT = 0.05


def _defence_series(defences: Sequence[Record], budgets: Sequence[int]) -> list[tuple[str, list[Record]]]:
    """(legend label, records) per defence; defences whose every point coincides within :data:`SAME_POINT` (a
    rotation keeps every cosine, so it lands exactly on "none") share one series labelled ``a = b``."""

    def points(records: Sequence[Record]) -> np.ndarray:
        return 100 * np.array([[d["accuracy_mean"], *(d[f"rank1_k{k}_mean"] for k in budgets)] for d in records])

    series: list[tuple[list[str], list[Record]]] = []
    for label in dict.fromkeys(d["label"] for d in defences):
        mine = [d for d in defences if d["label"] == label]
        same = (s for s in series if len(s[1]) == len(mine) and np.abs(points(s[1]) - points(mine)).max() <= SAME_POINT)
        twin = next(same, None)
        if twin is None:
            series.append(([label], mine))
        else:
            twin[0].append(label)
    return [(" = ".join(labels), records) for labels, records in series]


def defences_figure(defences: Sequence[Record], budgets: Sequence[int]) -> Any:
    """Accuracy vs privacy: native accuracy of the protected system against the attack's rank-1, per defence (one
    colour each; defences at the same point share one), one marker per budget; the legend beside the axes."""
    fig = new_figure(7.4, 4.0)
    ax = fig.add_subplot()
    series = _defence_series(defences, budgets)
    for marker, k in zip(("o", "s", "^"), budgets, strict=False):
        for i, (label, mine) in enumerate(series):
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
                label=label if k == budgets[0] else None,
            )
        ax.scatter([], [], marker=marker, color="black", label=f"k = {k}")
    ax.set_xlabel("attack rank-1 (%)")
    ax.set_ylabel("native accuracy of the protected system (%)")
    ax.set_title("Defences: accuracy kept vs linking left (top left is best)")
    fig.legend(fontsize=7, frameon=False, loc="outside right upper")
    return fig
