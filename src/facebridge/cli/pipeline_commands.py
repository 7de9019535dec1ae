"""The pipeline's commands: ``embed`` (images -> a store of embeddings) and ``reproduce`` (the whole study from
images to its report)."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from facebridge.cli.cluster_options import SchedulerOpt, cluster_executor
from facebridge.cli.commands import DataOpt, ModelsDirOpt, console
from facebridge.cli.main import app
from facebridge.cli.options import check_workers, seed_option
from facebridge.cli.outputs import check_outputs, out_option
from facebridge.errors import InvalidInputError


class NoFace(StrEnum):
    centre = "centre"
    skip = "skip"
    error = "error"


ModelsOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "--models",
        help="Model name(s) or spec file(s) (.toml), comma-separated, or 'all' (see 'facebridge models').",
    ),
]


@app.command()
def embed(
    out: Annotated[Path, out_option(help="Store folder: one Parquet embedding set per model.")],
    model: ModelsOpt = None,
    images: Annotated[
        Path | None, typer.Option(help="Folder of images; an image's id is its path relative to it: Person/x.jpg.")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="A known dataset instead of --images: lfw.")] = None,
    data: DataOpt = None,
    detector: Annotated[
        str, typer.Option(help="Face detector: yunet, dlib-hog, or a fallback chain such as dlib-hog+yunet.")
    ] = "yunet",
    no_face: Annotated[
        NoFace | None,
        typer.Option(help="No face found: embed the centre region, skip the image, or stop. [default: centre for "
                     "--dataset lfw, skip for --images]"),
    ] = None,
    min_face: Annotated[
        int | None, typer.Option(min=1, help="Ignore faces smaller than this many pixels (box's shorter side).")
    ] = None,
    models_dir: ModelsDirOpt = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Images per atomic chunk.")] = 256,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N images (sorted).")] = None,
    ids: Annotated[
        Path | None, typer.Option(help="Only the images listed in this file (one id a line, e.g. Person/x.jpg).")
    ] = None,
    corrupt: Annotated[
        str | None,
        typer.Option(help="Pass every image through a camera corruption first, NAME:LEVEL (downscale, jpeg, "
                     "grayscale, blur, exposure, noise; levels 1-3): the shifted-domain protocol's variants; or "
                     "'flip' (the mirror image: more corresponding pairs for fitting maps)."),
    ] = None,
    corrupt_seed: Annotated[int, typer.Option(help="Seed of the random corruptions (noise).")] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes for embedding (default: CPU count).")] = (
        os.cpu_count() or 1
    ),
    json_out: Annotated[Path | None, out_option("--json", help="Also write the run's summary to this JSON file.")] = (
        None
    ),
    wait: Annotated[bool, typer.Option(help="Wait for another run on the same store instead of stopping.")] = False,
    repair: Annotated[bool, typer.Option(help="Drop unreadable store files (truncated parts) and redo their work.")] = (
        False
    ),
    scheduler: SchedulerOpt = None,
) -> None:
    """Detect, align and embed images with one or more models into a resumable store.

    Of several faces in an image the largest, most central one is used; see --no-face for images with none.
    """
    from facebridge.cli.embed_progress import EmbedProgress, left_out_line, summary_line
    from facebridge.extraction.extract import embed_folder, model_names
    from facebridge.images.listing import IMAGE_SUFFIXES, other_files
    from facebridge.paths import default_data_dir
    from facebridge.storage import atomic_write

    check_outputs(files={"--json": json_out}, folders={"--out": out})
    check_workers(workers)
    if (images is None) == (dataset is None):
        raise InvalidInputError("give exactly one of --images DIR or --dataset lfw")
    if dataset is not None and dataset != "lfw":
        raise InvalidInputError(f"unknown dataset {dataset!r}; known: lfw (or use --images DIR)")
    from facebridge.images.corruptions import parse_corruption
    from facebridge.protocols.id_lists import read_id_list

    corruption = parse_corruption(corrupt, corrupt_seed) if corrupt is not None else None
    wanted = read_id_list(ids) if ids is not None else None
    names = model_names("all" if model is None else model)  # checked before any progress bar is drawn
    if model is None:
        console.print(f"no --model given: embedding with all {len(names)} models ({', '.join(names)})", highlight=False)
    root = images if images is not None else default_data_dir(data) / "lfw" / "images"
    rule = no_face or (NoFace.centre if dataset is not None else NoFace.skip)
    with cluster_executor(scheduler) as (executor, n_workers), EmbedProgress(console) as bar:
        summary = embed_folder(
            out,
            names,
            root,
            detector=detector,
            models_dir=models_dir,
            chunk_size=chunk_size,
            workers=n_workers or workers,
            limit=limit,
            ids=wanted,
            no_face=rule.value,
            min_face=min_face,
            corrupt=corruption,
            wait=wait,
            repair=repair,
            executor=executor,
            on_start=bar.start,
            progress=bar.advance,
        )
    console.print(summary_line(summary, rule.value), highlight=False)
    if (left_out := left_out_line(summary, out)) is not None:
        console.print(left_out, highlight=False)
    others = other_files(root)
    if others:
        console.print(
            f"{len(others)} other files not embedded: not an image suffix ({', '.join(sorted(IMAGE_SUFFIXES))}), "
            f"e.g. {others[0]}",
            highlight=False,
        )
    if json_out is not None:
        payload = json.dumps(summary.to_dict(), indent=2)
        atomic_write(json_out, lambda tmp: tmp.write_text(payload))


@app.command()
def reproduce(
    data: DataOpt = None,
    models: Annotated[
        str | None, typer.Option("--model", "--models", help="Comma-separated models (default: every model found).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="Fewer sizes, draws and ranks: a few minutes once embeddings exist.")] = (
        False
    ),
    out: Annotated[Path | None, out_option(help="Report folder (default: reports/lfw-study[-quick]).")] = None,
    store: Annotated[Path, typer.Option(help="Embedding store, reused and completed.")] = Path("store/lfw-yunet"),
    ytf: Annotated[
        Path | None, typer.Option(help="YouTube Faces aligned_images_DB (or its parent): adds the YTF tables.")
    ] = None,
    seed: Annotated[
        int, seed_option("Seed for sample-size draws, seeded methods and the upgrade's identification split.")
    ] = 0,
    models_dir: ModelsDirOpt = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Processes for embedding, and the study's threads (default: CPU count).")
    ] = os.cpu_count() or 1,
    privacy: Annotated[
        bool, typer.Option(help="Also run the privacy audit of every pair (a section and OUT/privacy/).")
    ] = True,
    upgrade: Annotated[
        bool, typer.Option(help="Also run the model-upgrade study of every ordered pair (1:N search, FAR drift).")
    ] = True,
    scheduler: SchedulerOpt = None,
) -> None:
    """Reproduce the study: native accuracy, penalty matrix, sample size, rank, modes, privacy, model upgrade;
    writes a report."""
    import time

    from facebridge.cli.progress import stage_progress
    from facebridge.experiments.reproduce import ReproduceInputs
    from facebridge.experiments.reproduce import reproduce as run_reproduce
    from facebridge.extraction.extract import model_names
    from facebridge.paths import default_data_dir
    from facebridge.reports import write_study_report
    from facebridge.reports.privacy import write_audit_report

    started = time.perf_counter()
    check_workers(workers)
    target = out or Path("reports") / ("lfw-study-quick" if quick else "lfw-study")
    check_outputs(folders={"--out": target})
    checkpoint = target / "privacy" / "checkpoint"
    names = model_names(models) if models is not None else None  # spec files are registered here
    upgrade_checkpoint = target / "upgrade" / "checkpoint"
    # with --scheduler, the embedding tasks run on the cluster; the study itself runs here
    with cluster_executor(scheduler) as (executor, n_workers), stage_progress(console) as progress:
        inputs = ReproduceInputs(
            default_data_dir(data), store, models_dir, ytf, None, n_workers or workers, checkpoint,
            upgrade_checkpoint, executor, target / "stages.json",
        )  # fmt: skip
        results = run_reproduce(
            inputs, models=names, quick=quick, seed=seed, privacy=privacy, upgrade=upgrade, progress=progress
        )
    written = write_study_report(results.to_dict(), target)
    if results.privacy is not None:
        written |= {f"privacy/{k}": v for k, v in write_audit_report(results.privacy, target / "privacy").items()}
    console.print(f"report: {target / 'report.html'} and {target / 'report.md'} ({len(written)} files)")
    console.print(duration_line(results.meta, time.perf_counter() - started), highlight=False)


def duration_line(meta: dict, wall_s: float) -> str:
    """The command's last line: the stage times' total (the report's figure) and this invocation's wall time."""
    resumed = meta["invocations"] > 1
    over = f" over {meta['invocations']} invocations (resumed)" if resumed else ""
    return f"reproduce: stage times {meta['duration_s']:.0f} s in all{over}; this invocation's wall time {wall_s:.0f} s"
