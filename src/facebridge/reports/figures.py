"""The study report's figures, drawn with matplotlib's object API on the Agg canvas (no pyplot, no global state).

Each ``*_figure`` function returns a matplotlib ``Figure``; :func:`save_figure` draws one under a fixed style and
writes it as PNG and SVG with no dates and a fixed SVG hash salt, so the same results give the same bytes.
Penalties are in percentage points; accuracies in %. Curves plot the gap to the full-size accuracy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from facebridge.errors import MissingDependencyError
from facebridge.reports.summary import Record, unique
from facebridge.storage import atomic_write

STYLE = {
    "svg.hashsalt": "facebridge",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": 110,
}
HEATMAP_CMAP = "RdYlGn_r"
MISSING_CELL = "#e6e6e6"
WITHIN = 0.5  # points: the sample-size and rank criteria


def _mpl(module: str) -> ModuleType:
    try:
        return importlib.import_module(f"matplotlib{module}")
    except ModuleNotFoundError as exc:
        raise MissingDependencyError("report figures need matplotlib: pip install 'facebridge[reports]'") from exc


def new_figure(width: float, height: float) -> Any:
    """An empty constrained-layout Figure on its own Agg canvas (inches)."""
    fig = _mpl(".figure").Figure(figsize=(width, height), layout="constrained")
    _mpl(".backends.backend_agg").FigureCanvasAgg(fig)
    return fig


def save_figure(draw: Callable[[], Any], stem: Path) -> tuple[Path, Path]:
    """Call ``draw()`` under :data:`STYLE` and write ``stem.png`` and ``stem.svg`` atomically."""
    with _mpl("").rc_context(STYLE):
        fig = draw()
        paths = []
        for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            path = stem.with_name(f"{stem.name}.{fmt}")
            atomic_write(path, lambda tmp, f=fmt, m=metadata: fig.savefig(tmp, format=f, metadata=m))
            fig.set_layout_engine("none")  # laid out once, by the first save: the SVG keeps the PNG's layout
            paths.append(path)
    return paths[0], paths[1]


def penalty_norm(rows: Sequence[Record], bound: float) -> tuple[float, float]:
    """Shared colour limits for every heatmap: at least [0, 2 x bound], so ``bound`` is the colormap's centre."""
    values = [r["penalty"] for r in rows] or [0.0]
    return min(0.0, min(values)) - 1e-9, max(2.0 * bound, max(values))


def penalty_heatmap(
    rows: Sequence[Record], models: Sequence[str], *, title: str, limits: tuple[float, float], bound: float
) -> Any:
    """Penalty of one method's maps: source rows x target columns, annotated; green at or under ``bound``, red above.

    ``rows`` are that method's ``penalty`` records; cells with no map (the diagonal) are grey with a dash.
    """
    colors = _mpl(".colors")
    n = len(models)
    grid = np.full((n, n), np.nan)
    index = {m: i for i, m in enumerate(models)}
    for r in rows:
        grid[index[r["source"]], index[r["target"]]] = r["penalty"]
    cmap = _mpl("").colormaps[HEATMAP_CMAP].with_extremes(bad=MISSING_CELL)
    norm = colors.TwoSlopeNorm(vcenter=bound, vmin=limits[0], vmax=limits[1])
    fig = new_figure(1.8 + 0.75 * n, 1.3 + 0.6 * n)
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, norm=norm)
    for (i, j), value in np.ndenumerate(grid):
        dark = np.isfinite(value) and sum(cmap(norm(value))[:3]) < 1.5
        text = "–" if np.isnan(value) else f"{value:.2f}"
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black", fontsize=8)
    ax.set_xticks(range(n), models, rotation=40, ha="right")
    ax.set_yticks(range(n), models)
    ax.set_xlabel("target model")
    ax.set_ylabel("source model")
    ax.set_title(title)
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.ax.axhline(bound, color="black", linewidth=1.5)
    bar.set_label(f"penalty (points); line: study bound {bound:.1f}")
    return fig


def native_figure(native: Sequence[Record]) -> Any:
    """Native accuracy per model: mean over folds with the fold standard deviation as error bar."""
    names = [r["model"] for r in native]
    means = np.array([r["mean"] for r in native])
    fig = new_figure(1.5 + 0.6 * len(names), 2.4)
    ax = fig.add_subplot()
    bars = ax.bar(names, means, yerr=[r["std"] for r in native], color="steelblue", capsize=3)
    ax.bar_label(bars, fmt="%.2f", label_type="center", color="white", fontsize=8)
    ax.set_ylim(max(0.0, float(means.min()) - 5.0), 100.0)
    ax.set_ylabel("accuracy (%)")
    ax.tick_params(axis="x", rotation=40)
    ax.set_title("Native verification accuracy")
    return fig


