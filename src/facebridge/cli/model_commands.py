"""``facebridge models``: list the known models, and ``models add`` to bring an own ONNX network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from facebridge.cli.commands import DataOpt, ModelsDirOpt, console
from facebridge.cli.main import app
from facebridge.cli.outputs import check_outputs, out_option

if TYPE_CHECKING:
    from facebridge.extraction.face_check import FaceCheck, ImagePair
    from facebridge.models import EmbeddingModel

models_app = typer.Typer(
    help="The known models (built-in and your own); 'models add' brings an ONNX model.",
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(models_app, name="models")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


@models_app.callback(invoke_without_command=True)
def list_models(ctx: typer.Context, models_dir: ModelsDirOpt = None) -> None:
    """List the models: dim, runtime, alignment, reference accuracy, and whether the weights check out."""
    if ctx.invoked_subcommand is not None:
        return
    from rich import box
    from rich.table import Table

    from facebridge.models import list_specs, missing_weights, resolve_models_dir, weights_status
    from facebridge.models.detectors import YUNET, YUNET_LICENCE, YUNET_SOURCE
    from facebridge.models.registry import USER_SPECS_ENV, user_specs_dir

    root = resolve_models_dir(models_dir)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("name", "dim", "runtime", "align", "LFW ref", "paper", "weights"):
        table.add_column(col, no_wrap=True)
    specs = list_specs()
    status = {spec.name: weights_status(spec, root) for spec in specs}
    for spec in specs:
        table.add_row(
            spec.name,
            str(spec.dim),
            spec.runtime,
            spec.alignment,
            _pct(spec.reference_lfw),
            _pct(spec.published_lfw),
            status[spec.name],
        )
    console.print(table)
    console.print(f"weights: {root}", highlight=False)
    console.print(
        f"your own models (facebridge models add): {user_specs_dir()}; set ${USER_SPECS_ENV} to use another folder "
        "(or models add --folder DIR, then --model DIR/NAME.toml)",
        highlight=False,
    )
    for spec in specs:
        console.print(
            f"[bold]{spec.name}[/bold]: {spec.description} Source: {spec.source}. Licence: {spec.licence or '-'}.",
            highlight=False,
        )
    missing = [
        line
        for spec in specs
        if status[spec.name] != "ok"
        for line in missing_weights(spec.files, root, owner=spec.name, source=spec.source, licence=spec.licence)
    ]
    missing += missing_weights((YUNET,), root, owner="yunet (face detector)", source=YUNET_SOURCE,
                               licence=YUNET_LICENCE)  # fmt: skip
    if missing:
        console.print("\nmissing weights, and where to get them (docs: Models and data):", highlight=False)
        for line in missing:
            console.print(f"- {line}", highlight=False, soft_wrap=True)


def _floats(text: str, what: str) -> list[float]:
    from facebridge.errors import InvalidInputError

    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInputError(f"{what} takes 1 or 3 comma-separated numbers, got {text!r}") from None


def _face_check(model: EmbeddingModel, pairs: tuple[list[ImagePair], str] | None, accept: bool) -> FaceCheck | None:
    """The face-pair check of ``models add``: None (with a warning) when no pairs or no detector weights are there;
    a failed check is an InvalidInputError unless ``accept`` (then a warning)."""
    from rich.console import Console

    from facebridge.errors import InvalidInputError, MissingFileError
    from facebridge.extraction.detect import make_detector
    from facebridge.extraction.face_check import check_on_pairs
    from facebridge.models import resolve_models_dir

    err = Console(stderr=True)
    name = model.spec.name
    if pairs is None:
        err.print(
            f"warning: {name} was NOT checked on real faces (no LFW View 1 under the data folder, no --photos): a "
            "wrong --mean, --std or --colour would go unnoticed; give --photos DIR (one folder per person) to check it",
            highlight=False,
        )
        return None
    try:
        detector = make_detector("yunet", resolve_models_dir(None))
    except MissingFileError as exc:
        err.print(f"warning: {name} was NOT checked on real faces (no face detector: {exc})", highlight=False)
        return None
    result = check_on_pairs(model, pairs[0], detector, pairs[1])
    if not result.passed:
        if not accept:
            raise InvalidInputError(
                f"{name}: genuine pairs do not outscore impostors ({result.summary()}): check --mean, --std and "
                "--colour; the spec was not written (--accept-failed-check writes it anyway)"
            )
        err.print(f"warning: {name} FAILED the face check, written anyway: {result.summary()}", highlight=False)
    return result


@models_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Name to use with --model, e.g. my-edge.")],
    onnx: Annotated[Path, typer.Option(help="The network as an ONNX file (read in place, never copied).")],
    alignment: Annotated[str, typer.Option(help="Crop the network was trained on: arc112, arc128, dlib150, box224.")],
    colour: Annotated[str, typer.Option(help="Channel order the network expects: rgb or bgr.")],
    mean: Annotated[str, typer.Option(help="Input = (pixel - mean) / std on 0..255: 1 or 3 numbers, e.g. 127.5.")],
    std: Annotated[str, typer.Option(help="1 or 3 numbers, e.g. 127.5 (or 128).")],
    dim: Annotated[int | None, typer.Option(min=1, help="Embedding size (default: read from the graph).")] = None,
    input_name: Annotated[str, typer.Option(help="The image input, when the graph has several.")] = "",
    output_name: Annotated[str, typer.Option(help="The embedding output, when the graph has several.")] = "",
    metric: Annotated[str, typer.Option(help="cosine or euclidean, what the model was trained for.")] = "cosine",
    folder: Annotated[
        Path | None, out_option(help="Spec folder (default: $FACEBRIDGE_USER_MODELS or the user data dir).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing spec of that name.")] = False,
    photos: Annotated[
        Path | None,
        typer.Option(help="Your photos, one folder per person, to check the model on (default: 20 LFW View 1 pairs "
                     "from the data folder, when it is there)."),
    ] = None,
    data: DataOpt = None,
    accept_failed_check: Annotated[
        bool, typer.Option(help="Write the spec even when genuine pairs do not outscore impostors (a warning).")
    ] = False,
) -> None:
    """Add an ONNX face-recognition model: probe its graph, check it on random crops and on real face pairs (genuine
    must outscore impostor), write its spec."""
    from facebridge.extraction.face_check import default_pairs
    from facebridge.models.add import add_onnx_model

    check_outputs(folders={"--folder": folder})
    pairs = default_pairs(data, photos)  # before any model work: a bad --photos or --data fails at once
    checked: list[FaceCheck | None] = []
    spec, path = add_onnx_model(
        name,
        onnx,
        alignment=alignment,
        colour=colour,
        mean=_floats(mean, "--mean"),
        std=_floats(std, "--std"),
        dim=dim,
        input_name=input_name,
        output_name=output_name,
        metric=metric,
        folder=folder,
        force=force,
        face_check=lambda model: checked.append(_face_check(model, pairs, accept_failed_check)),
    )
    console.print(
        f"added {spec.name}: {spec.layout} {spec.input_size[0]}x{spec.input_size[1]} {spec.colour_order} -> "
        f"{spec.dim}-d, input '{spec.input_name}', output '{spec.output_name}', sha256 {spec.weights_sha256[:12]}...; "
        f"checked on random crops; wrote {path}",
        highlight=False,
    )
    result = checked[0] if checked else None
    if result is not None and result.passed:
        console.print(f"checked on real faces: {result.summary()}", highlight=False)
    console.print(f"use it with --model {spec.name} (or --model {path})", highlight=False)
