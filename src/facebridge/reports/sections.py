"""The study report's content, as document blocks built from the results dict (shared by Markdown and HTML).

Order: the verdict box (the answer), contents, the headline (cross accuracy and the penalty against plain native),
the study's claims tested, each protocol's sections with figures before long tables, privacy and upgrade; then
how the run was made: setup, methods, how the constants were chosen, files. A part that did not run has no section.
"""

from __future__ import annotations

from functools import partial

from facebridge.protocols.fold_rules import POOLS
from facebridge.reports import figures, tables
from facebridge.reports.claims import plural, study_claims, why_not
from facebridge.reports.document import Block, Bullets, Contents, Figure, Figures, Heading, Paragraph
from facebridge.reports.numbers import fmt_sig, fmt_value
from facebridge.reports.privacy import privacy_section
from facebridge.reports.summary import (
    PLAIN_BASELINE,
    VIEW_BASELINE,
    Record,
    best_and_worst,
    headline_method,
    method_label,
    pair_name,
    penalty_summaries,
    unique,
)
from facebridge.reports.upgrade import upgrade_section
from facebridge.reports.verdict import study_verdict

PENALTY_TEXT = (
    "Cross accuracy: source probes mapped into the target space and compared with the target's own gallery "
    f"embeddings, in %, mean over folds. Penalty vs plain (the headline) = {PLAIN_BASELINE} minus the cross "
    "accuracy: what a deployed system with a cosine scorer loses. In-view penalty (secondary) = "
    f"{VIEW_BASELINE} minus the cross accuracy: a view that lowers native accuracy also shrinks it. Points; "
    "positive is a loss."
)
BEYOND = "† nonlinear method: goes beyond the linear maps the study tested."


def _labels(methods: dict[str, Record], keys: list[str]) -> dict[str, str]:
    return {k: method_label(methods, k) for k in keys}


def _duration(meta: Record) -> str:
    """The run's duration: the stage table's total where the run recorded its stages, and, for a run resumed over
    several invocations, the last invocation's share of it."""
    if "stages_s" not in meta:
        return f"Duration: {meta['duration_s']:.0f} s."
    text = f"Duration: {meta['duration_s']:.0f} s, the total of the stage times below"
    if meta.get("invocations", 1) > 1:
        text += (
            f", over {meta['invocations']} invocations (resumed from checkpoints), {meta['invocation_s']:.0f} s of "
            "them in the last"
        )
    return text + "."


def _setup(meta: Record) -> list[Block]:
    pool = meta["pool"]
    size = f", {meta['n_pool_images']} images in all" if "n_pool_images" in meta else ""
    items = [
        f"Protocol: {meta['protocol'].upper()}, {meta['pairs']} pairs in {meta['folds']} folds; accuracies are in %, "
        "mean over folds.",
        f"Models: {', '.join(meta['models'])}.",
        f"Metric: {meta['metric']}.",
        f"Training pool: {pool} ({POOLS.get(pool, 'see notes')}){size}.",
        "Leakage rule: the map scored on fold k is fitted only on images of people who do not appear in fold k "
        "(the folds are people-disjoint).",
        f"Seed: {meta['seed']}. {_duration(meta)} facebridge {meta['facebridge_version']}.",
    ]
    if meta["quick"]:
        items.append("Quick run: reduced grids and draws; the numbers are indicative only.")
    items += [f"Note: {note}" for note in meta["notes"]]
    stages = [tables.stages_table(meta["stages_s"], meta["duration_s"])] if meta.get("stages_s") else []
    return [Bullets(tuple(items)), *stages]


def _methods(meta: Record) -> list[Block]:
    return [Heading(2, "Methods"), tables.methods_table(meta), Paragraph(BEYOND)]


