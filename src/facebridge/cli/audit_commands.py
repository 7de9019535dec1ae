"""``facebridge audit``: how many leaked pairs it takes to link face templates across systems (see
``facebridge.experiments.privacy.audit``), written as a standalone report."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from facebridge.cli.main import app
from facebridge.cli.options import check_workers, name_list
from facebridge.cli.outputs import check_outputs, out_option
from facebridge.errors import InvalidInputError

if TYPE_CHECKING:
    from facebridge.embeddings import EmbeddingSet

console = Console()

#: Most repetitions ``--seeds`` asks for: each one is a whole audit of every pair.
MAX_REPEATS = 100


def _int_list(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise InvalidInputError(f"--{what} must be comma-separated integers, got {text!r}") from None
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise InvalidInputError(f"--{what} must be distinct integers >= 0, got {text!r}")
    return tuple(sorted(values))


def _model_pairs(text: str, known: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        a, sep, b = item.partition(":")
        if not sep or a not in known or b not in known or a == b:
            raise InvalidInputError(f"--defence-pairs: {item!r} is not LEAKED:REFERENCE of two models in {known}")
        pairs.append((a, b))
    return pairs


def _sets(
    leaked: list[Path], reference: list[Path], store: Path | None, models: str | None
) -> tuple[dict[str, EmbeddingSet], list[tuple[str, str]]]:
    """Model name -> set, and the ordered pairs to audit."""
    from facebridge.embeddings import read_embeddings
    from facebridge.embeddings.store import store_models

    if store is not None:
        if leaked or reference:
            raise InvalidInputError("give either --store or --leaked/--reference, not both")
        if not store.is_dir():
            raise InvalidInputError(f"--store {store} is not a folder")
        names = (
            name_list(models, "--models")
            if models is not None
            else store_models(store)
        )
        sets = {n: read_embeddings(store / f"{n}.parquet") for n in names}
        return sets, [(a, b) for a in names for b in names if a != b]
    if not leaked or len(leaked) != len(reference):
        raise InvalidInputError("give --leaked and --reference the same number of times (one per pair), or --store")
    sets = {}
    pairs: list[tuple[str, str]] = []
    for a_path, b_path in zip(leaked, reference, strict=True):
        a, b = read_embeddings(a_path), read_embeddings(b_path)
        if a.fingerprint.model == b.fingerprint.model:
            raise InvalidInputError(f"{a_path} and {b_path} are both model {a.fingerprint.model!r}")
        sets[a.fingerprint.model], sets[b.fingerprint.model] = a, b
        pairs.append((a.fingerprint.model, b.fingerprint.model))
    return sets, pairs


@app.command()
def audit(
    out: Annotated[Path, out_option(help="Report folder (report.md, report.html, results.json, figures/).")],
    leaked: Annotated[list[Path], typer.Option(help="Leaked system A's embedding set (repeat, one per pair).")] = [],  # noqa: B006
    reference: Annotated[list[Path], typer.Option(help="Attacker's model B's set (repeat, one per --leaked).")] = [],  # noqa: B006
    store: Annotated[Path | None, typer.Option(help="Audit every ordered pair of the sets in this store.")] = None,
    models: Annotated[str | None, typer.Option(help="With --store: comma-separated models (default: all).")] = None,
    budgets: Annotated[str, typer.Option(help="Attacker's paired images k (0: unpaired alignment).")] = (
        "0,10,30,100,300,1000,3000"
    ),
    seeds: Annotated[
        int, typer.Option(min=1, max=MAX_REPEATS, help="Repetitions (seeds 0..N-1): splits, draws, alignment.")
    ] = 3,
    alpha: Annotated[
        float | None,
        typer.Option(min=0.0, help="A fixed ridge penalty for an affine attacker map (default: the upgrade's map "
                     "method, its penalty chosen by cross-validation over the attacker's own people)."),
    ] = None,
    evaluated_fraction: Annotated[float, typer.Option(help="Share of people with 2+ images who are victims.")] = 0.5,
    defences: Annotated[bool, typer.Option(help="Also measure template protections (needs the LFW pairs).")] = False,
    defence_pairs: Annotated[
        str | None, typer.Option(help="LEAKED:REFERENCE model pairs for --defences (default: the first pair).")
    ] = None,
    defence_budgets: Annotated[str, typer.Option(help="Budgets at which defences are attacked.")] = "100,1000",
    heatmap_k: Annotated[
        int | None,
        typer.Option(help="Budget of the heatmap over pairs (default: 100, else the budget closest to it).",
                     show_default=False),
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Data folder with lfw/pairs.txt (for --defences).")] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Threads; the pairs of one leaked model run on one (default: CPU count).")
    ] = os.cpu_count() or 1,
) -> None:
    """Link leaked templates of system A to identities in model B's gallery, for each budget of paired images.

    Finished pairs are kept in OUT/checkpoint, so an interrupted run resumes where it stopped."""
    from facebridge.cli.progress import stage_progress
    from facebridge.experiments.privacy.audit import AuditSettings
    from facebridge.experiments.privacy.audit_run import plan_budgets, run_audit
    from facebridge.paths import default_data_dir
    from facebridge.protocols import parse_lfw_pairs
    from facebridge.reports.privacy import write_audit_report

    check_outputs(folders={"--out": out})
    check_workers(workers)
    settings = AuditSettings(
        budgets=_int_list(budgets, "budgets"), seeds=tuple(range(seeds)), evaluated_fraction=evaluated_fraction
    )
    if alpha is not None:
        settings = dataclasses.replace(settings, map_method="affine_fixed", map_params={"alpha": alpha})
    settings.check()
    sets, pairs = _sets(leaked, reference, store, models)
    chosen = _model_pairs(defence_pairs, list(sets)) if defence_pairs else pairs[:1]
    settings, heatmap_k, budgets_of_defences, notes = plan_budgets(
        sets, pairs, settings, heatmap_k, chosen if defences else (), _int_list(defence_budgets, "defence-budgets")
    )
    for note in notes:
        console.print(f"note: {note}", highlight=False)
    protocol = parse_lfw_pairs(default_data_dir(data) / "lfw" / "pairs.txt") if defences else None
    with stage_progress(console, width=10) as progress:
        results = run_audit(
            sets,
            pairs,
            settings,
            protocol=protocol,
            defence_pairs=chosen if defences else (),
            defence_budgets=budgets_of_defences,
            heatmap_k=heatmap_k,
            progress=progress,
            checkpoint=out / "checkpoint",
            workers=workers,
        )
    for line in results["meta"]["warnings"]:
        console.print(line, highlight=False)
    written = write_audit_report(results, out)
    console.print(f"report: {out / 'report.html'} and {out / 'report.md'} ({len(written)} files)")
