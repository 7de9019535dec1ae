"""The study report's content, as document blocks built from the results dict (shared by Markdown and HTML)."""

from __future__ import annotations

from functools import partial

from facebridge.reports import figures, tables
from facebridge.reports.document import Block, Bullets, Figure, Figures, Heading, Paragraph, Table
from facebridge.reports.summary import Record, method_label, penalty_summaries, unique, verdicts

POOLS = {
    "people": "every image of the people outside the test fold",
    "pairs": "only the images used by the other folds' pairs",
}
PENALTY_TEXT = (
    "Penalty = native accuracy of the target model minus the accuracy of source probes mapped into the target "
    "space and compared with the target's own gallery embeddings (cross mode), in percentage points, mean over "
    "folds; positive is a loss."
)
BEYOND = "† nonlinear method: goes beyond the linear maps the study tested."


def _labels(methods: dict[str, Record], keys: list[str]) -> dict[str, str]:
    return {k: method_label(methods, k) for k in keys}


def _setup(meta: Record) -> list[Block]:
    pool = meta["pool"]
    items = [
        f"Protocol: {meta['protocol'].upper()}, {meta['pairs']} pairs in {meta['folds']} folds; accuracies are in %, "
        "mean over folds.",
        f"Models: {', '.join(meta['models'])}.",
        f"Metric: {meta['metric']}.",
        f"Training pool: {pool} ({POOLS.get(pool, 'see notes')}).",
        "Leakage rule: the map scored on fold k is fitted only on images of people who do not appear in fold k "
        "(the folds are people-disjoint).",
        f"Seed: {meta['seed']}. Duration: {meta['duration_s']:.0f} s. facebridge {meta['facebridge_version']}.",
    ]
    if meta["quick"]:
        items.append("Quick run: reduced grids and draws; the numbers are indicative only.")
    items += [f"Note: {note}" for note in meta["notes"]]
    return [Bullets(tuple(items))]


def _comparison(results: Record) -> list[Block]:
    ref, meta = results["study_reference"], results["meta"]
    items = verdicts(results)
    missed = [v for v in items if not v.met]
    if not items:
        return [
            Heading(2, "The study, this run and the targets"),
            Paragraph("No penalty, sample-size or rank results: no target could be judged."),
        ]
    blocks: list[Block] = [
        Heading(2, "The study, this run and the targets"),
        Paragraph(
            f"Study: {ref['text']}. Its figures: a penalty of at most {ref['max_penalty_points']:.1f} point over its "
            f"{ref['n_maps']} maps, fewer than {ref['pairs_needed']} training pairs, rank {ref['rank']}. The "
            f"sizes below are the worst map's smallest size within {figures.WITHIN} points of its full-size "
            "accuracy; verdicts compare unrounded values. " + BEYOND
        ),
        tables.comparison_table(items, meta["methods"]),
    ]
    if not missed:
        return [*blocks, Paragraph("Every target is met by every method listed.")]
    lines = [
        f"Target missed: {method_label(meta['methods'], v.method)}, {v.quantity}: {v.shown}; target {v.target_text}."
        for v in missed
    ]
    return [*blocks, Bullets(tuple(lines))]


def _native(part: Record, level: int, prefix: str) -> list[Block]:
    if not part["native"]:
        return []
    draw = partial(figures.native_figure, part["native"])
    return [
        Heading(level, "Native accuracy"),
        tables.native_accuracy_table(part["native"]),
        Figure(f"{prefix}native", "Native accuracy per model (error bar: std over folds).", draw),
    ]


def _penalty(part: Record, level: int, prefix: str, bound: float) -> list[Block]:
    rows, methods, models = part["penalty"], part["meta"]["methods"], part["meta"]["models"]
    if not rows:
        return []
    limits = figures.penalty_norm(rows, bound)
    keys = unique(r["method"] for r in rows)
    heatmaps, matrices = [], []
    for key in keys:
        label = method_label(methods, key)
        mine = [r for r in rows if r["method"] == key]
        draw = partial(figures.penalty_heatmap, mine, models, title=label, limits=limits, bound=bound)
        caption = f"Penalty (points), {label}; green at or under the study's {bound:.1f}-point bound, red above."
        heatmaps.append(Figure(f"{prefix}penalty_{key}", caption, draw))
        matrices.append(tables.penalty_matrix_table(rows, key, models, label))
    summary = tables.penalty_summary_table(penalty_summaries(rows, bound), methods, bound)
    return [
        Heading(level, "Penalty of a map (cross mode)"),
        Paragraph(PENALTY_TEXT + " " + BEYOND),
        summary,
        Figures(tuple(heatmaps)),
        *matrices,
    ]


