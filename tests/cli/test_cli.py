"""The CLI end to end on small synthetic sets: fit, evaluate, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from tests.helpers import synthetic_study


@pytest.fixture()
def study(tmp_path: Path) -> dict[str, Path]:
    pairs, source, target = synthetic_study()
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    lines = ["path1,path2,same,fold"]
    lines += [
        f"{a},{b},{int(s)},{f}" for a, b, s, f in zip(pairs.id_a, pairs.id_b, pairs.same, pairs.fold, strict=True)
    ]
    (tmp_path / "pairs.csv").write_text("\n".join(lines) + "\n")
    return {"a": tmp_path / "a.parquet", "b": tmp_path / "b.parquet", "pairs": tmp_path / "pairs.csv",
            "dir": tmp_path}  # fmt: skip


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fit_then_evaluate_cross_with_the_map_and_per_fold(study, capsys) -> None:
    out = study["dir"] / "a2b.fbmap"
    code, stdout, _ = run(capsys, "fit", "--source", study["a"], "--target", study["b"], "--method",
                          "affine_fixed", "--no-normalize", "--alpha", "1e-9", "--out", out)  # fmt: skip
    assert code == 0 and out.is_file() and "200 pairs" in stdout
    report = study["dir"] / "r.json"
    common = ["evaluate", "--protocol", "pairs", "--pairs", study["pairs"], "--target", study["b"], "--metric",
              "euclidean"]  # fmt: skip
    code, _, _ = run(capsys, *common, "--json", study["dir"] / "native.json")
    assert code == 0
    native = json.loads((study["dir"] / "native.json").read_text())["verification"]
    code, stdout, _ = run(capsys, *common, "--source", study["a"], "--map", out, "--mode", "cross", "--json", report)
    assert code == 0 and "mean accuracy" in stdout
    result = json.loads(report.read_text())
    assert result["mode"] == "cross" and result["notes"]  # a pre-fitted map is flagged: leakage not checked
    assert result["verification"]["fold_accuracy"] == pytest.approx(native["fold_accuracy"])
    code, _, _ = run(capsys, *common, "--source", study["a"], "--fit", "affine", "--no-normalize", "--mode", "both",
                     "--json", report)  # fmt: skip
    result = json.loads(report.read_text())
    assert code == 0 and result["n_train"] == [150] * 4 and result["method"] == "affine"


def test_npz_and_csv_inputs_are_accepted(study, capsys) -> None:
    from facebridge.embeddings import read_embeddings

    b = read_embeddings(study["b"])
    np.savez(study["dir"] / "b.npz", ids=b.ids.astype(str), embeddings=b.vectors)
    code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", study["pairs"], "--target",
                       study["dir"] / "b.npz")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--protocol", "pairs", "--pairs", "{pairs}", "--target", "{dir}/none.parquet"], "not found"),
        (["evaluate", "--protocol", "pairs", "--target", "{b}"], "needs --pairs"),
        (["evaluate", "--protocol", "pairs", "--pairs", "{pairs}", "--target", "{b}", "--mode", "cross"], "--source"),
        (["evaluate", "--protocol", "pairs", "--pairs", "{pairs}", "--target", "{b}", "--fit", "ridge"], "native"),
        (["evaluate", "--protocol", "pairs", "--pairs", "{dir}/b.parquet", "--target", "{b}"], "b.parquet"),
        (["fit", "--source", "{a}", "--target", "{b}", "--out", "{dir}/m.fbmap", "--alpha", "-1"], "alpha"),
        (["fit", "--source", "{a}", "--target", "{b}", "--out", "{dir}/m.fbmap", "--method", "rrr", "--rank", "99"],
         "rank"),
        (["fit", "--source", "{a}", "--target", "{dir}/other.parquet", "--out", "{dir}/m.fbmap"], "share 0 ids"),
        (["evaluate", "--protocol", "pairs", "--pairs", "{pairs}", "--target", "{b}", "--source", "{b}", "--map",
          "{dir}/a2b.fbmap", "--mode", "cross"], "trained on model-a"),
        (["evaluate", "--protocol", "pairs", "--pairs", "{pairs}", "--target", "{b}", "--source", "{a}", "--map",
          "{dir}/broken.fbmap", "--mode", "cross"], "broken.fbmap"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_2(study, capsys, args, message) -> None:
    other = EmbeddingSet(np.array(["Q/Q_0001.jpg", "Q/Q_0002.jpg"], object), np.ones((2, 16)), Fingerprint("q"))
    write_parquet(other, study["dir"] / "other.parquet")
    assert main(["fit", "--source", str(study["a"]), "--target", str(study["b"]), "--out",
                 str(study["dir"] / "a2b.fbmap")]) == 0  # fmt: skip
    data = (study["dir"] / "a2b.fbmap").read_bytes()
    (study["dir"] / "broken.fbmap").write_bytes(data[: len(data) // 3])
    capsys.readouterr()
    code, _, err = run(capsys, *[a.format(**study) for a in args])
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facebridge: error:") and "Traceback" not in err, err
    assert message in lines[0]


def test_evaluate_writes_bob_and_pyeer_score_files(study, capsys) -> None:
    scores = study["dir"] / "scores.csv"
    code, stdout, stderr = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", study["pairs"], "--target",
                               study["b"], "--scores", scores)  # fmt: skip
    assert code == 0, stderr
    lines = scores.read_text().splitlines()
    assert len(lines) == 320 and all(len(line.split()) == 5 for line in lines)
    claimed, model, real, probe, _ = lines[0].split()
    assert claimed == real == probe.split("/")[0] == model.split("/")[0]  # the first pair is genuine
    assert model != probe  # both photos are named
    genuine = (study["dir"] / "scores_genuine.txt").read_text().split()
    impostor = (study["dir"] / "scores_impostor.txt").read_text().split()
    assert len(genuine) == len(impostor) == 160
    assert "TAR@FAR 0.1:" in stdout and "TAR@FAR 0.01:" in stdout and "TAR@FAR 0.001" not in stdout  # 160 impostors
