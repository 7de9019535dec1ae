"""The README's "Your own photos and model" walkthrough, run command by command, read from the README itself so the
documented walkthrough cannot drift from what works: on a synthetic photo folder with a tiny ONNX network as the
user's model (and the built-in mobilefacenet-caffe as the old one); a second test checks on real LFW photos that a
user's spec declaring edgeface-xxs's preprocessing gives the built-in model's vectors.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.cli.main import main
from facebridge.embeddings import read_embeddings
from facebridge.faces.detection import Detection, fallback_detection
from facebridge.protocols import parse_pairs_csv
from tests.helpers import LFW_IMAGES, SHARED, require_shared
from tests.onnx_models import tiny_onnx

pytestmark = pytest.mark.models
README = Path(__file__).resolve().parents[2] / "README.md"
ONNX = SHARED / "models" / "edgeface-xxs" / "edgeface_xxs.onnx"
#: Four people, three photos each (LFW image numbers), pinned so the run is the same everywhere.
PEOPLE = ("Al_Gore", "Colin_Powell", "George_W_Bush", "Tony_Blair")
SHOTS = (1, 2, 3)
#: The synthetic folder: ten people, five photos each, plus one photo without a face in Person03's folder.
N_PEOPLE, N_PHOTOS = 10, 5


def walkthrough_commands(path: Path = README, heading: str = "## Your own photos and model") -> list[list[str]]:
    """The ``facebridge`` lines of the walkthrough's bash block (the first after ``heading``), split as the shell
    would."""
    text = path.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "the walkthrough has a bash block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("facebridge ")]
    return [shlex.split(line)[1:] for line in lines]


def test_the_user_guide_shows_the_readme_walkthrough() -> None:
    """The guide's copy of the walkthrough is the README's, command for command (the README's is the one run)."""
    guide = README.parent / "docs" / "guide" / "photos.md"
    assert walkthrough_commands(guide, "# Your own photos and model") == walkthrough_commands()


def lfw_photos(root: Path) -> None:
    """``root/photos``: the pinned LFW photos."""
    for person in PEOPLE:
        (root / "photos" / person).mkdir(parents=True)
        for shot in SHOTS:
            name = f"{person}_{shot:04d}.jpg"
            shutil.copy(LFW_IMAGES / person / name, root / "photos" / person / name)


def synthetic_photos(root: Path) -> None:
    """``root/photos/PersonNN/k.png``: each person a smooth random pattern, each photo it plus noise and a small
    shift in brightness; and ``Person03/blank.png``, a uniform grey picture (no face)."""
    rng = np.random.default_rng(0)
    for p in range(N_PEOPLE):
        folder = root / "photos" / f"Person{p:02d}"
        folder.mkdir(parents=True)
        base = np.kron(rng.uniform(40, 215, size=(10, 10, 3)), np.ones((25, 25, 1)))
        for k in range(N_PHOTOS):
            photo = base + rng.normal(0, 6, size=base.shape) + rng.normal(0, 5)
            Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8)).save(folder / f"{k}.png")
    Image.new("RGB", (250, 250), (128, 128, 128)).save(root / "photos" / "Person03" / "blank.png")


class PatternDetector:
    """Finds the "face" of a synthetic photo where LFW's are (the fallback geometry), none in a uniform picture."""

    name = "pattern"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        if rgb.std() < 1:
            return []
        where = fallback_detection(rgb.shape)
        return [Detection(where.box, where.landmarks, 0.99, self.name)]


def numbers(text: str, pattern: str) -> tuple[int, ...]:
    found = re.search(pattern, text)
    assert found is not None, f"{pattern!r} not in {text!r}"
    return tuple(int(g) for g in found.groups())


