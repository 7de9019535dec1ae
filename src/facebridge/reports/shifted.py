"""The shifted-domain protocol's report: per model pair and variant, the 1:1 penalty and 1:N rank-1 loss of each
adaptation, and their ratio to the clean variant's unadapted value (goal: at most 1.5x)."""

from __future__ import annotations

from typing import Any

from facebridge.reports.document import Heading, Paragraph, Table, render_markdown
from facebridge.reports.numbers import fmt

#: The protocol's goal: a penalty or loss on corrupted faces at most this many times its clean value.
GOAL_RATIO = 1.5


def shifted_table(run: dict[str, Any], adaptations: list[str]) -> Table:
    """One pair's rows: variant x adaptation -> penalty, loss (points) and their ratios to clean/none."""
    rows = []
    for variant, scored in run["variants"].items():
        ver, ide = scored["verification"], scored["identification"]
        for ad in adaptations:
            ratio = run["ratio"][variant][ad]
            rows.append(
                (
                    variant,
                    ad,
                    fmt(100 * ver["native_accuracy"]),
                    fmt(ver["penalty"][ad]),
                    fmt(ratio["penalty"]),
                    fmt(100 * ide["rank1_re_enrolled"]),
                    fmt(100 * ide["rank1_migrated"][ad]),
                    fmt(ide["loss"][ad]),
                    fmt(ratio["loss"]),
                )
            )
    header = (
        "variant",
        "adaptation",
        "1:1 native acc %",
        "1:1 penalty (pts)",
        "x clean",
        "rank-1 re-enrolled %",
        "rank-1 migrated %",
        "rank-1 loss (pts)",
        "x clean",
    )
    return Table(header, tuple(rows), caption=f"{run['source']} -> {run['target']} ({run['method']})")


def shifted_markdown(results: dict[str, Any]) -> str:
    """The report as Markdown."""
    s = results["split"]
    blocks: list[Any] = [
        Heading(1, "Shifted-domain protocol"),
        Paragraph(
            f"Maps fitted on {s['n_fit_images_used']} clean images of the fitting half ({s['n_fit_people']} people); "
            f"scored on {s['n_eval_images_scored']} evaluation-half images, people-disjoint from the fitting half, "
            f"clean and through each corruption; {results['pairs_1to1']['n']} 1:1 pairs "
            f"({results['pairs_1to1']['n_genuine']} genuine) in {results['pairs_1to1']['n_folds']} folds; "
            f"{len(results['identification'])} identification folds. 'x clean' divides by the clean variant's "
            f"unadapted value (goal: at most {GOAL_RATIO}x)."
        ),
    ]
    for run in results["runs"]:
        blocks.append(shifted_table(run, results["adaptations"]))
    return render_markdown(blocks)
