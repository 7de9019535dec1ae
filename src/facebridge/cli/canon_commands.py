"""``facebridge canon``: fit a canonical space shared by several models, join a model later, export a route as a
map file (for ``transform``, ``migrate``, ``search``), search a gallery whose templates come from different models,
and run the canonical-space study."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from facebridge.cli.commands import DataOpt
from facebridge.cli.main import app
from facebridge.cli.options import name_list, seed_option
from facebridge.cli.outputs import check_outputs, out_option, output_path
from facebridge.cli.upgrade_commands import Index
from facebridge.errors import InvalidInputError
from facebridge.maps.canonical.solve import METHODS

#: The canonical-space methods, as a CLI choice.
CanonMethod = StrEnum("CanonMethod", {m: m for m in METHODS})  # type: ignore[misc]

console = Console()

canon_app = typer.Typer(
    help="A canonical embedding space shared by several models: one encoder and decoder per model.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(canon_app, name="canon")

SpaceOpt = Annotated[Path, typer.Option("--space", help="Canonical-space file (.fbcanon).")]
ForceOpt = Annotated[bool, typer.Option(help="Replace an existing output file.")]


def model_list(text: str, store: Path, least: int = 2, option: str = "--models") -> list[str]:
    """The comma-separated models of ``option`` (:func:`~facebridge.cli.options.name_list`: none empty, none twice;
    at least ``least``), each with a ``<model>.parquet`` in ``store``."""
    names = name_list(text, option)
    if len(names) < least:
        raise InvalidInputError(f"give {least} or more distinct models, got {text!r}")
    missing = [n for n in names if not (store / f"{n}.parquet").is_file()]
    if missing:
        raise InvalidInputError(f"--store {store} has no {', '.join(f'{n}.parquet' for n in missing)}")
    return names


@canon_app.command("fit")
def canon_fit(
    store: Annotated[Path, typer.Option(help="Embedding store folder (<model>.parquet per model).")],
    models: Annotated[str, typer.Option(help="Comma-separated members, e.g. a,b,c.")],
    out: Annotated[Path, out_option(help="Canonical-space file to write (.fbcanon).")],
    dim: Annotated[int | None, typer.Option(min=1, help="Canonical width [default: hub's / smallest width].")] = None,
    method: Annotated[CanonMethod, typer.Option(help="How the space is learnt.")] = CanonMethod("maxvar"),
    hub: Annotated[str | None, typer.Option(help="The hub model (method hub) [default: the first].")] = None,
    alpha: Annotated[float, typer.Option(min=0, help="Ridge penalty of every encoder and decoder.")] = 1.0,
    pca: Annotated[int, typer.Option(min=0, help="maxvar on each model's top PCA axes (0: all).")] = 0,
    force: ForceOpt = False,
) -> None:
    """Fit a canonical space on every image all the models embedded."""
    from facebridge.embeddings import read_embeddings
    from facebridge.maps.canonical import CANON_SUFFIX, CanonicalSpace
    from facebridge.maps.canonical.workflow import fit_space

    out = output_path(out, CANON_SUFFIX, force=force)
    names = model_list(models, store)
    space = CanonicalSpace(method=method.value, dim=dim, hub=hub, alpha=alpha, pca=pca or None)
    canon = fit_space({n: read_embeddings(store / f"{n}.parquet") for n in names}, space, out, store.name)
    console.print(
        f"fitted {method.value} canonical space ({canon.space.dim_}-d) of {', '.join(names)} on "
        f"{canon.provenance.n_ids} images of {canon.provenance.n_people} people; wrote {out} "
        f"({out.stat().st_size / 1e6:.1f} MB)",
        highlight=False,
    )


@canon_app.command("join")
def canon_join(
    space: SpaceOpt,
    source: Annotated[Path, typer.Option(help="The new model's embedding set.")],
    via: Annotated[
        list[Path], typer.Option(help="A member's set sharing images with --source; repeat to join through several.")
    ],
    out: Annotated[Path, out_option(help="Canonical-space file to write (.fbcanon), the space plus the newcomer.")],
    force: ForceOpt = False,
) -> None:
    """Join a new model with one map fitted on the images it shares with a member; the space does not move."""
    from facebridge.embeddings import read_embeddings
    from facebridge.maps.canonical import CANON_SUFFIX, load_space
    from facebridge.maps.canonical.workflow import join_space

    out = output_path(out, CANON_SUFFIX, force=force)
    canon = load_space(space)
    new, members = read_embeddings(source), [read_embeddings(v) for v in via]
    joined, n = join_space(canon, new, members, out)
    console.print(
        f"joined {new.fingerprint.model} via {', '.join(m.fingerprint.model for m in members)} on {n} shared images; "
        f"{len(joined.members)} members; wrote {out}",
        highlight=False,
    )


@canon_app.command("route")
def canon_route(
    space: SpaceOpt,
    source: Annotated[str, typer.Option(help="Member model mapped from.")],
    out: Annotated[Path, out_option(help="Map file to write (.fbmap), for transform, migrate and search.")],
    target: Annotated[
        str | None, typer.Option(help="Member model mapped to, through the space [default: the space itself].")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Export SOURCE -> canonical (or SOURCE -> canonical -> TARGET) as one ordinary map file."""
    from facebridge.maps import MAP_SUFFIX
    from facebridge.maps.canonical import load_space
    from facebridge.maps.canonical.workflow import write_route

    out = output_path(out, MAP_SUFFIX, force=force)
    canon = load_space(space)
    write_route(canon, source, target, out)
    via = f" -> {target}" if target else ""
    console.print(f"wrote the route {source} -> {canon.fingerprint.model}{via} to {out}", highlight=False)


