"""The "Model upgrade" report section: 1:N identification with a migrated gallery (self vs cross test) and the
FAR drift of the operator's threshold before and after calibration, rendered from an upgrade study's results
(:func:`facebridge.experiments.upgrade.study.upgrade_study`, with ``meta`` when ``reproduce`` ran it)."""

from __future__ import annotations

import math
import os
import statistics
from functools import partial
from pathlib import Path
from typing import Any

from facebridge.reports import figures
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
from facebridge.reports.html import render_html
from facebridge.reports.numbers import fmt, fmt_sig, fmt_signed, fmt_value
from facebridge.reports.summary import pair_name, unique
from facebridge.storage import atomic_write

Record = dict[str, Any]
#: The FAR whose drift the summary states, as the results key it is stored under.
SUMMARY_FAR = "0.001"
#: "Within a factor of 2": a realised FAR between target / 2 and target x 2.
FACTOR = 2.0


def _pct(x: float) -> str:
    return fmt(100 * x, 1)


def rank1_losses(runs: list[Record], scenario: str = "migrated_gallery") -> list[Record]:
    """Per pair: ``rank1_loss``, the re-enrolled native B rank-1 minus ``scenario``'s rank-1 (points, mean over
    folds; by default the migrated gallery's); the heatmap and the table both read these."""
    return [
        {
            "source": r["source"],
            "target": r["target"],
            "rank1_loss": 100 * (r["summary"]["self"]["rank1"] - r["summary"][scenario]["rank1"]),
        }
        for r in runs
    ]


#: The transition's scenarios the summary states, with their words.
TRANSITION_WORDS = {
    "fused": "fusing the old gallery (A probes) with the migrated one (B probes)",
    "reenrolled_25": "migrating, then re-enrolling the 25% of people seen again",
    "reenrolled_50": "migrating, then re-enrolling the 50% of people seen again",
}


def _below_old(runs: list[Record], scenario: str) -> tuple[int, int]:
    """(real upgrades whose ``scenario`` rank-1 is below the old system's, real upgrades): a real upgrade is a pair
    whose re-enrolled B rank-1 beats the old A system's."""
    real = [r["summary"] for r in runs if r["summary"]["self"]["rank1"] > r["summary"]["old"]["rank1"]]
    return sum(s[scenario]["rank1"] < s["old"]["rank1"] for s in real), len(real)


def _transition(runs: list[Record], method: str) -> list[str]:
    """Bullets: migrate-only and each transition scenario against re-enrolment and the old system."""
    items = []
    for scenario in ("migrated_gallery", *(k for k in TRANSITION_WORDS if k in runs[0]["summary"])):
        losses = [r["rank1_loss"] for r in rank1_losses(runs, scenario)]
        below, real = _below_old(runs, scenario)
        words = TRANSITION_WORDS.get(scenario, f"migrating the gallery with {method}")
        items.append(
            f"{words[0].upper()}{words[1:]}: rank-1 {fmt(statistics.median(losses), 2)} points below re-enrolment "
            f"(median; worst {fmt(max(losses), 2)}); {below} of {real} real upgrades identify worse than keeping "
            "the old system."
        )
    return items


def upgrade_headline(upgrade: Record) -> str:
    """One sentence: median rank-1 over pairs re-enrolled, with the gallery migrated, fused with the old gallery
    (when run) and keeping the old system; the migration's median and worst loss; the real upgrades it makes worse."""
    runs = upgrade["pairs"]
    method = ", ".join(unique(r["method"] for r in runs))

    def median(scenario: str) -> str:
        return _pct(statistics.median(r["summary"][scenario]["rank1"] for r in runs))

    losses = sorted(((x["rank1_loss"], pair_name(x)) for x in rank1_losses(runs)), reverse=True)
    fused = f", fused with the old gallery {median('fused')}%" if "fused" in runs[0]["summary"] else ""
    below, real = _below_old(runs, "migrated_gallery")
    return (
        f"Model upgrade ({method}, {len(runs)} ordered pairs; 1:N rank-1, median over pairs): re-enrolled "
        f"{median('self')}%, gallery migrated {median('migrated_gallery')}%{fused}, keeping the old system "
        f"{median('old')}%. Migrating loses {fmt(statistics.median(x for x, _ in losses), 2)} points against "
        f"re-enrolling (median; worst {fmt(losses[0][0], 2)}, {losses[0][1]}); {below} of {real} real upgrades "
        "identify worse after migrating than keeping the old system."
    )


