"""The operator's answer as a report (Markdown and HTML): expected rank-1 loss per method and adaptation with its
interval, the calibrated threshold for their FAR, warnings, and the recommendation
(:func:`facebridge.experiments.upgrade.deployment.deployment_study`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facebridge.reports.document import Block, Bullets, Heading, Paragraph, Table, render_markdown
from facebridge.reports.html import render_html
from facebridge.reports.numbers import fmt
from facebridge.storage import atomic_write


def recommendation_line(results: dict[str, Any]) -> str:
    """One line: what to do, and why."""
    rec = results["recommendation"]
    if rec["action"] == "re-enrol":
        return f"Recommendation: re-enrol ({rec['reason']})."
    how = rec["method"] + ("" if rec["adaptation"] == "none" else f" adapted with {rec['adaptation']}")
    return f"Recommendation: migrate with {how} ({rec['reason']})."


def deployment_blocks(results: dict[str, Any]) -> list[Block]:
    r = results
    rows = tuple(
        (
            c["method"],
            c["adaptation"],
            fmt(100 * c["rank1_migrated"]),
            fmt(c["loss"]),
            f"{fmt(c['ci'][0])} to {fmt(c['ci'][1])}",
            fmt(c["threshold"], 4),
            f"{c['far_out_of_fold']:.2g}",
        )
        for c in r["candidates"]
    )
    blocks: list[Block] = [
        Heading(1, f"Upgrade {r['source']} -> {r['target']} on your photos"),
        Paragraph(
            f"{r['n_images']} photos of {r['n_people']} people; {r['enrolled_people']} people enrolled across "
            f"{r['n_folds']} people-disjoint folds, {r['n_mated_probes']} mated probes (seed {r['seed']}). Re-enrolled "
            f"rank-1 {fmt(100 * r['rank1_re_enrolled'])}%; keeping the old system {fmt(100 * r['rank1_old'])}%."
        ),
        Table(
            (
                "method",
                "adaptation",
                "migrated rank-1 %",
                "rank-1 loss (pts)",
                "95% interval (people bootstrap)",
                f"threshold at FAR {r['far']:g}",
                "FAR out of fold",
            ),
            rows,
            caption="Each fold's maps are fitted without its people; the threshold is read off every fold's cross "
            "impostor scores, its check off the other folds.",
        ),
        Paragraph(recommendation_line(r)),
    ]
    if r["warnings"]:
        blocks.append(Bullets(tuple(f"Warning: {w}" for w in r["warnings"])))
    return blocks


def write_deployment_report(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``out/recommendation.md`` and ``out/recommendation.html``."""
    blocks = deployment_blocks(results)
    md, html = out / "recommendation.md", out / "recommendation.html"
    text = render_markdown(blocks)
    atomic_write(md, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    page = render_html(blocks, out / "figures", f"Upgrade {results['source']} -> {results['target']}")
    atomic_write(html, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return md, html
