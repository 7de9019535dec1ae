"""CLI commands; each parses options, calls the API and prints its result."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from facebridge.cli.main import app
from facebridge.cli.map_commands import (
    Method,
    NormOpt,
    RankOpt,
    ShrinkOpt,
    View,
    build_map,
    method_defaults,
    target_view,
)
from facebridge.cli.options import seed_option
from facebridge.cli.outputs import check_outputs, out_option
from facebridge.cli.render import PENALTY_DEFINITION, native_summary, penalty_points, print_evaluation
from facebridge.cli.upgrade_commands import SCORES_HELP, write_scores
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps.views import WHITEN_SHRINK
from facebridge.protocols.ytf import VIDEO_AGGREGATION

if TYPE_CHECKING:
    from facebridge.embeddings import EmbeddingSet
    from facebridge.maps import MapFile
    from facebridge.protocols import PairList

console = Console()


class Protocol(StrEnum):
    lfw = "lfw"
    ytf = "ytf"
    pairs = "pairs"


class Mode(StrEnum):
    native = "native"
    cross = "cross"
    both = "both"


class Metric(StrEnum):
    cosine = "cosine"
    euclidean = "euclidean"


class Pool(StrEnum):
    people = "people"
    pairs = "pairs"


AlphaOpt = Annotated[
    float | None,
    typer.Option(
        help=f"Fixed ridge penalty (affine chooses its own by cross-validation over people). "
        f"[default: {method_defaults('alpha', '-', {'affine': 'cv'})}]",
        show_default=False,
    ),
]
DataOpt = Annotated[
    Path | None, typer.Option(help="Data folder (default: $FACEBRIDGE_DATA, ../shared/data, what data fetch got).")
]


class FoldsBy(StrEnum):
    people = "people"
    pairs = "pairs"


def _load_protocol(
    protocol: Protocol,
    pairs: Path | None,
    data: Path | None,
    n_folds: int,
    seed: int,
    folds_by: FoldsBy = FoldsBy.people,
    images: Path | None = None,
) -> PairList:
    from facebridge.paths import default_data_dir
    from facebridge.protocols import parse_lfw_pairs, parse_pairs_csv, parse_ytf_splits

    if pairs is None:
        if protocol is Protocol.pairs:
            raise InvalidInputError("--protocol pairs needs --pairs FILE (CSV: path1,path2,same[,fold])")
        root = default_data_dir(data)
        pairs = root / ("lfw/pairs.txt" if protocol is Protocol.lfw else "ytf/splits.txt")
    if protocol is Protocol.lfw:
        return parse_lfw_pairs(pairs)
    if protocol is Protocol.ytf:
        return parse_ytf_splits(pairs)
    return parse_pairs_csv(pairs, n_folds=n_folds, seed=seed, folds_by=folds_by.value, root=images)


def _read_set(path: Path, protocol: Protocol, how: str) -> EmbeddingSet:
    from facebridge.embeddings import read_embeddings
    from facebridge.protocols import video_embeddings

    es = read_embeddings(path)
    if protocol is Protocol.ytf and es.n and es.ids[0].count("/") >= 2:
        es = video_embeddings(es, how=how)
    return es


def _drop_left_out(pair_list: PairList, sets: list[tuple[Path, EmbeddingSet]]) -> PairList:
    """``pair_list`` without the pairs whose images a set's store records as not embedded (no face, unreadable)."""
    from facebridge.embeddings.store import STATUS_FILE, left_out_images

    for path, es in sets:
        known = set(es.ids)
        missing = [i for i in pair_list.ids() if i not in known]
        if missing:
            left_out = left_out_images(path.parent, missing)
            pair_list = pair_list.without_images(left_out, str(path.parent / STATUS_FILE)) if left_out else pair_list
    return pair_list