def _identification_table(runs: list[Record]) -> Table:
    rows = []
    for run, loss in zip(runs, rank1_losses(runs), strict=True):
        s = run["summary"]
        rows.append(
            (
                pair_name(run),
                *(_pct(s[k]["rank1"]) for k in ("self", "migrated_gallery", "mapped_probes", "old")),
                fmt_signed(-loss["rank1_loss"], 1),
                _pct(s["self"]["dir_open@0.01"]),
                _pct(s["migrated_gallery"]["dir_open@0.01"]),
            )
        )
    header = (
        "source → target", "rank-1 self (B/B)", "rank-1 migrated A gallery / B probes",
        "rank-1 B gallery / mapped A probes", "rank-1 old (A/A)", "migrated − self (points)",
        "open-set DIR@FPIR 1e-2 self", "open-set DIR@FPIR 1e-2 migrated",
    )  # fmt: skip
    return Table(header, tuple(rows), caption="Rank-1 and DIR per pair, mean over folds, in percent.")


def _drift_table(runs: list[Record]) -> Table:
    """One row per pair: for each target FAR, the realised FAR (÷ target) and TAR of native B, of the migrated
    gallery at the native threshold, and of the migrated gallery at the calibrated threshold."""
    fars = list(runs[0]["thresholds"])
    rows = []
    for run in runs:
        cells = [pair_name(run)]
        for far in fars:
            for mode in ("native", "uncalibrated", "calibrated"):
                m = run["thresholds"][far][mode]
                cells.append(f"{fmt_sig(m['far'])} (×{fmt(m['far'] / float(far), 2)}) / {_pct(m['tar'])}")
        cells.append(str(run["thresholds"][fars[0]]["calibrated"]["n_impostor"]))
        rows.append(tuple(cells))
    header = ["source → target"]
    for far in fars:
        t = fmt_sig(float(far))
        header += [f"FAR {t}: native B", f"FAR {t}: migrated, native threshold", f"FAR {t}: migrated, calibrated"]
    caption = (
        "Realised FAR (× target) / TAR % at each target FAR, pooled over the held-out folds; impostor pairs per pair "
        "in the last column."
    )
    return Table((*header, "impostor pairs"), tuple(rows), caption=caption)


def _ratio_off(far: float, target: float) -> float:
    """How far a realised FAR is from its target, as a factor >= 1 either way (inf for no false accept)."""
    if far == 0:
        return math.inf
    return max(far / target, target / far)


def _far_summary(runs: list[Record], mode: str) -> tuple[float, str, float, int]:
    """(median FAR, the pair farthest from the target by ratio, its FAR, pairs within FACTOR) at SUMMARY_FAR."""
    target = float(SUMMARY_FAR)
    fars = [(r["thresholds"][SUMMARY_FAR][mode]["far"], pair_name(r)) for r in runs]
    worst_far, worst_pair = max(fars, key=lambda fp: _ratio_off(fp[0], target))
    within = sum(_ratio_off(f, target) <= FACTOR for f, _ in fars)
    return statistics.median(f for f, _ in fars), worst_pair, worst_far, within


def _summary(runs: list[Record]) -> Bullets:
    losses = sorted(((r["rank1_loss"], pair_name(r)) for r in rank1_losses(runs)), reverse=True)
    items = [
        f"Rank-1 lost by migrating the gallery instead of re-enrolling with B: median "
        f"{fmt(statistics.median(x for x, _ in losses), 2)} points over {len(runs)} pairs; worst {losses[0][1]} "
        f"({fmt(losses[0][0], 2)} points)."
    ]
    if all(SUMMARY_FAR in r["thresholds"] for r in runs):
        t = fmt_sig(float(SUMMARY_FAR))
        median, pair, far, _ = _far_summary(runs, "uncalibrated")
        items.append(
            f"FAR realised at the {t} target with the operator's native-B threshold (before calibration): median "
            f"{fmt_sig(median)}; farthest from the target {pair} ({fmt_sig(far)})."
        )
        median, pair, far, within = _far_summary(runs, "calibrated")
        items.append(
            f"After calibration on the training folds: median {fmt_sig(median)}; farthest from the target {pair} "
            f"({fmt_sig(far)}); {within} of {len(runs)} pairs within a factor of {FACTOR:g} of {t}."
        )
    return Bullets(tuple(items))


