"""Rich renderings of API results for the terminal."""

from __future__ import annotations

from rich.table import Table

from facebridge.experiments import EvaluationResult


def evaluation_table(result: EvaluationResult) -> Table:
    """One table: accuracy per fold, then the summary metrics."""
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
    if result.n_train:
        table.add_row("training images per fold", f"{min(result.n_train)}-{max(result.n_train)}")
    for note in result.notes:
        table.add_row("note", note)
    return table
