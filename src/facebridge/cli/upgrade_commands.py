"""Model-upgrade commands: ``migrate`` a gallery into a new model's space, ``search`` probes in a gallery (1:N)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from facebridge.cli.cluster_options import SchedulerOpt, cluster_client
from facebridge.cli.main import app
from facebridge.cli.options import name_list, seed_option
from facebridge.cli.outputs import check_outputs, out_option, output_path

if TYPE_CHECKING:
    from facebridge.experiments.verification.evaluate import EvaluationResult
    from facebridge.protocols import PairList

console = Console()

#: Probes whose approximate hits are compared with exact search to report recall.
RECALL_SAMPLE = 1000


class Index(StrEnum):
    exact = "exact"
    hnsw = "hnsw"


@app.command()
def migrate(
    map_file: Annotated[Path, typer.Option("--map", help="Map file (.fbmap) from the gallery's model to the new one.")],
    gallery: Annotated[Path, typer.Option(help="Enrolled templates in the map's source space (.parquet).")],
    out: Annotated[Path, out_option(help="Migrated gallery to write (.parquet), in the map's target space.")],
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows mapped per chunk (memory is bounded by one).")] = 65536,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    scheduler: SchedulerOpt = None,
    adapt_source: Annotated[
        Path | None,
        typer.Option(help="Adapt without pairs, before the map: the deployment's old-model templates (e.g. the "
                     "gallery itself), aligned onto --adapt-reference."),
    ] = None,
    adapt_reference: Annotated[
        Path | None, typer.Option(help="The map's training inputs (old model), for --adapt-source.")
    ] = None,
    adapt_target: Annotated[
        Path | None,
        typer.Option(help="Adapt after the map: the deployment's new-model templates (recent probes of many people); "
                     "the move from --adapt-reference-target onto them is applied to the mapped gallery."),
    ] = None,
    adapt_reference_target: Annotated[
        Path | None, typer.Option(help="The map's training targets (new model), for --adapt-target.")
    ] = None,
    adapt_mode: Annotated[str, typer.Option(help="Adaptation: coral (mean and covariance) or centre.")] = "coral",
) -> None:
    """Convert an enrolled gallery to a new model without the photos: chunked, atomic and resumable.

    A killed run started again with the same options (with or without --scheduler) maps only the chunks it had not
    finished. With --adapt-source/--adapt-reference (before the map) and/or --adapt-target/--adapt-reference-target
    (after it) the migration is moved by the deployment's own template statistics (no pairs, no labels; recorded in
    the output's header); that run is one pass, not resumable.
    """
    from facebridge.maps.apply import transform_file

    out = output_path(out, ".parquet", force=force)
    extra = {"migrated_from": {"file": gallery.name}}
    if adapt_source or adapt_target or adapt_reference or adapt_reference_target:
        from facebridge.errors import InvalidInputError
        from facebridge.maps.apply_adapted import adapted_transform_file

        if scheduler:
            raise InvalidInputError("an adapted migration is one pass: drop --scheduler")
        loaded, n, record = adapted_transform_file(
            map_file, gallery, out, source=adapt_source, reference=adapt_reference, target=adapt_target,
            reference_target=adapt_reference_target, mode=adapt_mode, batch_rows=batch_rows, extra=extra,
        )  # fmt: skip
        sides = [f"{record[s]['n']} {record[s]['model']}" for s in ("source", "target") if s in record]
        console.print(
            f"migrated {n} {loaded.source.model} templates to {loaded.target.model}, adapted ({adapt_mode}) to "
            f"{' + '.join(sides)} deployment templates; wrote {out}",
            highlight=False,
        )
        return
    if scheduler:
        from facebridge.cluster import transform_distributed

        with cluster_client(scheduler) as client:
            loaded, n, reused = transform_distributed(
                client, map_file, gallery, out, batch_rows=batch_rows, extra=extra, progress=True
            )
    else:
        from facebridge.cli.progress import stage_progress

        with stage_progress(console) as progress:
            loaded, n, reused = transform_file(
                map_file, gallery, out, batch_rows=batch_rows, resume=True, extra=extra, progress=progress
            )
    resumed = f" ({reused} from an interrupted run)" if reused else ""
    console.print(
        f"migrated {n} {loaded.source.model} templates to {loaded.target.model} ({loaded.target_dim}-d){resumed}; "
        f"wrote {out}",
        highlight=False,
    )


@app.command()
def search(
    gallery: Annotated[Path, typer.Option(help="Gallery embedding set (.parquet, .npz, .csv).")],
    probes: Annotated[Path, typer.Option(help="Probe embedding set, in the gallery's space.")],
    out: Annotated[Path, out_option(help="Hits to write (.parquet): probe_id, rank, gallery_id, score.")],
    k: Annotated[int, typer.Option(min=1, help="Gallery entries returned per probe.")] = 10,
    index: Annotated[Index, typer.Option(help="exact (inner product = cosine) or hnsw (approximate).")] = Index.exact,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    old_gallery: Annotated[
        Path | None,
        typer.Option(help="During an upgrade: the gallery in the old model's space (same ids as --gallery, the "
                     "migrated one); with --old-probes, each side's scores are z-normalised and fused."),
    ] = None,
    old_probes: Annotated[
        Path | None, typer.Option(help="The probes embedded by the old model too (same ids as --probes).")
    ] = None,
) -> None:
    """Search every probe in the gallery by cosine similarity (FAISS); both sets must be in the same space.

    While both models run, --old-gallery and --old-probes fuse the old system's scores with the migrated
    gallery's (exact search; the score written is the fused z-score)."""
    import numpy as np

    from facebridge.embeddings import read_embeddings
    from facebridge.embeddings.search import check_same_space, recall_at_k, search_arrays, search_sets, write_hits
    from facebridge.errors import InvalidInputError

    if (old_gallery is None) != (old_probes is None):
        raise InvalidInputError("--old-gallery and --old-probes go together: give both to fuse, or neither")
    if old_gallery is not None and index is not Index.exact:
        raise InvalidInputError("fused search (--old-gallery) is exact; drop --index hnsw")
    out = output_path(out, ".parquet", force=force)
    g, p = read_embeddings(gallery), read_embeddings(probes)
    check_same_space(g, p)
    if old_gallery is not None and old_probes is not None:
        from facebridge.embeddings.fused_search import fused_search

        og, op = read_embeddings(old_gallery), read_embeddings(old_probes)
        write_hits(fused_search(g, p, og, op, k), out)
        console.print(
            f"searched {p.n} probes in {g.n} {g.fingerprint.model} templates fused with the old "
            f"{og.fingerprint.model} ones (z-normalised per side, k={k}); wrote {out}",
            highlight=False,
        )
        return
    hits = search_sets(g, p, k, index.value)
    write_hits(hits, out)
    line = f"searched {p.n} probes in {g.n} {g.fingerprint.model} templates ({index.value}, k={k}); wrote {out}"
    if index is not Index.exact:
        sample = p.vectors[np.random.default_rng(0).permutation(p.n)[:RECALL_SAMPLE]]
        _, exact = search_arrays(g.vectors, sample, k)
        _, approx = search_arrays(g.vectors, sample, k, index.value)
        line += f"; recall@{k} against exact {recall_at_k(approx, exact):.4f} on {len(sample)} probes"
    console.print(line, highlight=False)


