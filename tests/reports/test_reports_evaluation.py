"""``evaluate --report``: a report folder whose verdict box reads the evaluation's own JSON numbers."""

from __future__ import annotations

import json
from pathlib import Path

from facebridge.cli.main import main
from facebridge.embeddings import write_parquet
from facebridge.reports.evaluation import resolved_roc
from tests.helpers import synthetic_study


def _study(tmp_path: Path) -> list[str]:
    pairs, source, target = synthetic_study()
    write_parquet(source, tmp_path / "a.parquet")
    write_parquet(target, tmp_path / "b.parquet")
    lines = ["path1,path2,same,fold"]
    lines += [f"{a},{b},{int(s)},{f}" for a, b, s, f in zip(pairs.id_a, pairs.id_b, pairs.same, pairs.fold,
                                                            strict=True)]  # fmt: skip
    (tmp_path / "pairs.csv").write_text("\n".join(lines) + "\n")
    return ["evaluate", "--protocol", "pairs", "--pairs", str(tmp_path / "pairs.csv"), "--target",
            str(tmp_path / "b.parquet")]  # fmt: skip


def test_a_mapped_evaluation_report_leads_with_accuracy_and_penalty(tmp_path: Path, capsys) -> None:
    common = _study(tmp_path)
    out = tmp_path / "report"
    code = main([*common, "--source", str(tmp_path / "a.parquet"), "--fit", "affine", "--mode", "cross",
                 "--json", str(tmp_path / "r.json"), "--report", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "r.json").read_text())
    v, native = result["verification"], result["native"]
    md = (out / "report.md").read_text(encoding="utf-8")
    title, verdict = md.split("\n\n")[:2]
    assert title == "# facebridge evaluation: model-a → model-b (affine, cross mode) on PAIRS"
    mean, pen = f"{100 * v['accuracy_mean']:.2f}", f"{result['penalty_points']:+.2f}".replace("+0.00", "0.00")
    assert verdict.startswith(f"> - model-a → model-b (affine, cross mode): accuracy {mean}% ± ")
    assert f"> - Penalty against model-b alone on the same pairs: {pen} points (native " in verdict
    assert f"{100 * native['accuracy_mean']:.2f}%" in verdict
    assert md.index("figures/roc.png") < md.index("## Setup")  # the setup last
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<div class="verdict">' in html and html.count("data:image/png;base64,") == 1 and "http" not in html
    assert (out / "figures" / "roc.png").is_file() and (out / "figures" / "roc.svg").is_file()


def test_a_native_report_has_no_penalty_and_its_roc_only_resolved_fars(tmp_path: Path, capsys) -> None:
    out = tmp_path / "native"
    assert main([*_study(tmp_path), "--json", str(tmp_path / "n.json"), "--report", str(out)]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# facebridge evaluation: model-b on PAIRS\n\n> - model-b: accuracy ")
    assert "Penalty" not in md and "Map:" not in md
    v = json.loads((tmp_path / "n.json").read_text())["verification"]
    roc = resolved_roc(v)
    assert roc["far"] and min(roc["far"]) * v["n_impostor"] >= 1 and max(roc["tar"]) <= 100.0


def test_a_report_path_that_is_a_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "taken").write_text("x")
    code = main([*_study(tmp_path), "--report", str(tmp_path / "taken")])
    err = capsys.readouterr().err
    assert code == 2 and "--report" in err and err.count("\n") == 1