@canon_app.command("search")
def canon_search(
    space: SpaceOpt,
    gallery: Annotated[list[Path], typer.Option(help="Gallery set of any member model; repeat to mix models.")],
    probes: Annotated[Path, typer.Option(help="Probe set of any member model.")],
    out: Annotated[Path, out_option(help="Hits to write (.parquet): probe_id, rank, gallery_id, score, model.")],
    k: Annotated[int, typer.Option(min=1, help="Gallery entries returned per probe.")] = 10,
    index: Annotated[Index, typer.Option(help="exact (inner product = cosine) or hnsw (approximate).")] = Index.exact,
    force: ForceOpt = False,
) -> None:
    """Search probes in a gallery whose templates come from different models, in the canonical space."""
    import pyarrow as pa

    from facebridge.embeddings import read_embeddings
    from facebridge.maps.canonical import load_space
    from facebridge.maps.canonical.workflow import search_mixed
    from facebridge.storage import atomic_write_table

    out = output_path(out, ".parquet", force=force)
    canon = load_space(space)
    sets = [read_embeddings(g) for g in gallery]
    p = read_embeddings(probes)
    hits, models = search_mixed(canon, sets, p, k, index.value)
    table = hits.to_table().append_column("gallery_model", pa.array(models.astype(str), pa.string()))
    atomic_write_table(table, out)
    console.print(
        f"searched {p.n} {p.fingerprint.model} probes in {sum(s.n for s in sets)} templates of "
        f"{', '.join(s.fingerprint.model for s in sets)} in {canon.fingerprint.model} (k={k}); wrote {out}",
        highlight=False,
    )


def _ints(text: str, option: str) -> tuple[int, ...]:
    try:
        values = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise InvalidInputError(f"{option}: expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise InvalidInputError(f"{option}: expected positive integers, got {text!r}")
    return values


@canon_app.command("study")
def canon_study(
    store: Annotated[Path, typer.Option(help="Embedding store folder (<model>.parquet per model, LFW).")],
    models: Annotated[str, typer.Option(help="Comma-separated members, e.g. a,b,c.")],
    out: Annotated[Path, out_option(help="Folder for canonical.json and canonical.md.")],
    data: DataOpt = None,
    methods: Annotated[str, typer.Option(help="Canonical methods to compare.")] = "hub,gpa,maxvar",
    dims: Annotated[str, typer.Option(help="Canonical widths tried for gpa and maxvar.")] = "128,256,512",
    alpha: Annotated[float, typer.Option(min=0, help="Ridge penalty of every encoder and decoder.")] = 1.0,
    seed: Annotated[int, seed_option("Seed of the mixed gallery's enrolment and split.")] = 0,
    pca: Annotated[int, typer.Option(min=0, help="maxvar on each model's top PCA axes (0: all).")] = 256,
    hubs: Annotated[str | None, typer.Option(help="Hub models tried [default: every model].")] = None,
    loo_models: Annotated[str | None, typer.Option(help="Models left out one by one [default: every model].")] = None,
) -> None:
    """The canonical-space study: candidates chosen on LFW View 1, every penalty, join and mixed gallery on View 2."""
    from facebridge.embeddings import read_embeddings
    from facebridge.experiments.canonical.run import run_canonical_study
    from facebridge.experiments.canonical.study import CanonSettings
    from facebridge.experiments.verification.selection import read_view1
    from facebridge.paths import default_data_dir
    from facebridge.protocols import parse_lfw_pairs
    from facebridge.reports.canonical import write_canonical_report
    from facebridge.storage import atomic_write

    check_outputs(folders={"--out": out})
    names = model_list(models, store)
    chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        raise InvalidInputError(f"--methods: choose among {', '.join(METHODS)}, got {methods!r}")
    settings = CanonSettings(
        methods=chosen, dims=_ints(dims, "--dims"), alpha=alpha, seed=seed, pca=pca or None,
        hubs=tuple(model_list(hubs, store, least=1, option="--hubs")) if hubs else None,
        loo_models=tuple(model_list(loo_models, store, least=1, option="--loo-models")) if loo_models else None,
    )  # fmt: skip
    lfw = default_data_dir(data) / "lfw"
    view2, view1 = parse_lfw_pairs(lfw / "pairs.txt"), read_view1(lfw)
    sets = {n: read_embeddings(store / f"{n}.parquet") for n in names}
    partial = out / "canonical.partial.json"
    out.mkdir(parents=True, exist_ok=True)
    results = run_canonical_study(
        sets, view2, view1, settings, say=lambda line: console.print(line, highlight=False),
        save=lambda so_far: atomic_write(partial, lambda tmp: tmp.write_text(json.dumps(so_far, indent=1))),
    )  # fmt: skip
    js, md = write_canonical_report(results, out)
    partial.unlink(missing_ok=True)
    console.print(f"wrote {js} and {md}", highlight=False)