def _modes(part: Record, level: int, prefix: str, bound: float) -> list[Block]:
    modes, methods = part["modes"], part["meta"]["methods"]
    if not modes:
        return []
    labels = _labels(methods, unique(r["method"] for r in modes))
    return [
        Heading(level, "One side mapped (cross) or both sides (both)"),
        Paragraph(
            "Cross: mapped source probe against the target's native gallery. Both: both embeddings of every pair "
            "go through the map. Penalties are against the target's native accuracy."
        ),
        tables.modes_table(modes, methods),
        Figure(f"{prefix}modes", "Cross vs both penalty per map.", partial(figures.modes_figure, modes, labels, bound)),
    ]


def _curves(part: Record, level: int, prefix: str, marks: dict[str, dict[str, float]]) -> list[Block]:
    methods = part["meta"]["methods"]
    out: list[Block] = []
    if part["sample_size"]:
        rows, summary = part["sample_size"], part["sample_size_summary"]
        out += [
            Heading(level, "Training-set size"),
            Paragraph(
                "Median accuracy (%) over random draws of n training images (each gives one source/target "
                "embedding pair); 'within 0.5': the smallest n whose median is within 0.5 points of the full "
                "training set ('–': never)."
            ),
            tables.curve_table(rows, summary, methods, x="n", y="median", reach="smallest_n_within_0_5"),
            Figure(
                f"{prefix}sample_size",
                "Gap to the full training set against n (per map: median over draws, IQR band).",
                partial(figures.sample_size_figure, rows, summary, marks["n"]),
            ),
        ]
    if part["rank"]:
        rows, summary = part["rank"], part["rank_summary"]
        out += [
            Heading(level, "Rank of the map"),
            Paragraph(
                "Accuracy (%) of rank-limited maps: rrr is reduced-rank ridge, pca_ridge is ridge on the source's "
                "leading principal components; 'within 0.5': the smallest rank within 0.5 points of the full-rank "
                "map ('–': never)."
            ),
            tables.curve_table(rows, summary, methods, x="rank", y="mean", reach="smallest_rank_within_0_5"),
            Figure(
                f"{prefix}rank",
                "Gap to the full-rank map against rank, per map and method.",
                partial(figures.rank_figure, rows, summary, marks["rank"]),
            ),
        ]
    return out


def protocol_sections(part: Record, *, level: int, prefix: str, results: Record) -> list[Block]:
    """Native, penalty, modes, sample-size and rank sections of one protocol's results (``part``)."""
    ref, targets = results["study_reference"], results["targets"]
    bound = ref["max_penalty_points"]
    marks = {
        "n": {"study": ref["pairs_needed"], "target": targets["n_within_0_5"]},
        "rank": {"study": ref["rank"], "target": targets["rank_within_0_5"]},
    }
    return [
        *_native(part, level, prefix),
        *_penalty(part, level, prefix, bound),
        *_modes(part, level, prefix, bound),
        *_curves(part, level, prefix, marks),
    ]


def _ytf(results: Record) -> list[Block]:
    ytf = results["ytf"]
    if ytf is None:
        return [Heading(2, "YouTube Faces (YTF)"), Paragraph("Not evaluated in this run (results.ytf is null).")]
    return [
        Heading(2, "YouTube Faces (YTF)"),
        *_setup(ytf["meta"]),
        *protocol_sections(ytf, level=3, prefix="ytf_", results=results),
    ]


def _methods(meta: Record) -> list[Block]:
    rows = tuple(
        (
            key,
            method_label(meta["methods"], key),
            info["family"],
            info["description"],
            ", ".join(f"{k}={v}" for k, v in sorted(info["params"].items())) or "–",
        )
        for key, info in meta["methods"].items()
    )
    return [
        Heading(2, "Methods"),
        Table(("key", "label", "family", "description", "parameters"), rows),
        Paragraph(BEYOND),
    ]


def report_title(meta: Record) -> str:
    return f"facebridge study: maps between face embedding spaces ({meta['protocol'].upper()})"


def study_document(results: Record) -> list[Block]:
    """The whole report: setup, the study comparison, the main protocol's sections, YTF, methods, files."""
    meta = results["meta"]
    csvs = ", ".join(tables.csv_records(results))
    return [
        Heading(1, report_title(meta)),
        Heading(2, "Setup"),
        *_setup(meta),
        *_comparison(results),
        *protocol_sections(results, level=2, prefix="", results=results),
        *_ytf(results),
        *_methods(meta),
        Heading(2, "Files"),
        Paragraph(
            f"Every number is in results.json; the tables' numbers at full precision in {csvs}; figures in "
            "figures/ as PNG and SVG."
        ),
    ]