def _choice(name: str, entry: Record, methods: dict[str, Record]) -> str:
    """One constant's choice as a sentence: value, users, data, criterion, candidates' scores, per-fold picks."""
    users = [method_label(methods, k) for k in entry.get("used_by", [])]
    text = f"{name} = {fmt_value(entry['value'])}" + (f" (used by {', '.join(users)})" if users else "")
    text += f": chosen on {entry['chosen_on']}, by {entry['criterion']}."
    if "candidates" in entry:
        scores = entry.get("scores")
        what = f" ({entry['score']})" if "score" in entry else ""
        worst = entry.get("worst")
        cells = [
            fmt_value(c)
            + ("" if scores is None else f": {fmt_sig(scores[i], 4)}")
            + ("" if worst is None else f" (worst {fmt_sig(worst[i], 4)})")
            for i, c in enumerate(entry["candidates"])
        ]
        text += f" Candidates{what}: {', '.join(cells)}."
        if entry.get("tie_broken"):
            text += f" A near tie: {fmt_value(entry['lowest_median'])} scored lowest; the simpler value was kept."
    if "per_fold" in entry:
        counts: dict[str, int] = {}
        for v in entry["per_fold"]:
            counts[fmt_value(v)] = counts.get(fmt_value(v), 0) + 1
        text += " Chosen per outer fold: " + ", ".join(f"{v} in {plural(n, 'fold')}" for v, n in counts.items()) + "."
    return text


def _selection(meta: Record) -> list[Block]:
    selection = meta.get("selection")
    if not selection:
        text = (
            "These results do not record how the methods' constants were chosen (no meta.selection); the notes in "
            "the setup say what is known."
        )
        return [Heading(2, "How each constant was chosen"), Paragraph(text)]
    items = tuple(_choice(name, entry, meta["methods"]) for name, entry in selection.items())
    record = (
        "The constants were chosen before this run, without its test folds; the full record, with every "
        "candidate's worst map and absolute cross accuracy, is docs/selection.md (written by "
        "scripts/select_constants.py). alpha is chosen per map and fold inside the training folds."
    )
    return [Heading(2, "How each constant was chosen"), Paragraph(record), Bullets(items)]


def _headline(results: Record, bound: float) -> list[Block]:
    rows, methods = results["penalty"], results["meta"]["methods"]
    if not rows:
        return []
    return [
        Heading(2, "Headline: cross accuracy and its cost"),
        Paragraph(PENALTY_TEXT + " " + BEYOND),
        tables.penalty_summary_table(penalty_summaries(rows, bound), methods, bound),
    ]


def _claims(results: Record) -> list[Block]:
    ref, meta = results["study_reference"], results["meta"]
    claims = study_claims(results)
    heading = Heading(2, "The study's claims, tested")
    if not claims:
        return []
    intro = (
        f"Study: {ref['text']}. It claims that linear maps cost at most {ref['max_penalty_points']:.1f} point of "
        f"accuracy over its {ref['n_maps']} maps, that fewer than {ref['pairs_needed']} training pairs suffice and "
        f"that rank {ref['rank']} suffices. Each claim is judged per method on every map of this run, against the "
        "baseline named in its row; sizes and ranks are the smallest within 0.5 points of the full-size map, "
        "and every verdict compares unrounded values. " + BEYOND
    )
    out: list[Block] = [heading, Paragraph(intro), tables.claims_table(claims, meta["methods"])]
    reasons = []
    for kind in unique(c.kind for c in claims):
        mine = [c for c in claims if c.kind == kind and c.baseline != VIEW_BASELINE]
        if text := why_not(mine, results["native"]):
            reasons.append(f"{mine[0].claim} (baseline: {mine[0].baseline}): {text}")
    if reasons:
        out += [Paragraph("Where the claims fail:"), Bullets(tuple(reasons))]
    else:
        out.append(Paragraph("Every claim held on every map of every method listed."))
    return out


def _view_accuracies(part: Record) -> list[tuple[str, dict[str, float]]]:
    """(view name, target -> native accuracy in that view) for every scoring view other than plain cosine."""
    out = []
    for name, keys in tables.view_groups(part):
        values = {r["target"]: r["native_target"] for r in part["penalty"] if r["method"] == keys[0]}
        out.append((name, values))
    return out


