"""``facebridge data fetch``: download a public data set (LFW) for users without ``../shared/data``."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from facebridge.cli.commands import console
from facebridge.cli.main import app
from facebridge.cli.outputs import check_outputs, out_option

data_app = typer.Typer(help="Public data sets: 'data fetch lfw' downloads LFW.", rich_markup_mode=None)
app.add_typer(data_app, name="data")


def _target(data: Path | None) -> Path:
    """Where to fetch into: ``--data`` > ``$FACEBRIDGE_DATA`` > ``../shared/data`` when it already holds LFW > the
    user data folder."""
    from facebridge.fetch import lfw_complete
    from facebridge.paths import shared_candidates, user_data_dir

    if data is not None:
        return data
    if os.environ.get("FACEBRIDGE_DATA"):
        return Path(os.environ["FACEBRIDGE_DATA"]).expanduser()
    for shared in shared_candidates("data"):
        if lfw_complete(shared / "lfw"):
            return shared
    return user_data_dir()


def _default_data() -> Path | None:
    """The folder commands read without ``--data`` (None where there is none)."""
    from facebridge.errors import MissingFileError
    from facebridge.paths import default_data_dir

    try:
        return default_data_dir()
    except MissingFileError:
        return None


@data_app.command("fetch")
def fetch(
    dataset: Annotated[str, typer.Argument(help="The data set: lfw.")],
    data: Annotated[
        Path | None,
        out_option(help="Data folder to fetch into (default: $FACEBRIDGE_DATA, ../shared/data when it holds the "
                   "data set, else the user data folder, which every command reads after those)."),
    ] = None,
    mirror: Annotated[
        str, typer.Option(help="Fetch the files from MIRROR/<file name> instead (same pinned sha256).")
    ] = "",
) -> None:
    """Download LFW (the images and the View 1/View 2 pair lists) with pinned sha256 checksums; files already there
    are kept."""
    from facebridge.errors import NotFoundError
    from facebridge.fetch import DATASETS, LFW, fetch_lfw, lfw_complete, with_mirror

    if dataset not in DATASETS:
        raise NotFoundError(f"unknown data set {dataset!r}; known: {', '.join(DATASETS)}")
    target = _target(data)
    if lfw_complete(target / "lfw"):
        console.print(f"LFW is already in {target / 'lfw'}; nothing downloaded", highlight=False, soft_wrap=True)
        return
    check_outputs(folders={"--data": target})
    console.print(f"downloading LFW into {target / 'lfw'} (sha256-checked)", highlight=False, soft_wrap=True)
    lfw = fetch_lfw(target, with_mirror(LFW, mirror))
    n_people = sum(1 for p in (lfw / "images").iterdir() if p.is_dir())
    say = partial(console.print, highlight=False, soft_wrap=True)
    say(f"LFW ready in {lfw}: {n_people} people's folders and the three pair lists")
    if _default_data() != target:
        say(f"commands read it with --data {target} (or FACEBRIDGE_DATA={target})")