@app.command()
def evaluate(
    target: Annotated[Path, typer.Option(help="Target embedding set (the gallery's model).")],
    protocol: Annotated[Protocol, typer.Option(help="Verification protocol.")] = Protocol.lfw,
    pairs: Annotated[Path | None, typer.Option(help="Pairs file (default: the protocol's file under --data).")] = None,
    data: DataOpt = None,
    source: Annotated[Path | None, typer.Option(help="Source embedding set (cross / both modes).")] = None,
    map_file: Annotated[Path | None, typer.Option("--map", help="A fitted map file to apply.")] = None,
    fit_method: Annotated[Method | None, typer.Option("--fit", help="Fit this map per fold instead.")] = None,
    mode: Annotated[Mode, typer.Option(help="native (B vs B), cross (mapped A vs B), both (mapped A vs mapped A).")] = (
        Mode.native
    ),
    metric: Annotated[Metric, typer.Option(help="Similarity.")] = Metric.cosine,
    view: Annotated[
        View | None,
        typer.Option(help="Score in this target-space view, fitted per fold on the training folds' people only "
                     "(default: the view a --map file carries, applied as fitted; else plain)."),
    ] = None,
    pool: Annotated[Pool, typer.Option(help="Training pool for --fit.")] = Pool.people,
    alpha: AlphaOpt = None,
    shrink: ShrinkOpt = WHITEN_SHRINK,
    rank: RankOpt = None,
    normalize: NormOpt = True,
    video: Annotated[
        str, typer.Option(help="YTF video embedding: mean or mean_normalized (the study's, the default).")
    ] = VIDEO_AGGREGATION,
    folds: Annotated[int, typer.Option(help="Folds to assign for a pairs CSV without a fold column.")] = 10,
    folds_by: Annotated[
        FoldsBy,
        typer.Option(help="Pairs CSV without folds: people (people-disjoint if the pairs allow, else each pair in "
                     "its first image's person's fold) or pairs (at random)."),
    ] = FoldsBy.people,
    images: Annotated[
        Path | None,
        typer.Option(help="The --images folder the CSV's ids are relative to (lets ids start with it or be absolute)."),
    ] = None,
    seed: Annotated[int, seed_option("Seed for fold assignment.")] = 0,
    json_out: Annotated[Path | None, out_option("--json", help="Write every figure to this JSON file.")] = None,
    scores_out: Annotated[Path | None, out_option("--scores", help=SCORES_HELP)] = None,
    report: Annotated[
        Path | None,
        out_option("--report", help="Write a report folder: report.md, a self-contained report.html and its ROC/DET "
                   "figure, the answer first."),
    ] = None,
) -> None:
    """Evaluate the target natively, or a source->target map, on a verification protocol."""
    from facebridge.experiments import evaluate as run_evaluation
    from facebridge.maps import load_map
    from facebridge.storage import atomic_write

    check_outputs(files={"--json": json_out, "--scores": scores_out}, folders={"--report": report})
    pair_list = _load_protocol(protocol, pairs, data, folds, seed, folds_by, images)
    tgt = _read_set(target, protocol, video)
    src = _read_set(source, protocol, video) if source is not None else None
    named_sets = [(target, tgt)] if source is None or src is None else [(target, tgt), (source, src)]
    pair_list = _drop_left_out(pair_list, named_sets)
    fit_factory, fitted, carried = None, None, None
    if mode is not Mode.native:
        if src is None or (map_file is None) == (fit_method is None):
            raise InvalidInputError(f"--mode {mode.value} needs --source and exactly one of --map or --fit")
        if map_file is not None:
            loaded = load_map(map_file, expected_source=src.fingerprint, expected_dim=src.dim)
            _check_map_target(loaded, tgt, map_file)
            fitted = loaded.estimator
            carried = loaded.view if view is None else None
        elif fit_method is not None:  # always, after the check above
            method = fit_method.value
            build_map(method, alpha, rank, normalize)  # a bad option fails before any work
            fit_factory = lambda: build_map(method, alpha, rank, normalize)  # noqa: E731
    elif source is not None or map_file is not None or fit_method is not None:
        raise InvalidInputError("--mode native evaluates --target alone; use --mode cross or both with a map")
    views = None if view in (None, View.plain) else lambda: target_view(view, shrink)
    result = run_evaluation(
        pair_list,
        tgt,
        source=src,
        mode=mode.value,
        fit=fit_factory,
        fitted=fitted,
        metric=metric.value,
        pool=pool.value,
        view=views,
        fitted_view=carried,
    )
    native = (
        None
        if mode is Mode.native
        else run_evaluation(pair_list, tgt, metric=metric.value, view=views, fitted_view=carried)
    )
    print_evaluation(console, result, native)
    if scores_out is not None:
        write_scores(console, pair_list, result, scores_out)
    payload = result.to_dict(roc=True)
    if native is not None:
        payload["native"] = native.verification.to_dict(roc=True)
        payload["penalty_points"] = penalty_points(native, result)
        payload["penalty_definition"] = PENALTY_DEFINITION
    if json_out is not None:
        text = json.dumps(payload, indent=2)
        atomic_write(json_out, lambda tmp: tmp.write_text(text))
        console.print(f"wrote {json_out}")
    if report is not None:
        from facebridge.reports.evaluation import write_evaluation_report

        written = write_evaluation_report(payload, report)
        console.print(f"report: {written['report.html']} and {written['report.md']}")