def _native(part: Record, level: int, prefix: str) -> list[Block]:
    if not part["native"]:
        return []
    views = _view_accuracies(part)
    draw = partial(figures.native_figure, part["native"], views)
    caption = "Native accuracy per model, plain cosine (error bar: std over folds)"
    caption += ", and in each other scoring view of the methods." if views else "."
    out: list[Block] = [
        Heading(level, "Native accuracy"),
        Figure(f"{prefix}native", caption, draw),
        tables.native_accuracy_table(part["native"], f"{prefix}native.csv"),
    ]
    if views:
        out.append(tables.native_views_table(part))
    return out


def _roc(part: Record, prefix: str) -> list[Block]:
    """ROC and DET of the headline method's best and worst maps beside their targets' native curves."""
    method = headline_method(part)
    native = {r["model"]: r for r in part["native"]}
    if method is None:
        return []
    chosen = best_and_worst(part, method)
    if not all("roc" in r and "roc" in native.get(r["target"], {}) for r in chosen):
        return [Paragraph("The results hold no ROC points: no ROC or DET curves.")]
    label = method_label(part["meta"]["methods"], method)
    named = part["meta"].get("selection", {}).get("headline_method", {}).get("value")
    why = "named in meta.selection" if method == named else "listed first"
    caption = (
        f"ROC and DET (log FAR) of {label} (the method {why}): its best map ({pair_name(chosen[0])}) and worst map "
        f"({pair_name(chosen[1])}) by penalty vs plain; solid: cross, dashed: the target's native plain cosine."
    )
    picked = chosen if chosen[0] is not chosen[1] else chosen[:1]
    maps = [(r, native[r["target"]]) for r in picked]
    return [Figure(f"{prefix}roc", caption, partial(figures.roc_figure, maps))]


def _penalty(part: Record, level: int, prefix: str, bound: float, summary: bool) -> list[Block]:
    rows, methods, models = part["penalty"], part["meta"]["methods"], part["meta"]["models"]
    if not rows:
        return []
    heatmaps = []
    for key in unique(r["method"] for r in rows):
        label = method_label(methods, key)
        mine = [r for r in rows if r["method"] == key]
        limits = figures.penalty_norm(mine, bound)
        draw = partial(figures.penalty_heatmap, mine, models, title=label, limits=limits, bound=bound)
        caption = (
            f"Penalty vs plain native (points), {label}. The colour scale, this method's own, is centred on the "
            f"study's {bound:.1f}-point bound: yellow at the bound, greener below it, redder above it; grey with a "
            "dash: no map."
        )
        heatmaps.append(Figure(f"{prefix}penalty_{key}", caption, draw))
    out: list[Block] = [Heading(level, "Penalty of a map (cross mode)")]
    if summary:
        out += [Paragraph(PENALTY_TEXT), tables.penalty_summary_table(penalty_summaries(rows, bound), methods, bound)]
    else:
        out.append(Paragraph(PENALTY_TEXT + " The per-method summary is the headline table above."))
    every_map = tables.penalty_rows_table(part, f"{prefix}penalty.csv")
    return [*out, Figures(tuple(heatmaps)), *_roc(part, prefix), every_map]


def _modes(part: Record, level: int, prefix: str, bound: float) -> list[Block]:
    modes, methods = part["modes"], part["meta"]["methods"]
    if not modes:
        return []
    labels = _labels(methods, unique(r["method"] for r in modes))
    return [
        Heading(level, "One side mapped (cross) or both sides (both)"),
        Paragraph(
            "Cross: mapped source probe against the target's native gallery. Both: both embeddings of every pair "
            f"go through the map. Penalties here are against {VIEW_BASELINE}."
        ),
        Figure(f"{prefix}modes", "Cross vs both penalty per map.", partial(figures.modes_figure, modes, labels, bound)),
        tables.modes_table(modes, methods, f"{prefix}modes.csv"),
    ]