def _heatmap(runs: list[Record], prefix: str, method: str = "") -> Figure:
    losses = rank1_losses(runs)
    models = unique(m for r in runs for m in (r["source"], r["target"]))
    limits = figures.zero_centred_limits(losses, "rank1_loss")
    label = "rank-1 loss (points)\nline: no loss"
    title = f"Rank-1 lost by migrating the gallery ({method})" if method else "Rank-1 lost by migrating the gallery"
    draw = partial(figures.penalty_heatmap, losses, models, title=title, limits=limits, bound=0.0,
                   key="rank1_loss", label=label, cmap=figures.LOSS_CMAP)  # fmt: skip
    caption = (
        f"Rank-1 loss (points){f' with {method}' if method else ''}: re-enrolled native B rank-1 minus migrated A "
        "gallery + B probes rank-1, per source (rows) and target (columns), mean over folds. Colour centred on no "
        "loss (white), symmetric: red for a loss, blue for a gain, equally strong for equal points; grey with a "
        "dash: no pair."
    )
    return Figure(f"{prefix}upgrade_rank1_loss", caption, draw)


def _baseline(upgrade: Record, prefix: str) -> list[Block]:
    """The baseline method's summary and heatmap (same split), when ``reproduce`` ran one beside the method."""
    base = upgrade.get("baseline")
    if not base or not base.get("pairs"):
        return []
    runs, method = base["pairs"], base["method"]
    losses = [r["rank1_loss"] for r in rank1_losses(runs)]
    below, real = _below_old(runs, "migrated_gallery")
    return [
        Paragraph(
            f"Baseline {method}, same split: rank-1 lost by migrating median {fmt(statistics.median(losses), 2)} "
            f"points, worst {fmt(max(losses), 2)}; {below} of {real} real upgrades identify worse than keeping the "
            "old system."
        ),
        _heatmap(runs, f"{prefix}baseline_", method),
    ]


def _setup(upgrade: Record) -> str:
    split, runs = upgrade["split"], upgrade["pairs"]
    fold = split["per_fold"][0]
    alphas = [f["map_params"]["alpha"] for r in runs for f in r["folds"] if "alpha" in f.get("map_params", {})]
    chosen = f" (alpha chosen per fold, {fmt_value(min(alphas))} to {fmt_value(max(alphas))})" if alphas else ""
    return (
        f"1:N identification on {split['n_images']} images in {split['n_folds']} people-disjoint folds (seed "
        f"{split['seed']}): per fold one enrolled image per person plus the people with one image as distractors "
        f"(fold 1: {fold['gallery']} enrolled, {fold['distractor']} distractors), the other images as mated "
        f"probes ({fold['mated']}), and a share {split['open_fraction']:g} of the people not enrolled as "
        f"non-mated probes ({fold['nonmated']}). Map: {', '.join(unique(r['method'] for r in runs))}{chosen}, "
        "each fold's fitted on the other folds' people only. Open-set DIR follows bob.measure; the operator's "
        "threshold gives the target FAR on native B scores of the training folds, the calibrated one the same FAR "
        "on cross scores of the training folds."
    )


def _quick_note(upgrade: Record) -> list[Block]:
    meta = upgrade.get("meta", {})
    if meta.get("all_pairs", True):
        return []
    runs = upgrade["pairs"]
    models = unique(m for r in runs for m in (r["source"], r["target"]))
    return [
        Paragraph(
            f"Quick run: {upgrade['split']['n_folds']} folds and only the pairs from and to {models[0]} ({len(runs)} "
            f"of {len(models) * (len(models) - 1)} ordered pairs); the numbers are indicative only."
        )
    ]


def upgrade_section(upgrade: Record | None, level: int = 2, prefix: str = "") -> list[Block]:
    """The section's blocks; none when the study has no upgrade results. ``prefix``: of the heatmap's file name."""
    if not upgrade or not upgrade.get("pairs"):
        return []
    runs = upgrade["pairs"]
    method = ", ".join(unique(r["method"] for r in runs))
    return [
        Heading(level, "Model upgrade"),
        Paragraph(_setup(upgrade)),
        *_quick_note(upgrade),
        _summary(runs),
        _heatmap(runs, prefix, method if upgrade.get("baseline") else ""),
        *_baseline(upgrade, prefix),
        Bullets(tuple(_transition(runs, method))),
        _identification_table(runs),
        _drift_table(runs),
    ]


def write_upgrade_report(upgrade: Record, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write the section as a page of its own, its headline in a verdict box first: ``upgrade.md`` and a
    self-contained ``upgrade.html`` in ``out_dir``, the heatmap under ``figures/``; returns both paths."""
    out_dir = Path(out_dir)
    heading, *rest = upgrade_section(upgrade, level=1)
    blocks = [heading, Verdict((("", upgrade_headline(upgrade)),)), *rest]
    for figure in figures_of(blocks):
        figures.save_figure(figure.draw, out_dir / "figures" / figure.name)
    md, html = out_dir / "upgrade.md", out_dir / "upgrade.html"
    text = render_markdown(blocks)
    atomic_write(md, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    page = render_html(blocks, out_dir / "figures", "facebridge model upgrade")
    atomic_write(html, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return md, html
