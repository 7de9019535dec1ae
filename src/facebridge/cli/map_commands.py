"""Map commands: ``fit`` a map of any registered family, ``transform`` an embedding file with it, ``export-onnx``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from facebridge.cli.cluster_options import SchedulerOpt, cluster_client
from facebridge.cli.main import app
from facebridge.cli.outputs import out_option, output_path
from facebridge.cli.render import warn_fit_size
from facebridge.errors import InvalidInputError
from facebridge.maps.registry import ALIASES, METHODS, make_map, map_class
from facebridge.maps.views import WHITEN_SHRINK

console = Console()

#: Every registered map family, as a CLI choice (and ``affine_cv``, another name of ``affine``).
Method = StrEnum("Method", {m: m for m in (*METHODS, *ALIASES)})  # type: ignore[misc]


class View(StrEnum):
    plain = "plain"
    centred = "centred"
    whitened = "whitened"


def method_defaults(param: str, none: str, overrides: dict[str, str] | None = None) -> str:
    """``"ridge 1, affine 0.001"``: each map method's default for ``param``, read from the estimators, or the CLI's
    own default from ``overrides``."""
    params = {m: map_class(m)().get_params() for m in METHODS}
    shown = {m: format(p[param], "g") if p[param] is not None else none for m, p in params.items() if param in p}
    return ", ".join(f"{m} {v}" for m, v in {**shown, **(overrides or {})}.items())


def map_params(alpha: float | None, rank: int | None, normalize: bool, extra: list[str] | None = None) -> dict:
    """Estimator parameters from the CLI options; ``extra`` holds ``KEY=VALUE`` (VALUE read as JSON if it parses)."""
    params: dict[str, Any] = {"normalize": normalize}
    if alpha is not None:
        params["alpha"] = alpha
    if rank is not None:
        params["rank"] = rank
    for item in extra or []:
        key, sep, raw = item.partition("=")
        if not (key and sep):
            raise InvalidInputError(f"--param {item!r}: expected KEY=VALUE, e.g. --param gamma=0.5")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def target_view(view: View, shrink: float = WHITEN_SHRINK) -> Any | None:
    """An unfitted target-space view for ``--view`` and ``--shrink`` (None for plain cosine)."""
    if view is View.plain:
        return None
    from facebridge.maps.views import TargetView

    return TargetView(kind=view.value, shrink=shrink)


MethodOpt = Annotated[Method, typer.Option(help="Map family.")]
RankOpt = Annotated[
    int | None, typer.Option(help=f"Map rank. [default: {method_defaults('rank', 'full')}]", show_default=False)
]
NormOpt = Annotated[bool, typer.Option(help="L2-normalise embeddings before fitting and mapping.")]
ForceOpt = Annotated[bool, typer.Option(help="Replace an existing output file.")]
ParamOpt = Annotated[
    list[str] | None, typer.Option("--param", metavar="KEY=VALUE", help="Any other estimator parameter; repeatable.")
]
ShrinkOpt = Annotated[
    float,
    typer.Option(
        min=0.0,
        help="--view whitened: raise the target covariance's eigenvalues by this fraction of their mean before "
        "inverting (the study's value, chosen on LFW View 1, is the default).",
    ),
]
ViewOpt = Annotated[
    View, typer.Option(help="Score in this target-space view, fitted per fold on the training folds' people only.")
]


def _chooses_alpha(method: str) -> bool:
    """True for a family that chooses alpha itself by cross-validation (it has ``alphas``, no ``alpha``)."""
    return "alphas" in map_class(method)().get_params()


def _fixed_alpha(alpha: str | float | None, method: str) -> float | None:
    """``--alpha`` as a fixed penalty for ``method`` (None: the family's own default or choice); ``cv`` is accepted
    for a family that chooses alpha by cross-validation, and a number is refused for it."""
    if alpha is None:
        return None
    if isinstance(alpha, str) and alpha.strip().lower() == "cv":
        if not _chooses_alpha(method):
            raise InvalidInputError(
                f"--alpha cv: {method} has no cross-validated alpha; affine chooses alpha by cross-validation"
            )
        return None
    try:
        value = float(alpha)
    except ValueError:
        raise InvalidInputError(f"--alpha must be a number or 'cv', got {alpha!r}") from None
    if _chooses_alpha(method):
        raise InvalidInputError(
            f"{method} chooses alpha by cross-validation over people; for a fixed alpha use --method affine_fixed "
            f"--alpha {alpha}"
        )
    return value


def build_map(
    method: str, alpha: str | float | None, rank: int | None, normalize: bool, extra: list[str] | None = None
) -> Any:
    """The unfitted estimator ``fit --method`` and ``evaluate --fit`` build from the same options: one method name
    is one estimator in every command."""
    return make_map(method, **map_params(_fixed_alpha(alpha, method), rank, normalize, extra))


@app.command()
def fit(
    source: Annotated[Path, typer.Option(help="Source embedding set (.parquet, .npz, .csv).")],
    target: Annotated[Path, typer.Option(help="Target embedding set.")],
    out: Annotated[Path, out_option(help="Map file to write (.fbmap).")],
    method: MethodOpt = Method("ridge"),
    alpha: Annotated[
        str | None,
        typer.Option(help=f"Fixed ridge penalty (affine chooses its own by cross-validation over people; "
                     f"affine_fixed takes a fixed one). [default: {method_defaults('alpha', '-', {'affine': 'cv'})}]",
                     show_default=False),
    ] = None,
    rank: RankOpt = None,
    normalize: NormOpt = True,
    param: ParamOpt = None,
    view: Annotated[View, typer.Option(help="Carry a target-space view fitted on the target's training vectors.")] = (
        View.plain
    ),
    shrink: ShrinkOpt = WHITEN_SHRINK,
    dataset: Annotated[
        str | None, typer.Option(help="Training dataset name for the map's provenance [default: source's folder].")
    ] = None,
    force: ForceOpt = False,
    scheduler: SchedulerOpt = None,
) -> None:
    """Fit a map from the source space to the target space on every id the two sets share."""
    from facebridge.maps import Provenance, save_map

    out = output_path(out, ".fbmap", force=force)
    estimator = build_map(str(method), alpha, rank, normalize, param)
    if scheduler:
        if view is not View.plain:
            raise InvalidInputError("--view is fitted on the target's rows in one process; fit without --scheduler")
        from facebridge.cluster import fit_distributed, stats_family

        stats_family(estimator)  # before a cluster is reached or started
        with cluster_client(scheduler) as client:
            done = fit_distributed(client, estimator, source, target, progress=True)
        spaces = (done.source, done.target, done.source_dim, done.target_dim)
        n_ids, n_people, carried = done.n_ids, done.n_people, None
    else:
        spaces, n_ids, n_people, carried = _fit_here(estimator, source, target, target_view(view, shrink))
    src_fp, tgt_fp, src_dim, tgt_dim = spaces
    warn_fit_size(n_ids, n_people, src_dim)
    provenance = Provenance(n_ids, n_people, dataset if dataset is not None else source.parent.name)
    save_map(estimator, out, source=src_fp, target=tgt_fp, provenance=provenance, view=carried)
    chosen = f" (alpha chosen in fit: {estimator.alpha_:g})" if hasattr(estimator, "alpha_") else ""
    alphas = estimator.get_params().get("alphas")
    if hasattr(estimator, "alpha_") and alphas and estimator.alpha_ in (min(alphas), max(alphas)):
        edge = "smallest" if estimator.alpha_ == min(alphas) else "largest"
        wider = [estimator.alpha_ * 10.0**e for e in ((-3, -2, -1, 0) if edge == "smallest" else (0, 1, 2, 3))]
        Console(stderr=True).print(
            f"warning: alpha {estimator.alpha_:g} is the {edge} of the grid tried; the best penalty may lie beyond "
            f"it (widen the grid, e.g. --param 'alphas=[{', '.join(f'{a:g}' for a in wider)}]')",
            highlight=False,
        )
    console.print(
        f"fitted {estimator.method}{chosen} {src_fp.model} ({src_dim}-d) -> {tgt_fp.model} ({tgt_dim}-d) "
        f"on {n_ids} pairs of {n_people} people; wrote {out}",
        highlight=False,
    )


def _fit_here(estimator: Any, source: Path, target: Path, view: Any | None) -> tuple[tuple, int, int, Any | None]:
    """``fit`` in this process: both sets read whole and joined; returns the spaces (fingerprints and dims), the
    ids and people fitted on, and ``view`` (an unfitted target-space view, or None) fitted on the target's rows."""
    from facebridge.embeddings import join_sets, read_embeddings
    from facebridge.maps import fit_rows
    from facebridge.protocols import person_of

    src, tgt = read_embeddings(source), read_embeddings(target)
    ids, x, y = join_sets(src, tgt)
    people = [person_of(i) for i in ids]
    fit_rows(estimator, x, y, groups=people)
    if view is not None:
        view.fit(y)
    return (src.fingerprint, tgt.fingerprint, src.dim, tgt.dim), len(ids), len(set(people)), view


@app.command()
def transform(
    map_file: Annotated[Path, typer.Option("--map", help="Map file (.fbmap) from the input's space.")],
    input_file: Annotated[Path, typer.Option("--input", help="Embedding set in the map's source space.")],
    out: Annotated[Path, out_option(help="Parquet set to write, in the map's target space.")],
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows mapped and written at a time.")] = 65536,
    force: ForceOpt = False,
    scheduler: SchedulerOpt = None,
) -> None:
    """Map every embedding of --input into the map's target space (fingerprint and provenance recorded).

    With --scheduler each chunk is mapped on the cluster and kept until the end, so a killed run resumes like migrate.
    """
    from facebridge.maps.apply import transform_file

    out = output_path(out, ".parquet", force=force)
    if scheduler:
        from facebridge.cluster import transform_distributed

        with cluster_client(scheduler) as client:
            loaded, n, _ = transform_distributed(
                client, map_file, input_file, out, batch_rows=batch_rows, progress=True
            )
    else:
        from facebridge.cli.progress import stage_progress

        with stage_progress(console) as progress:
            loaded, n, _ = transform_file(map_file, input_file, out, batch_rows=batch_rows, progress=progress)
    console.print(
        f"mapped {n} {loaded.source.model} embeddings to {loaded.target.model} ({loaded.target_dim}-d); wrote {out}",
        highlight=False,
    )


@app.command("export-onnx")
def export_onnx(
    map_file: Annotated[Path, typer.Option("--map", help="Map file (.fbmap).")],
    out: Annotated[Path, out_option(help="ONNX file to write: x float32 (N, dx) -> y float32 (N, dy).")],
    force: ForceOpt = False,
) -> None:
    """Export a map as a standalone ONNX graph, with its fingerprints and provenance in the metadata."""
    from facebridge.maps import load_map
    from facebridge.maps.onnx_export import ONNX_SUFFIX
    from facebridge.maps.onnx_export import export_onnx as write_onnx

    out = output_path(out, ONNX_SUFFIX, force=force)
    loaded = load_map(map_file)
    write_onnx(loaded, out)
    console.print(
        f"exported {loaded.estimator.method} {loaded.source.model} -> {loaded.target.model} "
        f"({loaded.source_dim} -> {loaded.target_dim}) to {out}",
        highlight=False,
    )
