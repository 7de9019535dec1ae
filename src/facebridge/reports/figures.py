"""The study report's figures, drawn with matplotlib's object API on the Agg canvas (no pyplot, no global state).

Each ``*_figure`` function returns a matplotlib ``Figure``; :func:`save_figure` draws one under a fixed style and
writes it as PNG and SVG with no dates and a fixed SVG hash salt, so the same results give the same bytes.
Penalties are in percentage points; accuracies in %. Curves plot the gap to the full-size accuracy.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from facebridge.errors import MissingDependencyError
from facebridge.reports.numbers import DASH, fmt
from facebridge.reports.summary import Record, pair_name, unique
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
#: Losses that can be gains too (the upgrade's rank-1 loss): white at zero, red for a loss, blue for a gain.
LOSS_CMAP = "RdBu_r"
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
            atomic_write(path, functools.partial(fig.savefig, format=fmt, metadata=metadata))
            fig.set_layout_engine("none")  # laid out once, by the first save: the SVG keeps the PNG's layout
            paths.append(path)
    return paths[0], paths[1]


def penalty_norm(rows: Sequence[Record], bound: float) -> tuple[float, float]:
    """Colour limits of one method's penalty heatmap (each method its own, so a method whose maps all sit near the
    bound still shows its spread): at least [0, 2 x bound], so ``bound`` is the colormap's centre, and strictly
    around ``bound`` even when it is <= 0."""
    values = [r["penalty_vs_plain"] for r in rows] or [0.0]
    low, high = min(0.0, min(values), bound) - 1e-9, max(2.0 * bound, max(values))
    return low, high if high > bound else bound + 1e-9


def zero_centred_limits(rows: Sequence[Record], key: str) -> tuple[float, float]:
    """Colour limits symmetric about zero, ``[-m, m]`` with ``m`` the largest ``|value|``: equal losses and gains
    get equally strong colours, and zero (no loss) is the colormap's neutral centre."""
    m = max((abs(r[key]) for r in rows), default=0.0)
    return -max(m, 1e-9), max(m, 1e-9)


def penalty_heatmap(
    rows: Sequence[Record],
    models: Sequence[str],
    *,
    title: str,
    limits: tuple[float, float],
    bound: float,
    key: str = "penalty_vs_plain",
    label: str | None = None,
    cmap: str = HEATMAP_CMAP,
) -> Any:
    """Penalty ``key`` of one method's maps: source rows x target columns, annotated; the diverging ``cmap`` is
    centred on ``bound`` (yellow for the default), green below, red above. Cells with no map (the diagonal) are
    grey with a dash. ``label``: the colour bar's (default: the penalty and the study bound); any per-pair cost in
    points fits."""
    colors = _mpl(".colors")
    n = len(models)
    grid = np.full((n, n), np.nan)
    index = {m: i for i, m in enumerate(models)}
    for r in rows:
        grid[index[r["source"]], index[r["target"]]] = r[key]
    colours = _mpl("").colormaps[cmap].with_extremes(bad=MISSING_CELL)
    norm = colors.TwoSlopeNorm(vcenter=bound, vmin=limits[0], vmax=limits[1])
    fig = new_figure(1.8 + 0.75 * n, 1.3 + 0.6 * n)
    ax = fig.add_subplot()
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=colours, norm=norm)
    for (i, j), value in np.ndenumerate(grid):
        dark = np.isfinite(value) and sum(colours(norm(value))[:3]) < 1.5
        text = DASH if np.isnan(value) else fmt(value)
        ax.text(j, i, text, ha="center", va="center", color="white" if dark else "black", fontsize=8)
    ax.set_xticks(range(n), models, rotation=40, ha="right")
    ax.set_yticks(range(n), models)
    ax.set_xlabel("target model")
    ax.set_ylabel("source model")
    ax.set_title(title)
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.ax.axhline(bound, color="black", linewidth=1.5)
    bar.set_label(label or f"penalty vs plain (points)\nline: study bound {bound:.1f}")
    return fig


def accuracy_floor(values: Sequence[float]) -> float:
    """A y-axis floor for accuracies (%): the multiple of 5 at least one point under the lowest value, >= 0."""
    return max(0.0, 5.0 * np.floor((min(values) - 1.0) / 5.0))


