"""Rich renderings of API results for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from facebridge.experiments import EvaluationResult
from facebridge.experiments.shared.advice import fit_size_warnings
from facebridge.experiments.verification.native import NativeRow

#: The penalty's sign, as the study and its report use it: accuracy lost by mapping, > 0 for a loss.
PENALTY_DEFINITION = "native accuracy - mapped accuracy, in points (> 0: the map loses accuracy)"


def penalty_points(native: EvaluationResult, mapped: EvaluationResult) -> float:
    """The study's penalty: ``native``'s mean accuracy minus ``mapped``'s, in points (a loss is positive)."""
    return 100 * (native.verification.mean - mapped.verification.mean)


def evaluation_table(result: EvaluationResult, native: EvaluationResult | None = None) -> Table:
    """One table: accuracy per fold, then the summary metrics; with ``native`` (the target alone on the same
    pairs), the map's penalty against it."""
    v = result.verification
    what = result.target if result.mode == "native" else f"{result.source} -> {result.target} ({result.method})"
    table = Table(title=f"{result.protocol}: {what}, mode {result.mode}, {result.metric}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, acc in enumerate(v.fold_accuracy):
        table.add_row(f"fold {k + 1} accuracy", f"{100 * acc:.2f}%")
    table.add_row("[bold]mean accuracy[/bold]", f"[bold]{100 * v.mean:.2f}% ± {100 * v.std:.2f}[/bold]")
    table.add_row("AUC", f"{v.auc:.4f}")
    table.add_row("EER", f"{100 * v.eer:.2f}%")
    for far, tar in v.tar_at_far.items():
        table.add_row(f"TAR @ FAR {far:g}", f"{100 * tar:.2f}%")
    table.add_row("pairs (genuine / impostor)", f"{v.n_genuine} / {v.n_impostor}")
    if native is not None:
        nv = native.verification
        table.add_row(f"native {native.target} accuracy", f"{100 * nv.mean:.2f}% ± {100 * nv.std:.2f}")
        penalty = penalty_points(native, result)
        table.add_row("[bold]penalty vs native[/bold] (native - mapped)", f"[bold]{penalty:+.2f} points[/bold]")
        for far, tar in v.tar_at_far.items():
            table.add_row(f"TAR @ FAR {far:g} lost vs native", f"{100 * (nv.tar_at_far[far] - tar):+.2f} points")
    if result.n_train:
        table.add_row("training images per fold", f"{min(result.n_train)}-{max(result.n_train)}")
    return table


def print_evaluation(console: Console, result: EvaluationResult, native: EvaluationResult | None = None) -> None:
    """The table of :func:`evaluation_table`, then each note on its own line (they can be long)."""
    console.print(evaluation_table(result, native))
    for note in result.notes:
        console.print(note if note.startswith("warning:") else f"note: {note}", highlight=False)


def warn_fit_size(n_images: int, n_people: int, source_dim: int, console: Console | None = None) -> None:
    """Print :func:`fit_size_warnings` for a map fitted on ``n_images`` images of ``n_people`` people."""
    for line in fit_size_warnings(n_images, n_people, source_dim):
        (console or Console(stderr=True)).print(line, highlight=False)


def native_summary(rows: list[NativeRow]) -> Table:
    """The terminal view of ``native``'s Markdown: cosine accuracy, TAR@FAR=1e-3 and fallbacks, 80 columns wide."""
    table = Table(title="native LFW View 2 accuracy (cosine, %)")
    for col in ("model", "detector", "accuracy", "TAR@1e-3", "fallback"):
        table.add_column(col, justify="left" if col in ("model", "detector") else "right")
    for row in sorted(rows, key=lambda r: (r.model, r.detector)):
        cos = row.results["cosine"]
        table.add_row(
            row.model,
            row.detector,
            f"{100 * cos.mean:.2f} ± {100 * cos.std:.2f}",
            f"{100 * cos.tar_at_far[1e-3]:.2f}",
            str(row.n_fallback),
        )
    return table
