"""shifted-split and shifted end to end on toy stores: id lists, the protocol's tables, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from facebridge.cli.main import main
from facebridge.embeddings import write_parquet
from facebridge.protocols.id_lists import read_id_list
from facebridge.protocols.pairs import person_of
from tests.experiments.shifted_toys import toy_faces, toy_models


def test_shifted_split_writes_people_disjoint_id_lists(tmp_path: Path, capsys) -> None:
    ids, _ = toy_faces(n_people=30)
    out = tmp_path / "split"
    data = _data(tmp_path, ids)
    assert main(["shifted-split", "--data", str(data), "--out", str(out), "--eval-people", "6", "--seed", "3"]) == 0
    fit, ev = read_id_list(out / "fit-ids.txt"), read_id_list(out / "eval-ids.txt")
    assert not {person_of(i) for i in fit} & {person_of(i) for i in ev} and len({person_of(i) for i in ev}) == 6
    info = json.loads((out / "split.json").read_text())
    assert info["seed"] == 3 and info["n_eval_images_kept"] == len(ev)
    capsys.readouterr()


def test_shifted_scores_each_corrupted_store_against_clean(tmp_path: Path, capsys) -> None:
    ids, latent = toy_faces(n_people=60)
    stores = {"clean": toy_models(ids, latent), "cam": toy_models(ids, latent, camera=0.5)}
    for name, sets in stores.items():
        for model, es in sets.items():
            write_parquet(es, tmp_path / name / f"{model}.parquet")
    (tmp_path / "cam" / "settings.json").write_text(json.dumps({"corruption": "cam:1"}))
    split = tmp_path / "split"
    assert main(["shifted-split", "--data", str(_data(tmp_path, ids)), "--out", str(split)]) == 0
    out = tmp_path / "out"
    common = ["shifted", "--store", str(tmp_path / "clean"), "--split", str(split)]
    common += ["--corrupted", str(tmp_path / "cam")]
    code = main([*common, "--models", "toy-a,toy-b", "--adapt", "coral-after", "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0 and "toy-a -> toy-b" in stdout
    results = json.loads((out / "shifted.json").read_text())
    assert results["adaptations"] == ["none", "coral-after"]
    assert set(results["runs"][0]["variants"]) == {"clean", "cam:1"} and len(results["runs"]) == 2
    code = main([*common, "--models", "toy-a,toy-b", "--adapt", "fog", "--out", str(out)])
    assert code == 2 and "unknown adaptation" in capsys.readouterr().err


def _data(root: Path, ids: list[str]) -> Path:
    for i in ids:
        (root / "data" / "lfw" / "images" / i).parent.mkdir(parents=True, exist_ok=True)
        (root / "data" / "lfw" / "images" / i).write_bytes(b"")
    return root / "data"
