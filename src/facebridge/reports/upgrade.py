"""The "Model upgrade" report section: 1:N identification with a migrated gallery (self vs cross test) and the
FAR drift of the operator's threshold before and after calibration, rendered from an upgrade study's results
(:func:`facebridge.experiments.upgrade.upgrade_study`)."""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

from facebridge.reports.document import Block, Bullets, Heading, Paragraph, Table, render_markdown
from facebridge.reports.numbers import fmt, fmt_sig, fmt_signed
from facebridge.storage import atomic_write

Record = dict[str, Any]


def _pct(x: float) -> str:
    return fmt(100 * x, 1)


def _pair(run: Record) -> str:
    return f"{run['source']} → {run['target']}"


def _rank1_loss(run: Record) -> float:
    s = run["summary"]
    return 100 * (s["self"]["rank1"] - s["migrated_gallery"]["rank1"])


def _identification_table(runs: list[Record]) -> Table:
    rows = []
    for run in runs:
        s = run["summary"]
        rows.append(
            (
                _pair(run),
                run["method"],
                *(_pct(s[k]["rank1"]) for k in ("self", "migrated_gallery", "mapped_probes", "old")),
                fmt_signed(-_rank1_loss(run), 1),
                _pct(s["self"]["dir_open@0.01"]),
                _pct(s["migrated_gallery"]["dir_open@0.01"]),
            )
        )
    header = (
        "source → target", "method", "rank-1 self (B/B)", "rank-1 migrated A gallery / B probes",
        "rank-1 B gallery / mapped A probes", "rank-1 old (A/A)", "migrated − self (points)",
        "open-set DIR@FPIR 1e-2 self", "open-set DIR@FPIR 1e-2 migrated",
    )  # fmt: skip
    return Table(header, tuple(rows), caption="Mean over folds, in percent.")


def _drift_table(runs: list[Record]) -> Table:
    rows = []
    for run in runs:
        for far, modes in run["thresholds"].items():
            n, u, c = modes["native"], modes["uncalibrated"], modes["calibrated"]
            rows.append(
                (
                    _pair(run),
                    fmt_sig(float(far)),
                    f"{fmt_sig(n['far'])} / {_pct(n['tar'])}",
                    f"{fmt_sig(u['far'])} / {_pct(u['tar'])}",
                    f"{fmt_sig(c['far'])} / {_pct(c['tar'])}",
                    fmt(u["far"] / float(far), 2),
                    fmt(c["far"] / float(far), 2),
                    str(c["n_impostor"]),
                )
            )
    header = (
        "source → target", "target FAR", "native B: FAR / TAR %", "migrated, native threshold: FAR / TAR %",
        "migrated, calibrated: FAR / TAR %", "FAR ÷ target before", "FAR ÷ target after", "impostor pairs",
    )  # fmt: skip
    return Table(header, tuple(rows), caption="Pooled over the held-out folds.")


def upgrade_section(upgrade: Record | None, level: int = 2) -> list[Block]:
    """The section's blocks; none when the study has no upgrade results."""
    if not upgrade or not upgrade.get("pairs"):
        return []
    split, runs = upgrade["split"], upgrade["pairs"]
    fold = split["per_fold"][0]
    losses = sorted(((_rank1_loss(r), _pair(r)) for r in runs), reverse=True)
    worst_far = max(
        ((m["calibrated"]["far"] / float(f), _pair(r), f) for r in runs for f, m in r["thresholds"].items())
    )
    return [
        Heading(level, "Model upgrade"),
        Paragraph(
            f"1:N identification on {split['n_images']} images in {split['n_folds']} people-disjoint folds (seed "
            f"{split['seed']}): per fold one enrolled image per person plus the people with one image as distractors "
            f"(fold 1: {fold['gallery']} enrolled, {fold['distractor']} distractors), the other images as mated "
            f"probes ({fold['mated']}), and a share {split['open_fraction']:g} of the people not enrolled as "
            f"non-mated probes ({fold['nonmated']}). Each fold's map is fitted on the other folds' people only. "
            "Open-set DIR follows bob.measure; the operator's threshold gives the target FAR on native B scores of "
            "the training folds, the calibrated one the same FAR on cross scores of the training folds."
        ),
        _identification_table(runs),
        _drift_table(runs),
        Bullets(
            (
                f"Rank-1 lost by migrating the gallery: median {fmt(statistics.median(x for x, _ in losses), 2)} "
                f"points over {len(runs)} pairs; worst {losses[0][1]} ({fmt(losses[0][0], 2)} points).",
                f"After calibration the worst realised FAR is {fmt(worst_far[0], 2)}× its target "
                f"({worst_far[1]}, target {worst_far[2]}).",
            )
        ),
    ]


def write_upgrade_report(upgrade: Record, out_dir: str | os.PathLike[str]) -> Path:
    """Write the section alone as ``upgrade.md`` in ``out_dir``; returns its path."""
    path = Path(out_dir) / "upgrade.md"
    text = render_markdown(upgrade_section(upgrade, level=1))
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
