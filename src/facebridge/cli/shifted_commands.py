"""The shifted-domain protocol's commands: ``shifted-split`` (the halves' id lists, for ``embed --ids``) and
``shifted`` (maps fitted on the clean fitting half, scored 1:1 and 1:N on each corrupted copy of the other half)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from facebridge.cli.commands import DataOpt, console
from facebridge.cli.main import app
from facebridge.cli.options import seed_option
from facebridge.cli.outputs import check_outputs, out_option


@app.command("shifted-split")
def shifted_split(
    out: Annotated[Path, out_option(help="Folder for fit-ids.txt and eval-ids.txt (one image id a line).")],
    data: DataOpt = None,
    seed: Annotated[int, seed_option("Seed of the people split.")] = 0,
    eval_people: Annotated[
        int | None, typer.Option(min=1, help="Keep only this many evaluation-half people (seeded), to embed less.")
    ] = None,
) -> None:
    """Split LFW's people into a fitting half and an evaluation half (disjoint in people, seeded) and write their
    image ids; embed the evaluation half with ``embed --ids OUT/eval-ids.txt --corrupt NAME:LEVEL``."""
    from facebridge.images import list_images
    from facebridge.paths import default_data_dir
    from facebridge.protocols.id_lists import write_id_list
    from facebridge.protocols.shifted import domain_split, sample_people
    from facebridge.storage import atomic_write

    check_outputs(folders={"--out": out})
    split = domain_split(list_images(default_data_dir(data) / "lfw" / "images"), seed=seed)
    evaluation = split.eval_ids if eval_people is None else sample_people(split.eval_ids, eval_people, seed=seed)
    write_id_list(split.fit_ids, out / "fit-ids.txt")
    write_id_list(evaluation, out / "eval-ids.txt")
    info = split.to_dict()
    text = json.dumps(info | {"eval_people_kept": eval_people, "n_eval_images_kept": len(evaluation)}, indent=2)
    atomic_write(out / "split.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    console.print(
        f"fitting half: {info['n_fit_images']} images of {info['n_fit_people']} people; evaluation half: "
        f"{len(evaluation)} images (of {info['n_eval_images']}); wrote the id lists in {out}",
        highlight=False,
    )


@app.command()
def shifted(
    store: Annotated[Path, typer.Option(help="Clean store (<model>.parquet per model) holding both halves.")],
    split: Annotated[Path, typer.Option(help="Folder written by shifted-split (fit-ids.txt, eval-ids.txt).")],
    corrupted: Annotated[
        list[Path], typer.Option(help="A store of the evaluation half embedded with embed --corrupt (repeatable).")
    ],
    models: Annotated[str, typer.Option("--models", "--model", help="Two or more models; every ordered pair.")],
    out: Annotated[Path, out_option(help="Folder for shifted.json and shifted.md.")],
    method: Annotated[str, typer.Option(help="Map method (facebridge.maps registry name).")] = "affine",
    adapt: Annotated[
        str, typer.Option(help="Adaptations to compare, comma-separated (see experiments.upgrade.adaptation).")
    ] = "none,centre,coral-before,coral-after,coral,snorm",
    folds: Annotated[int, typer.Option(min=2, help="People-disjoint identification folds of the evaluation half.")] = 5,
    seed: Annotated[int, seed_option("Seed of the evaluation pairs and identification split.")] = 0,
) -> None:
    """Shifted-domain protocol: maps fitted on the clean fitting half, 1:1 penalty and 1:N rank-1 loss on the
    evaluation half, clean and corrupted, with and without adapting to the deployment."""
    import itertools

    from facebridge.embeddings import read_embeddings
    from facebridge.errors import InvalidInputError
    from facebridge.experiments.upgrade.shifted import shifted_study
    from facebridge.maps import make_map, map_class
    from facebridge.protocols.id_lists import read_id_list
    from facebridge.protocols.shifted import DomainSplit
    from facebridge.reports.shifted import shifted_markdown
    from facebridge.reports.strict_json import results_json
    from facebridge.storage import atomic_write

    check_outputs(folders={"--out": out})
    names = [m.strip() for m in models.split(",") if m.strip()]
    if len(names) < 2:
        raise InvalidInputError(f"--models needs two or more models, got {models!r}")
    map_class(method)
    info = json.loads((split / "split.json").read_text(encoding="utf-8")) if (split / "split.json").is_file() else {}
    halves = DomainSplit(
        tuple(read_id_list(split / "fit-ids.txt")), tuple(read_id_list(split / "eval-ids.txt")), info.get("seed", -1)
    )
    clean = {m: read_embeddings(store / f"{m}.parquet") for m in names}
    variants = {}
    for folder in corrupted:
        settings = json.loads((folder / "settings.json").read_text(encoding="utf-8"))
        name = settings.get("corruption") or folder.name
        variants[name] = {m: read_embeddings(folder / f"{m}.parquet") for m in names}
    results = shifted_study(
        clean,
        variants,
        halves,
        list(itertools.permutations(names, 2)),
        lambda: make_map(method),
        method=method,
        adaptations=[a.strip() for a in adapt.split(",") if a.strip()],
        n_folds=folds,
        seed=seed,
    )
    text, md = results_json(results), shifted_markdown(results)
    atomic_write(out / "shifted.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    atomic_write(out / "shifted.md", lambda tmp: tmp.write_text(md, encoding="utf-8"))
    console.print(md, highlight=False, markup=False)
    console.print(f"wrote {out / 'shifted.json'} and {out / 'shifted.md'}", highlight=False)