def modes_figure(modes: Sequence[Record], labels: dict[str, str], bound: float) -> Any:
    """Penalty with one side mapped (cross) against both sides mapped (both), one point per map and method."""
    fig = new_figure(4.2, 3.6)
    ax = fig.add_subplot()
    for method in unique(r["method"] for r in modes):
        mine = [r for r in modes if r["method"] == method]
        cross = [r["native_target"] - r["cross"] for r in mine]
        both = [r["native_target"] - r["both"] for r in mine]
        ax.scatter(cross, both, s=18, label=labels.get(method, method))
    ax.axline((0, 0), slope=1, color="grey", linewidth=0.8, linestyle="--")
    ax.axvline(bound, color="black", linewidth=0.8, linestyle=":")
    ax.axhline(bound, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("cross penalty (points)")
    ax.set_ylabel("both penalty (points)")
    ax.set_title("Cross vs both (dotted: study bound)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def _gap_curves(rows: Sequence[Record], summary: Sequence[Record], x: str, y: str) -> dict[tuple, np.ndarray]:
    """(source, target, method) -> array of (x, gap, gap_q25, gap_q75) rows over the numeric x values, where
    gap = accuracy minus the summary's full-size accuracy (every map has a summary row: see ``schema``); the IQR
    columns repeat ``gap`` when the rows have no quartiles."""
    full = {(s["source"], s["target"], s["method"]): s["full"] for s in summary}
    curves: dict[tuple, list] = {}
    for r in rows:
        if isinstance(r[x], str):
            continue
        key = (r["source"], r["target"], r["method"])
        lo, hi = r.get("q25", r[y]), r.get("q75", r[y])
        curves.setdefault(key, []).append((r[x], r[y] - full[key], lo - full[key], hi - full[key]))
    return {k: np.array(sorted(v)) for k, v in curves.items()}


def _summary_panel(ax: Any, curves: dict[tuple, np.ndarray], method: str, **style: Any) -> None:
    """Median gap over maps at each x shared by all of ``method``'s maps, with the IQR over maps as a band."""
    mine = [c for k, c in curves.items() if k[2] == method]
    xs = sorted(set.intersection(*(set(c[:, 0]) for c in mine)))
    gaps = np.array([[c[c[:, 0] == x, 1][0] for x in xs] for c in mine])
    q25, median, q75 = np.percentile(gaps, [25, 50, 75], axis=0)
    line = ax.plot(xs, median, marker="o", markersize=3, label=method, **style)[0]
    ax.fill_between(xs, q25, q75, color=line.get_color(), alpha=0.2, linewidth=0)


def _curve_figure(curves: dict[tuple, np.ndarray], xlabel: str, marks: dict[str, float], base: int) -> Any:
    """Left: one line per map (IQR band where there is one), colour = target model, line style = method.
    Right: median and IQR over maps, per method. Dotted: the 0.5-point criterion; vertical lines: ``marks``."""
    targets, methods = unique(k[1] for k in curves), unique(k[2] for k in curves)
    styles = {m: ("-", "--", ":", "-.")[i % 4] for i, m in enumerate(methods)}
    fig = new_figure(9.0, 3.6)
    left, right = fig.subplots(1, 2, sharey=True)
    for (_, target, method), c in curves.items():
        color = f"C{targets.index(target) % 10}"
        left.plot(c[:, 0], c[:, 1], color=color, linestyle=styles[method], linewidth=1, alpha=0.8)
        left.fill_between(c[:, 0], c[:, 2], c[:, 3], color=color, alpha=0.12, linewidth=0)
    for i, target in enumerate(targets):
        left.plot([], [], color=f"C{i % 10}", label=f"→ {target}")
    for method in methods:
        left.plot([], [], color="black", linestyle=styles[method], label=method)
        _summary_panel(right, curves, method, linestyle=styles[method])
    for ax in (left, right):
        ax.set_xscale("log", base=base)
        ax.axhline(-WITHIN, color="black", linewidth=0.8, linestyle=":")
        ax.axhline(0.0, color="grey", linewidth=0.6)
        for (name, value), style in zip(marks.items(), ("--", "-."), strict=False):
            ax.axvline(value, color="dimgrey", linewidth=0.8, linestyle=style, label=f"{name}: {value:g}")
        ax.set_xlabel(xlabel)
        ax.legend(fontsize=7, frameon=False)
    left.set_ylabel("accuracy minus full-size accuracy (points)")
    left.set_title("Per map")
    right.set_title("Over all maps (median, IQR)")
    return fig


def sample_size_figure(rows: Sequence[Record], summary: Sequence[Record], marks: dict[str, float]) -> Any:
    """Accuracy gap to the full training set against the number of training images (log x); per map the median
    over random draws with its IQR band. ``marks``: named sizes drawn as vertical lines (study, target)."""
    return _curve_figure(_gap_curves(rows, summary, "n", "median"), "training images (n)", marks, base=10)


def rank_figure(rows: Sequence[Record], summary: Sequence[Record], marks: dict[str, float]) -> Any:
    """Accuracy gap to the full-rank map against the map's rank (log2 x), one line style per method
    (reduced-rank ridge vs PCA + ridge). ``marks``: named ranks drawn as vertical lines (study, target)."""
    return _curve_figure(_gap_curves(rows, summary, "rank", "mean"), "rank", marks, base=2)
