"""upgrade --store-photos / --images: the operator's answer end to end, and its one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facebridge.cli.main import main
from facebridge.embeddings import write_parquet
from tests.experiments.shifted_toys import toy_faces, toy_models


@pytest.fixture()
def photo_store(tmp_path: Path) -> Path:
    ids, latent = toy_faces(n_people=40)
    for name, es in toy_models(ids, latent, camera=0.2).items():
        write_parquet(es, tmp_path / "photos" / f"{name}.parquet")
    return tmp_path / "photos"


def test_the_answer_on_a_store_of_photos(photo_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "answer"
    code = main(["upgrade", "--models", "toy-a,toy-b", "--store-photos", str(photo_store), "--out", str(out),
                 "--candidates", "affine", "--tolerance", "2", "--far", "0.01"])  # fmt: skip
    stdout = capsys.readouterr().out
    assert code == 0
    results = json.loads((out / "recommendation.json").read_text())
    assert results["tolerance"] == 2 and results["far"] == 0.01
    assert [c["adaptation"] for c in results["candidates"]] == ["none", "coral-after"]
    assert "Recommendation:" in stdout and "warning:" in stdout  # 40 toy people are too few for a firm answer
    html = (out / "recommendation.html").read_text()
    assert "<table>" in html and "Recommendation" in html
    assert "Recommendation:" in (out / "recommendation.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "toy-a,toy-b,toy-c"], "OLD,NEW"),
        (["--models", "toy-a,toy-b", "--images", "x"], "exactly one of"),
        (["--models", "toy-a,toy-b", "--adapt", "fog"], "unknown adaptation"),
        (["--models", "toy-a,toy-b", "--far", "2"], "--far"),
    ],
)
def test_bad_options_are_one_line_errors(photo_store: Path, tmp_path: Path, capsys, args, message) -> None:
    code = main(["upgrade", *args, "--store-photos", str(photo_store), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_upgrade_needs_a_store_or_photos(tmp_path: Path, capsys) -> None:
    assert main(["upgrade", "--models", "a,b", "--out", str(tmp_path)]) == 2
    assert "--store-photos" in capsys.readouterr().err