@app.command()
def upgrade(
    models: Annotated[str, typer.Option("--models", "--model", help="Two or more models; every ordered pair.")],
    out: Annotated[Path, out_option(help="Folder for upgrade.json, upgrade.md and upgrade.html.")],
    store: Annotated[Path | None, typer.Option(help="Embedding store folder (<model>.parquet per model).")] = None,
    method: Annotated[
        str | None,
        typer.Option(help="Map method (facebridge.maps registry name); default: the one chosen on LFW View 1 people."),
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="People-disjoint identification folds.")] = 5,
    seed: Annotated[int, seed_option("Seed of the identification split.")] = 0,
    images: Annotated[
        Path | None,
        typer.Option(help="Your own photos (a subfolder per person): embed them and recommend migrate or re-enrol "
                     "for --models OLD,NEW."),
    ] = None,
    store_photos: Annotated[
        Path | None, typer.Option(help="A store of your own photos (from embed --images), instead of --images.")
    ] = None,
    far: Annotated[float, typer.Option(help="Your target FAR: the calibrated threshold is given for it.")] = 1e-3,
    tolerance: Annotated[
        float, typer.Option(help="Rank-1 points you accept to lose; above it, the answer is re-enrol.")
    ] = 1.0,
    candidates: Annotated[str, typer.Option(help="Map methods compared on your photos, comma-separated.")] = (
        "affine,kernel"
    ),
    adapt: Annotated[
        str, typer.Option(help="Adaptations compared on your photos (experiments.upgrade.adaptation.ADAPTATIONS).")
    ] = "none,coral-after",
    reference: Annotated[
        Path | None, typer.Option(help="A store of another collection (e.g. LFW) added to every fold's map fit.")
    ] = None,
    models_dir: Annotated[
        Path | None, typer.Option(help="Weights folder for --images (default: $FACEBRIDGE_MODELS, ../shared/models).")
    ] = None,
) -> None:
    """Model upgrade on a store: 1:N rank-1 and DIR of a migrated gallery against a re-enrolled one, and the FAR
    drift of the native threshold before and after calibration, for every ordered model pair.

    With --images (or --store-photos): the operator's answer on their own photos for OLD -> NEW: the expected rank-1
    loss of each method with a 95% interval, the calibrated threshold for --far, and migrate-or-re-enrol.
    """
    import itertools
    import json

    from facebridge.cli.progress import stage_progress
    from facebridge.embeddings import read_embeddings
    from facebridge.errors import InvalidInputError
    from facebridge.experiments.upgrade.study import UPGRADE_METHOD, far_warnings, upgrade_study
    from facebridge.maps import make_map, map_class
    from facebridge.reports.study_report import results_json
    from facebridge.reports.upgrade import write_upgrade_report
    from facebridge.storage import atomic_write

    check_outputs(folders={"--out": out})
    names = name_list(models, "--models")
    if len(names) < 2:
        raise InvalidInputError(f"--models needs two or more models, got {models!r}")
    if images is not None or store_photos is not None:
        from facebridge.cli.upgrade_photos import answer_on_photos

        answer_on_photos(
            names, out, images=images, store=store_photos, far=far, tolerance=tolerance, candidates=candidates,
            adapt=adapt, reference=reference, folds=folds, seed=seed, models_dir=models_dir, console=console,
        )  # fmt: skip
        return
    if store is None:
        raise InvalidInputError("give --store (the study on a store), or --images / --store-photos (your photos)")
    method = method or UPGRADE_METHOD
    map_class(method)  # an unknown method fails before any work
    sets = {m: read_embeddings(store / f"{m}.parquet") for m in names}
    pairs = list(itertools.permutations(names, 2))
    with stage_progress(console) as progress:
        results = upgrade_study(
            sets, pairs, lambda: make_map(method), method=method, n_folds=folds, seed=seed, progress=progress
        )
    results["warnings"] = far_warnings(results)
    text = results_json(results)
    atomic_write(out / "upgrade.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    md, html = write_upgrade_report(results, out)
    for run in results["pairs"]:
        s, t = run["summary"], run["thresholds"]["0.001"]
        console.print(
            f"{run['source']} -> {run['target']}: rank-1 self {100 * s['self']['rank1']:.2f}, old "
            f"{100 * s['old']['rank1']:.2f}, migrated gallery {100 * s['migrated_gallery']['rank1']:.2f}, fused "
            f"with the old {100 * s['fused']['rank1']:.2f}; FAR at 1e-3 target: {t['uncalibrated']['far']:.2e} "
            f"before, {t['calibrated']['far']:.2e} after calibration",
            highlight=False,
        )
    for line in results["warnings"]:
        console.print(line, highlight=False)
    n_images = json.loads(text)["split"]["n_images"]
    console.print(f"wrote {out / 'upgrade.json'}, {md} and {html} ({n_images} images)")


SCORES_HELP = (
    "Write every pair's score here in bob's 5-column format (claimed_id model_label real_id probe_label score: "
    "people, then image ids; whitespace in them percent-encoded), pyeer's "
    "<stem>_genuine.txt / <stem>_impostor.txt beside it, and print TAR at every FAR the impostors support."
)


def write_scores(out: Console, pairs: PairList, result: EvaluationResult, path: Path) -> None:
    """``evaluate --scores``: the score files and the TAR@FAR table from 1e-1 down."""
    from facebridge.errors import InvalidInputError
    from facebridge.protocols.score_files import tar_at_far_table, write_score_files

    if result.scores is None:
        raise InvalidInputError("this evaluation kept no per-pair scores to write")
    written = write_score_files(pairs, result.scores, path)
    for row in tar_at_far_table(result.verification.roc):
        out.print(
            f"TAR@FAR {row['far']:g}: {100 * row['tar']:.2f}% (at most {row['false_accepts_allowed']} false accepts)",
            highlight=False,
        )
    out.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)