def _check_map_target(loaded: MapFile, target: EmbeddingSet, map_file: Path) -> None:
    """MismatchError unless ``target`` (the set scored against) is in the space ``loaded`` maps into."""
    want, got = loaded.target, target.fingerprint
    if not want.same_space(got) or loaded.target_dim != target.dim:
        raise MismatchError(
            f"{map_file}: map outputs {want.model} ({loaded.target_dim}-d, weights "
            f"{want.weights_sha256[:12] or 'unknown'}), but --target is {got.model} ({target.dim}-d, weights "
            f"{got.weights_sha256[:12] or 'unknown'})"
        )


ModelsDirOpt = Annotated[
    Path | None,
    typer.Option("--models-dir", help="Weights folder (default: $FACEBRIDGE_MODELS, ../shared/models, user cache)."),
]


@app.command()
def native(
    store: Annotated[
        list[Path], typer.Option(metavar="<dir>", help="Embedding store folder; repeat for several.")
    ],
    out: Annotated[Path, out_option(help="Markdown table to write (e.g. docs/native_lfw.md).")],
    models: Annotated[
        str | None,
        typer.Option("--model", "--models", help="Comma-separated models (default: every set in the store)."),
    ] = None,
    data: DataOpt = None,
    json_out: Annotated[Path | None, out_option("--json", help="Also write every figure to this JSON file.")] = None,
) -> None:
    """Native LFW View 2 accuracy of every model in the stores, as a Markdown table beside the references."""
    from facebridge.experiments.verification.native import native_accuracy
    from facebridge.extraction.extract import model_names
    from facebridge.reports.native import native_table
    from facebridge.storage import atomic_write

    check_outputs(files={"--out": out, "--json": json_out})
    names = model_names(models) if models is not None else None
    pair_list = _load_protocol(Protocol.lfw, None, data, 10, 0)
    rows = native_accuracy(pair_list, store, names)
    command = "facebridge native " + " ".join(f"--store {s}" for s in store) + (f" --models {models}" if models else "")
    command += f" --out {out}" + (f" --json {json_out}" if json_out is not None else "")
    table = native_table(rows, protocol="LFW View 2", command=command)
    atomic_write(out, lambda tmp: tmp.write_text(table))
    if json_out is not None:
        payload = json.dumps([r.to_dict() for r in rows], indent=2)
        atomic_write(json_out, lambda tmp: tmp.write_text(payload))
    console.print(native_summary(rows))
    console.print(f"wrote {out} (every metric, references and the command)", highlight=False)
