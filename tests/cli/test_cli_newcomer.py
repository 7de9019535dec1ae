"""The CLI as a newcomer meets it: help and version, output checks, real pair lists, penalty against native."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import WORKFLOW, main
from facebridge.embeddings import write_parquet
from tests.helpers import synthetic_study


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def sets(tmp_path: Path) -> dict[str, Path]:
    _, source, target = synthetic_study()
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    rng = np.random.default_rng(0)
    rows = ["path1,path2,same"]
    ids = [str(i) for i in target.ids]
    for i in range(0, len(ids), 5):  # 40 people x 5 images: 4 genuine pairs each, impostors drawn at random
        rows += [f"{ids[i]},{ids[i + j]},1" for j in range(1, 5)]
        rows += [f"{ids[i + 1]},{ids[int(rng.integers(len(ids)))]},0" for _ in range(4)]
    (tmp_path / "random.csv").write_text("\n".join(rows) + "\n")
    return {"a": tmp_path / "a.parquet", "b": tmp_path / "b.parquet", "csv": tmp_path / "random.csv", "dir": tmp_path}


def test_help_version_and_workflow_order(capsys) -> None:
    code, out, _ = run(capsys, "-h")
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()]
    assert code == 0 and listed == [c for c in WORKFLOW if c in listed] and listed[:3] == ["data", "models", "embed"]
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("facebridge ")
    code, out, _ = run(capsys, "fit", "-h")
    assert code == 0 and "ridge 1, affine_fixed 0.001" in " ".join(out.split()) and "affine cv" in " ".join(out.split())


def test_fit_output_name_and_force(sets, capsys) -> None:
    common = ["fit", "--source", sets["a"], "--target", sets["b"], "--method", "affine"]
    code, _, err = run(capsys, *common, "--out", sets["dir"] / "m.npz")
    assert code == 2 and "writes a .fbmap file; name it m.fbmap" in err and not (sets["dir"] / "m.npz").exists()
    code, _, err = run(capsys, *common, "--out", sets["dir"] / "m")
    assert code == 0 and (sets["dir"] / "m.fbmap").is_file()
    assert "fewer than the source's 16 dimensions" not in err and "fitted on images of 40 people (under ~100)" in err
    before = (sets["dir"] / "m.fbmap").read_bytes()
    code, _, err = run(capsys, *common, "--out", sets["dir"] / "m.fbmap")
    assert code == 2 and "exists; pass --force" in err and (sets["dir"] / "m.fbmap").read_bytes() == before
    assert run(capsys, *common, "--out", sets["dir"] / "m.fbmap", "--force")[0] == 0


def test_random_impostor_pairs_evaluate_with_a_fold_note_and_penalty(sets, capsys) -> None:
    report = sets["dir"] / "r.json"
    code, out, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", sets["csv"], "--target", sets["b"],
                         "--source", sets["a"], "--fit", "affine", "--mode", "cross", "--folds", "5",
                         "--json", report)  # fmt: skip
    assert code == 0, err
    flat = " ".join(out.split())
    assert "note: folds: people assigned to 5 folds" in flat and "penalty vs native" in flat
    assert "160 / 160" in flat and "warning: TAR @ FAR 0.001 is not resolved" in flat
    assert "FAR 0.001 needs >= 1000 impostors" in flat and "TAR @ FAR 0.01 is not" not in flat
    result = json.loads(report.read_text())
    native, mapped = result["native"], result["verification"]
    assert result["penalty_points"] == pytest.approx(100 * (native["accuracy_mean"] - mapped["accuracy_mean"]))
    assert native["fold_ids"] == mapped["fold_ids"] and native["n_impostor"] == 160
    assert any(n.startswith("folds: people assigned") for n in result["notes"])
    assert max(map(len, out.splitlines())) <= 80  # fits an 80-column terminal


def test_native_prints_an_80_column_summary_and_writes_the_markdown(tmp_path: Path, capsys) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from facebridge.embeddings import EmbeddingSet, Fingerprint
    from facebridge.protocols import parse_lfw_pairs
    from tests.helpers import SHARED, require_shared

    pairs_txt = SHARED / "data" / "lfw" / "pairs.txt"
    require_shared(pairs_txt)
    ids = parse_lfw_pairs(pairs_txt).ids()
    store = tmp_path / "store"
    store.mkdir()
    pq.write_table(pa.table({"id": pa.array(ids.astype(str)), "status": pa.array(["ok"] * len(ids))}),
                   store / "images.parquet")  # fmt: skip
    people = np.array([i.split("/")[0] for i in ids])
    centres = {p: v for p, v in zip(np.unique(people), np.random.default_rng(0).normal(size=(len(set(people)), 8)),
                                    strict=True)}  # fmt: skip
    vectors = np.stack([centres[p] for p in people]) + 0.5 * np.random.default_rng(1).normal(size=(len(ids), 8))
    write_parquet(EmbeddingSet(ids, vectors, Fingerprint("edgeface-xs")), store / "edgeface-xs.parquet")
    out = tmp_path / "native.md"
    code, stdout, err = run(capsys, "native", "--store", store, "--out", out, "--model", "edgeface-xs")
    assert code == 0, err
    assert "| edgeface-xs | unknown |" in out.read_text() and f"wrote {out}" in " ".join(stdout.split())
    assert max(map(len, stdout.splitlines())) <= 80 and "edgeface-xs" in stdout