def test_readme_walkthrough_runs_end_to_end(tmp_path: Path, monkeypatch, capsys) -> None:
    """Every command of the README's walkthrough, as written, on a synthetic photo folder: no Python by the user."""
    import facebridge.extraction.extract as extract

    models = Path(os.environ.get("FACEBRIDGE_MODELS") or SHARED / "models")
    require_shared(models / "mobilefacenet-caffe")
    monkeypatch.setenv("FACEBRIDGE_MODELS", str(models))
    monkeypatch.setattr(extract, "make_detector", lambda name, models_dir: PatternDetector())
    monkeypatch.chdir(tmp_path)
    synthetic_photos(tmp_path)
    tiny_onnx(tmp_path / "my_edge.onnx", dim=64)
    commands = walkthrough_commands()
    assert [c[0] for c in commands] == ["models", "embed", "pairs", "evaluate", "fit", "evaluate", "identify",
                                        "migrate", "identify", "search", "audit"]  # fmt: skip
    outputs = []
    for args in commands:
        code = main(args)
        captured = capsys.readouterr()
        assert code == 0, f"facebridge {' '.join(args)}: {captured.err}"
        outputs.append(" ".join(captured.out.split()))
    added, embedded, paired, native, fitted, cross, ident, migrated, upgraded, searched, audited = outputs
    n = N_PEOPLE * N_PHOTOS
    assert "added my-edge: NCHW 112x112 RGB -> 64-d" in added
    assert f"{n + 1} images: {n} with a face; 0 no face, centre region embedded; 1 no face, skipped" in embedded
    assert "not embedded: Person03/blank.png (no_face); every image's status is in store/images.parquet" in embedded
    assert read_embeddings(tmp_path / "store" / "my-edge.parquet").n == n

    pairs = parse_pairs_csv(tmp_path / "pairs.csv")
    genuine = N_PEOPLE * N_PHOTOS * (N_PHOTOS - 1) // 2 + N_PHOTOS  # Person03's blank photo pairs with its 5 others
    assert f"wrote pairs.csv: {genuine} same-person and {genuine} different-person pairs in 4 people-disjoint" in paired
    assert int(pairs.same.sum()) == genuine and pairs.n_folds == 4
    blank = int(sum("blank" in a or "blank" in b for a, b in zip(pairs.id_a, pairs.id_b, strict=True)))
    kept = pairs.n - blank
    for out in (native, cross):  # pairs of the faceless photo are dropped, counted, and named
        assert f"warning: dropped {blank} of {pairs.n} pairs ({N_PHOTOS} genuine)" in out
        assert "Person03/blank.png (no_face)" in out and f"{genuine - N_PHOTOS} / {kept - genuine + N_PHOTOS}" in out
    accuracy = numbers(native, r"mean accuracy\W+(\d+)\.\d+%")[0]
    assert accuracy >= 90  # the synthetic people are easy to tell apart: the pipeline works, not a coin toss
    assert f"fitted ridge mobilefacenet-caffe (128-d) -> my-edge (64-d) on {n} pairs" in fitted
    assert "penalty vs native" in cross and "note: folds:" not in cross  # the folds came from the file
    # each fold's map is fitted on under 50 photos of under 10 people: both fit-size warnings the README promises
    assert "fewer than the source's 128 dimensions" in cross and "warning: the map is fitted on images of" in cross

    enrolled = N_PEOPLE - round(0.25 * N_PEOPLE)
    mated, open_probes = enrolled * (N_PHOTOS - 1), (N_PEOPLE - enrolled) * N_PHOTOS
    for out in (ident, upgraded):
        assert f"{enrolled} people enrolled (one photo each, seed 0) + 0 one-photo distractors; {mated} mated" in out
        hits = numbers(out, rf"rank-1 \d+\.\d+% \((\d+)/{mated}\), rank-5 \d+\.\d+% \((\d+)/{mated}\)")
        assert hits[0] <= hits[1] <= mated and f"{open_probes} probes of {N_PEOPLE - enrolled} people" in out
        assert "DIR @ FPIR 0.1 (open set)" in out and "warning: DIR @ FPIR 0.01 is not resolved" in out
    assert numbers(ident, r"rank-1 \d+\.\d+% \((\d+)/")[0] >= mated * 9 // 10
    assert "my-edge gallery from edge_gallery.parquet" in upgraded
    assert f"migrated {n} mobilefacenet-caffe templates to my-edge (64-d)" in migrated
    assert f"searched {n} probes in {n} my-edge templates (exact, k=5); wrote hits.parquet" in searched

    results = json.loads((tmp_path / "audit" / "results.json").read_text())
    attacker = min(p["n_attacker_images"] for p in results["pairs"])
    assert f"note: budgets 50 exceed the {attacker} attacker-side images" in audited
    assert results["meta"]["budgets"] == [0, 10, 20, attacker] and attacker < 50
    assert f"note: heatmap at budget {attacker}, the budget closest to 100" in audited
    assert (tmp_path / "audit" / "figures" / f"audit_heatmap_k{attacker}.png").is_file()
    assert "warning: TAR @ FAR 0.01 is not resolved" in audited and (tmp_path / "audit" / "report.html").is_file()


def test_a_user_spec_of_edgeface_xxs_embeds_as_the_builtin_model(tmp_path: Path, monkeypatch) -> None:
    """``models add`` with the README's options on the real edgeface-xxs file: the user's model gives the built-in
    model's vectors on real photos, since the spec declares the same preprocessing."""
    require_shared(LFW_IMAGES, ONNX)
    monkeypatch.chdir(tmp_path)
    lfw_photos(tmp_path)
    (tmp_path / "my_edge.onnx").symlink_to(ONNX)
    assert main(walkthrough_commands()[0]) == 0  # models add my-edge ...
    for model in ("my-edge", "edgeface-xxs"):
        assert main(["embed", "--images", "photos", "--model", model, "--out", "store", "--workers", "2"]) == 0
    mine = read_embeddings(tmp_path / "store" / "my-edge.parquet")
    builtin = read_embeddings(tmp_path / "store" / "edgeface-xxs.parquet")
    assert mine.n == builtin.n == len(PEOPLE) * len(SHOTS) and mine.fingerprint.model == "my-edge"
    np.testing.assert_allclose(mine.vectors_of(builtin.ids), builtin.vectors, rtol=1e-5, atol=1e-6)