#: The two sweeps: results key -> (heading, text, figure caption, figure, x, y, reach field, table caption).
SWEEPS = {
    "sample_size": (
        "Training-set size",
        "Median accuracy (%) over random draws of n training images (each gives one source/target embedding pair); "
        "'within 0.5': the smallest n whose median is within 0.5 points of the full training set ('never': no n in "
        "the grid).",
        "Gap to the full training set against n: one panel per target, one line per map coloured by its source "
        "(median over draws, IQR band); last panel: median and IQR over all maps.",
        figures.sample_size_figure, "n", "median", "smallest_n_within_0_5", "Accuracy (%) per training-set size",
    ),
    "rank": (
        "Rank of the map",
        "Accuracy (%) of rank-limited maps (reduced-rank ridge, or ridge on the source's leading principal "
        "components); 'within 0.5': the smallest rank within 0.5 points of the full-rank map ('never': no rank in "
        "the grid).",
        "Gap to the full-rank map against rank: one panel per target, one line per map coloured by its source, line "
        "style per method; last panel: median and IQR over all maps.",
        figures.rank_figure, "rank", "mean", "smallest_rank_within_0_5", "Accuracy (%) per rank",
    ),
}  # fmt: skip


def _curves(part: Record, level: int, prefix: str, marks: dict[str, dict[str, float]]) -> list[Block]:
    methods = part["meta"]["methods"]
    out: list[Block] = []
    for key, (heading, text, caption, draw, x, y, reach, table) in SWEEPS.items():
        if not part[key]:
            continue
        rows, summary = part[key], part[f"{key}_summary"]
        labels = _labels(methods, unique(r["method"] for r in rows))
        out += [
            Heading(level, heading),
            Paragraph(text),
            Figure(f"{prefix}{key}", caption, partial(draw, rows, summary, marks[x], labels)),
            tables.curve_table(rows, summary, methods, x=x, y=y, reach=reach, caption=table,
                               csv_name=f"{prefix}{key}.csv"),
        ]  # fmt: skip
    return out


def protocol_sections(part: Record, *, level: int, prefix: str, results: Record, summary: bool) -> list[Block]:
    """Native, penalty, modes, sample-size and rank sections of one protocol's results (``part``); ``summary``:
    include the per-method penalty summary (the main protocol shows it as the headline instead)."""
    ref = results["study_reference"]
    bound = ref["max_penalty_points"]
    marks = {"n": {"study": ref["pairs_needed"]}, "rank": {"study": ref["rank"]}}
    return [
        *_native(part, level, prefix),
        *_penalty(part, level, prefix, bound, summary),
        *_modes(part, level, prefix, bound),
        *_curves(part, level, prefix, marks),
    ]


def _ytf(results: Record) -> list[Block]:
    ytf = results["ytf"]
    if ytf is None:
        return []
    return [
        Heading(2, "YouTube Faces (YTF)"),
        *_setup(ytf["meta"]),
        *protocol_sections(ytf, level=3, prefix="ytf_", results=results, summary=True),
    ]


def _privacy(results: Record) -> list[Block]:
    """The privacy audit run with the study (``privacy/`` holds its standalone report), when there is one."""
    audit = results.get("privacy")
    if audit is None:
        return []
    intro = Paragraph(
        "The other side of the finding: templates leaked from one system can be linked to identities in another "
        "system's gallery. The audit below ran on the same embeddings; its standalone report (with its own "
        "results.json) is privacy/report.html."
    )
    section = privacy_section(audit, level=3, box=False)
    return [Heading(2, "Privacy: linking leaked templates across systems"), intro, *section]


def report_title(meta: Record) -> str:
    return f"facebridge study: maps between face embedding spaces ({meta['protocol'].upper()})"


def study_document(results: Record) -> list[Block]:
    """The whole report (see the module docstring for the order)."""
    meta = results["meta"]
    bound = results["study_reference"]["max_penalty_points"]
    csvs = ", ".join(tables.csv_records(results))
    return [
        Heading(1, report_title(meta)),
        study_verdict(results),
        Contents(),
        *_headline(results, bound),
        *_claims(results),
        *protocol_sections(results, level=2, prefix="", results=results, summary=False),
        *_ytf(results),
        *_privacy(results),
        *upgrade_section(results.get("upgrade")),
        Heading(2, "Setup"),
        *_setup(meta),
        *_methods(meta),
        *_selection(meta),
        Heading(2, "Files"),
        Paragraph(
            f"Every number is in results.json (ROC points included); the tables' numbers at full precision in {csvs}; "
            "figures in figures/ as PNG and SVG."
        ),
    ]