def native_figure(native: Sequence[Record], views: Sequence[tuple[str, dict[str, float]]] = ()) -> Any:
    """Native accuracy per model with plain cosine (error bar: std over folds) and, beside it, in each other
    scoring view of ``views`` ((name, model -> accuracy)); every bar's value printed on it."""
    names = [r["model"] for r in native]
    series = [("plain cosine", {r["model"]: r["mean"] for r in native}), *views]
    width = 0.8 / len(series)
    fig = new_figure(2.0 + 0.45 * len(names) * len(series), 3.0)
    ax = fig.add_subplot()
    x = np.arange(len(names))
    for i, (label, values) in enumerate(series):
        heights = np.array([values.get(m, np.nan) for m in names])
        errors = [r["std"] for r in native] if i == 0 else None
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, yerr=errors, capsize=2,
                      color=f"C{i}", label=label)  # fmt: skip
        ax.bar_label(bars, labels=[DASH if np.isnan(h) else fmt(h) for h in heights], label_type="center",
                     rotation=90, color="white", fontsize=7)  # fmt: skip
    every = [v for _, values in series for v in values.values()]
    ax.set_ylim(accuracy_floor(every), 100.0)
    ax.set_xticks(x, names, rotation=40, ha="right")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Native verification accuracy")
    if views:
        fig.legend(fontsize=7, frameon=False, loc="outside right upper")
    return fig


