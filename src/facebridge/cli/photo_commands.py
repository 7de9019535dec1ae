"""Commands for a folder of one's own photos: ``pairs`` (a verification pair list with people-disjoint folds) and
``identify`` (1:N rank-1/rank-5 and DIR@FPIR of an embedded photo folder, one enrolled photo per person)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from facebridge.cli.main import app
from facebridge.cli.options import seed_option
from facebridge.cli.outputs import out_option, output_path
from facebridge.cli.upgrade_commands import Index

console = Console()


@app.command()
def pairs(
    images: Annotated[Path, typer.Option(help="Photo folder, one subfolder per person (photos/Alice/1.jpg).")],
    out: Annotated[Path, out_option(help="Pairs CSV to write: path1,path2,same,fold (what evaluate reads).")],
    folds: Annotated[int, typer.Option(min=2, help="People-disjoint folds.")] = 10,
    seed: Annotated[int, seed_option("Seed of the fold deal and the impostor draws.")] = 0,
    impostors_per_genuine: Annotated[
        int, typer.Option(min=1, help="Different-person pairs per same-person pair, drawn within each fold.")
    ] = 1,
    force: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
) -> None:
    """Every same-person pair of the folder's photos plus as many different-person pairs, in people-disjoint folds.

    Ids are paths relative to --images, as embed names them; use the file with evaluate --protocol pairs.
    """
    from facebridge.images.listing import list_images
    from facebridge.protocols.photo_pairs import photo_pairs, write_pairs_csv

    out = output_path(out, ".csv", force=force)
    pair_list = photo_pairs(
        list_images(images), n_folds=folds, seed=seed, impostors_per_genuine=impostors_per_genuine, name=out.stem
    )
    write_pairs_csv(pair_list, out)
    n_genuine = int(pair_list.same.sum())
    console.print(
        f"wrote {out}: {n_genuine} same-person and {pair_list.n - n_genuine} different-person pairs in "
        f"{pair_list.n_folds} people-disjoint folds (seed {seed})",
        highlight=False,
    )
    for note in pair_list.notes:
        console.print(note if note.startswith("warning:") else f"note: {note}", highlight=False)


@app.command()
def identify(
    embeddings: Annotated[
        Path, typer.Option(help="Embedding set of a photo folder (embed --images): ids Person/photo, the probes.")
    ],
    gallery: Annotated[
        Path | None,
        typer.Option(help="Read the enrolled photos' vectors from this set instead, in the same space (e.g. a "
                     "gallery migrated from an old model)."),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of who is enrolled, with which photo.")] = 0,
    open_fraction: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of people with 2+ photos not enrolled (open-set probes).")
    ] = 0.25,
    index: Annotated[Index, typer.Option(help="exact (inner product = cosine) or hnsw (approximate).")] = Index.exact,
    json_out: Annotated[Path | None, out_option("--json", help="Write every figure and count to this JSON file.")] = (
        None
    ),
    force: Annotated[bool, typer.Option(help="Replace an existing --json file.")] = False,
) -> None:
    """Enrol one photo per person (seeded), search with the others: rank-1, rank-5 and DIR@FPIR, with counts."""
    from facebridge.embeddings import read_embeddings
    from facebridge.experiments.upgrade.identify import identify_set
    from facebridge.storage import atomic_write

    if json_out is not None:
        json_out = output_path(json_out, ".json", force=force, option="--json")
    probes = read_embeddings(embeddings)
    enrolled = read_embeddings(gallery) if gallery is not None else None
    found = identify_set(probes, enrolled, seed=seed, open_fraction=open_fraction, index=index.value)
    r = found.result
    source = f"{found.gallery_model} gallery" + (f" from {gallery}" if gallery is not None else "")
    console.print(
        f"identify {found.probe_model} probes in a {source}: {found.n_enrolled} people enrolled (one photo each, seed "
        f"{seed}) + {found.n_distractors} one-photo distractors; {r.n_mated} mated probes, {r.n_nonmated} probes of "
        f"{found.n_open_people} people not enrolled",
        highlight=False,
    )
    ranks = ", ".join(
        f"rank-{k} {100 * r.cmc[k]:.2f}% ({found.rank_hits[k]}/{r.n_mated})" for k in sorted(found.rank_hits)
    )
    console.print(ranks, highlight=False)
    for fpir, at in r.dir_open.items():
        console.print(
            f"DIR @ FPIR {fpir:g} (open set): {100 * at.rate:.2f}% ({at.hits}/{at.n} mated probes found; "
            f"{at.false_alarms}/{at.n_false} non-mated probes alarmed)",
            highlight=False,
        )
    for line in found.warnings():
        console.print(line, highlight=False)
    if found.n_left_out:
        console.print(f"note: {found.n_left_out} ids outside a person folder left out", highlight=False)
    if json_out is not None:
        text = json.dumps(found.to_dict(), indent=2)
        atomic_write(json_out, lambda tmp: tmp.write_text(text))
        console.print(f"wrote {json_out}", highlight=False)
