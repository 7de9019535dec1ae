"""The README's "Your own photos and model" walkthrough, run command by command on a folder of real LFW photos.

The commands are read from the README itself, so the documented walkthrough cannot drift from what works. The
user's model is the shared edgeface-xxs ONNX file under another name; its embeddings must equal the built-in
edgeface-xxs ones, since the spec `models add` writes declares the same preprocessing.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import read_embeddings
from tests.helpers import LFW_IMAGES, SHARED, require_shared

pytestmark = pytest.mark.models
README = Path(__file__).resolve().parents[2] / "README.md"
ONNX = SHARED / "models" / "edgeface-xxs" / "edgeface_xxs.onnx"
#: Four people, three photos each (LFW image numbers), pinned so the run is the same everywhere.
PEOPLE = ("Al_Gore", "Colin_Powell", "George_W_Bush", "Tony_Blair")
SHOTS = (1, 2, 3)


def walkthrough_commands() -> list[list[str]]:
    """The ``facebridge`` lines of the walkthrough's bash block, split as the shell would."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Your own photos and model") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "the walkthrough has a bash block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("facebridge ")]
    return [shlex.split(line)[1:] for line in lines]


def photo_folder(root: Path) -> None:
    """``root/photos``: the pinned LFW photos plus one blank picture with no face."""
    from PIL import Image

    for person in PEOPLE:
        (root / "photos" / person).mkdir(parents=True)
        for shot in SHOTS:
            name = f"{person}_{shot:04d}.jpg"
            shutil.copy(LFW_IMAGES / person / name, root / "photos" / person / name)
    Image.new("RGB", (200, 200), (128, 128, 128)).save(root / "photos" / "blank.jpg")


def pairs_csv(root: Path) -> None:
    """Genuine pairs of each person's photos and random impostors, ids written with the folder in front."""
    rng = np.random.default_rng(0)
    rows = ["path1,path2,same"]
    for i, person in enumerate(PEOPLE):
        rows += [f"photos/{person}/{person}_{a:04d}.jpg,{person}/{person}_{b:04d}.jpg,1" for a, b in ((1, 2), (2, 3))]
        other = PEOPLE[(i + 1 + int(rng.integers(len(PEOPLE) - 1))) % len(PEOPLE)]
        rows += [f"{person}/{person}_{s:04d}.jpg,{other}/{other}_{s:04d}.jpg,0" for s in (1, 3)]
    (root / "pairs.csv").write_text("\n".join(rows) + "\n")


def test_readme_walkthrough_runs_end_to_end(tmp_path: Path, monkeypatch, capsys) -> None:
    require_shared(LFW_IMAGES, ONNX)
    monkeypatch.chdir(tmp_path)
    photo_folder(tmp_path)
    pairs_csv(tmp_path)
    (tmp_path / "my_edge.onnx").symlink_to(ONNX)
    commands = walkthrough_commands()
    assert [c[0] for c in commands] == ["models", "embed", "evaluate", "fit", "evaluate"]
    outputs = []
    for args in commands:
        if args[0] == "embed":
            args = [*args, "--workers", "2"]  # the user's spec must reach the worker processes
        code = main(args)
        captured = capsys.readouterr()
        assert code == 0, f"facebridge {' '.join(args)}: {captured.err}"
        outputs.append(" ".join(captured.out.split()))
    added, embedded, native, fitted, cross = outputs
    assert "added my-edge: NCHW 112x112 RGB -> 512-d" in added
    assert "13 images: 12 with a face; 0 no face, centre region embedded; 1 no face, skipped" in embedded
    mine = read_embeddings(tmp_path / "store" / "my-edge.parquet")
    assert mine.n == 12 and mine.fingerprint.model == "my-edge"
    assert "note: folds: people assigned to 4 folds" in native and "8 / 8" in native
    assert "fitted ridge mobilefacenet-caffe (128-d) -> my-edge (512-d) on 12 pairs" in fitted
    assert (tmp_path / "caffe2edge.fbmap").is_file()
    assert "penalty vs native" in cross and "note: folds: people assigned to 4 folds" in cross
    assert "8 / 8" in cross and "FAR 0.001 needs >= 1000 impostors" in cross
    # the smallest fold's fit is on 6 images of 2 people: both fit-size warnings the README promises
    assert "warning: the map is fitted on 6 images, fewer than the source's 128 dimensions" in cross
    assert "warning: the map is fitted on images of 2 people" in cross

    # the user's spec declares edgeface-xxs's preprocessing: the same vectors as the built-in model
    assert main(["embed", "--images", "photos", "--model", "edgeface-xxs", "--out", "store"]) == 0
    builtin = read_embeddings(tmp_path / "store" / "edgeface-xxs.parquet")
    np.testing.assert_allclose(mine.vectors_of(builtin.ids), builtin.vectors, rtol=1e-5, atol=1e-6)
    code = main(["evaluate", "--protocol", "pairs", "--pairs", "pairs.csv", "--images", "photos", "--folds", "4",
                 "--target", "store/my-edge.parquet", "--json", "native.json"])  # fmt: skip
    assert code == 0
    result = json.loads((tmp_path / "native.json").read_text())["verification"]
    assert result["n_genuine"] == 8 and result["n_impostor"] == 8 and result["auc"] > 0.9