def modes_figure(modes: Sequence[Record], labels: dict[str, str], bound: float) -> Any:
    """Penalty with one side mapped (cross) against both sides mapped (both), one point per map and method."""
    fig = new_figure(6.0, 3.6)
    ax = fig.add_subplot()
    for method in unique(r["method"] for r in modes):
        mine = [r for r in modes if r["method"] == method]
        cross = [r["native_target"] - r["cross"] for r in mine]
        both = [r["native_target"] - r["both"] for r in mine]
        ax.scatter(cross, both, s=18, label=labels.get(method, method))
    ax.axline((0, 0), slope=1, color="grey", linewidth=0.8, linestyle="--")
    ax.axvline(bound, color="black", linewidth=0.8, linestyle=":")
    ax.axhline(bound, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("cross penalty vs native in view (points)")
    ax.set_ylabel("both penalty vs native in view (points)")
    ax.set_title("Cross vs both (dotted: study bound)")
    fig.legend(fontsize=7, frameon=False, loc="outside right upper")  # beside the axes: over no point or line
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


def _summary_panel(ax: Any, curves: dict[tuple, np.ndarray], method: str, label: str, **style: Any) -> None:
    """Median gap over maps at each x shared by all of ``method``'s maps, with the IQR over maps as a band."""
    mine = [c for k, c in curves.items() if k[2] == method]
    xs = sorted(set.intersection(*(set(c[:, 0]) for c in mine)))
    gaps = np.array([[c[c[:, 0] == x, 1][0] for x in xs] for c in mine])
    q25, median, q75 = np.percentile(gaps, [25, 50, 75], axis=0)
    line = ax.plot(xs, median, marker="o", markersize=3, color="black", label=label, **style)[0]
    ax.fill_between(xs, q25, q75, color=line.get_color(), alpha=0.15, linewidth=0)


def _curve_figure(
    curves: dict[tuple, np.ndarray], xlabel: str, marks: dict[str, float], base: int, labels: dict[str, str]
) -> Any:
    """Small multiples: one panel per target model, one line per map coloured by its source model (IQR band where
    there is one), line style = method; the last panel: median and IQR over all maps, per method. Every panel: the
    -0.5-point criterion (dotted) and ``marks`` (vertical lines), all named in the legend."""
    sources, methods = unique(k[0] for k in curves), unique(k[2] for k in curves)
    models = unique([*sources, *(k[1] for k in curves)])  # the models' order, as the sources come
    targets = [m for m in models if any(k[1] == m for k in curves)]
    colour = {m: f"C{i % 10}" for i, m in enumerate(models)}
    styles = {m: ("-", "--", ":", "-.")[i % 4] for i, m in enumerate(methods)}
    ncols = min(3, len(targets) + 1)
    nrows = -(-(len(targets) + 1) // ncols)
    fig = new_figure(3.2 * ncols + 1.6, 2.4 * nrows + 0.3)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, target in zip(axes, targets, strict=False):
        for (source, tgt, method), c in curves.items():
            if tgt == target:
                ax.plot(c[:, 0], c[:, 1], color=colour[source], linestyle=styles[method], linewidth=1)
                ax.fill_between(c[:, 0], c[:, 2], c[:, 3], color=colour[source], alpha=0.12, linewidth=0)
        ax.set_title(f"into {target}")
    summary = axes[len(targets)]
    for method in methods:
        _summary_panel(summary, curves, method, labels.get(method, method), linestyle=styles[method])
    summary.set_title("all maps: median, IQR")
    for ax in axes[len(targets) + 1 :]:
        ax.set_visible(False)
    grid = sorted({float(x) for c in curves.values() for x in c[:, 0]})
    for ax in axes[: len(targets) + 1]:
        ax.set_xscale("log", base=base)
        ax.set_xticks(grid, [f"{x:g}" for x in grid], minor=False)
        ax.xaxis.set_minor_locator(_mpl(".ticker").NullLocator())
        ax.tick_params(labelbottom=True, labelsize=7)
        ax.axhline(0.0, color="grey", linewidth=0.6)
        ax.axhline(-WITHIN, color="black", linewidth=0.8, linestyle=":")
        for value, style in zip(marks.values(), ("--", "-."), strict=False):
            ax.axvline(value, color="dimgrey", linewidth=0.8, linestyle=style)
    for ax in axes[: len(targets) + 1]:
        ax.set_xlabel(xlabel)
    for ax in axes[::ncols]:
        ax.set_ylabel("gap to full size (points)")
    handles = [_line(colour[s], "-", f"from {s}") for s in sources]
    handles += [_line("black", styles[m], labels.get(m, m)) for m in methods]
    handles.append(_line("black", ":", f"-{WITHIN} points: the 'within {WITHIN}' criterion"))
    handles += [_line("dimgrey", style, f"{name}: {value:g}")
                for (name, value), style in zip(marks.items(), ("--", "-."), strict=False)]  # fmt: skip
    fig.legend(handles=handles, loc="outside right center", fontsize=7, frameon=False)
    return fig


def _line(color: str, style: str, label: str) -> Any:
    """A legend entry: a line of ``color`` and ``style``."""
    return _mpl(".lines").Line2D([], [], color=color, linestyle=style, linewidth=1.2, label=label)


def sample_size_figure(
    rows: Sequence[Record], summary: Sequence[Record], marks: dict[str, float], labels: dict[str, str]
) -> Any:
    """Accuracy gap to the full training set against the number of training images (log x); per map the median
    over random draws with its IQR band. ``marks``: named sizes drawn as vertical lines (study, target)."""
    return _curve_figure(_gap_curves(rows, summary, "n", "median"), "training images (n)", marks, 10, labels)


def rank_figure(
    rows: Sequence[Record], summary: Sequence[Record], marks: dict[str, float], labels: dict[str, str]
) -> Any:
    """Accuracy gap to the full-rank map against the map's rank (log2 x), one line style per method
    (reduced-rank ridge vs PCA + ridge). ``marks``: named ranks drawn as vertical lines (study, target)."""
    return _curve_figure(_gap_curves(rows, summary, "rank", "mean"), "rank", marks, 2, labels)


def roc_figure(maps: Sequence[tuple[Record, Record]]) -> Any:
    """ROC (TAR against FAR) and DET (FRR against FAR), log FAR, of each (cross penalty row, target native row) in
    ``maps``: the map's cross curve solid, its target's native plain-cosine curve dashed, in the same colour. Both
    come from the rows' ``roc`` points (FARs the impostor count resolves)."""
    shared = len({row["target"] for row, _ in maps}) == 1  # one native curve, in black
    curves = [(f"cross {pair_name(row)}", row["roc"], "-", f"C{i}") for i, (row, _) in enumerate(maps)]
    natives = {row["target"]: (f"native {row['target']}, plain cosine", native["roc"], "--",
                               "black" if shared else f"C{i}")
               for i, (row, native) in enumerate(maps)}  # fmt: skip
    return roc_det_figure([*curves, *natives.values()])


def roc_det_figure(curves: Sequence[tuple[str, Record, str, str]]) -> Any:
    """ROC (TAR against FAR) and DET (FRR against FAR), log FAR, of each (label, ``{"far": [...], "tar": [... %]}``,
    line style, colour) in ``curves``; the legend below both panels, over no curve."""
    fig = new_figure(9.0, 4.0)
    roc_ax, det_ax = fig.subplots(1, 2)
    for label, roc, style, color in curves:
        far, tar = np.array(roc["far"]), np.array(roc["tar"])
        roc_ax.plot(far, tar, color=color, linestyle=style, linewidth=1.2, label=label)
        det_ax.plot(far, np.maximum(100.0 - tar, 1e-3), color=color, linestyle=style, linewidth=1.2)
    roc_ax.set_xscale("log")
    roc_ax.set_xlabel("false accept rate (FAR)")
    roc_ax.set_ylabel("true accept rate (TAR, %)")
    roc_ax.set_title("ROC")
    fig.legend(fontsize=7, frameon=False, loc="outside lower center", ncols=2)
    det_ax.set_xscale("log")
    det_ax.set_yscale("log")
    det_ax.set_xlabel("false accept rate (FAR)")
    det_ax.set_ylabel("false reject rate (FRR, %)")
    det_ax.set_title("DET")
    return fig
