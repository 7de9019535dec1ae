"""``facebridge audit`` end to end on a toy study: the standalone report, defences, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facebridge.cli.main import main
from facebridge.embeddings import write_parquet
from facebridge.experiments.upgrade.study import UPGRADE_METHOD
from facebridge.protocols import PairList
from tests.experiments.toy_studies import toy_study


def _lfw_pairs_file(pairs: PairList, path: Path) -> None:
    """``pairs`` in LFW View 2 format (each fold: its matched pairs, then its mismatched pairs)."""
    lines = []
    for k in pairs.fold_ids:
        for same in (True, False):
            for a, b in zip(pairs.id_a[(pairs.fold == k) & (pairs.same == same)],
                            pairs.id_b[(pairs.fold == k) & (pairs.same == same)], strict=True):  # fmt: skip
                na, ia = a.split("/")[1].removesuffix(".jpg").rsplit("_", 1)
                nb, ib = b.split("/")[1].removesuffix(".jpg").rsplit("_", 1)
                lines.append(f"{na} {int(ia)} {int(ib)}" if same else f"{na} {int(ia)} {nb} {int(ib)}")
    per_fold = int(((pairs.fold == pairs.fold_ids[0]) & pairs.same).sum())
    path.write_text(f"{pairs.n_folds}\t{per_fold}\n" + "\n".join(lines) + "\n")


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    sets, pairs = toy_study(n_people=64, rotation=True)
    for name, es in sets.items():
        write_parquet(es, tmp_path / "store" / f"{name}.parquet")
    (tmp_path / "data" / "lfw").mkdir(parents=True)
    _lfw_pairs_file(pairs, tmp_path / "data" / "lfw" / "pairs.txt")
    return tmp_path


def test_audit_writes_a_standalone_report_with_its_verdict_first(store: Path, capsys) -> None:
    out = store / "report"
    code = main(["audit", "--leaked", str(store / "store/m0.parquet"), "--reference", str(store / "store/m1.parquet"),
                 "--budgets", "0,5,40", "--seeds", "2", "--out", str(out), "--defences", "--defence-budgets", "40",
                 "--data", str(store / "data")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "results.json").read_text())
    assert [(p["leaked"], p["reference"]) for p in results["pairs"]] == [("m0", "m1")]
    labels = {d["label"] for d in results["defences"]}
    assert {"none", "rotation", "noise 0.5", "pca 8"} <= labels and "biohash 64" not in labels  # m0 has 12 dims
    md = (out / "report.md").read_text()
    k = results["pairs"][0]["k_link"]["mean"]
    assert md.split("\n\n")[1].startswith(f"> - Linking m0 → m1: rank-1 passes 50% at k = {k} paired images.")
    threat = md.index("Threat model. Templates of system A (model m0)")
    assert md.index("## Defences") < md.index("## Threat model and settings") < threat
    assert "'leaked'" not in md and "'reference'" not in md and "leaked (A)" not in md
    assert "figures/audit_curves.png" in md and "figures/audit_defences.png" in md
    assert (out / "figures" / "audit_curves.png").stat().st_size > 0
    assert "data:image/png;base64," in (out / "report.html").read_text()


def test_audit_over_a_store_draws_the_heatmap(store: Path) -> None:
    out = store / "all"
    code = main(["audit", "--store", str(store / "store"), "--models", "m0,m1,m2", "--budgets", "5,40", "--seeds",
                 "1", "--heatmap-k", "40", "--out", str(out)])  # fmt: skip
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["pairs"]) == 6 and results["defences"] == []
    assert (out / "figures" / "audit_heatmap_k40.png").is_file()
    assert (results["meta"]["map_method"], results["meta"]["map_params"]) == (UPGRADE_METHOD, {})  # the upgrade's map
    fixed = store / "fixed"
    code = main(["audit", "--store", str(store / "store"), "--models", "m0,m1", "--budgets", "40", "--seeds", "1",
                 "--heatmap-k", "40", "--alpha", "0.1", "--out", str(fixed)])  # fmt: skip
    assert code == 0
    meta = json.loads((fixed / "results.json").read_text())["meta"]
    assert (meta["map_method"], meta["map_params"]) == ("affine_fixed", {"alpha": 0.1})


def test_own_budgets_are_capped_up_front_and_the_heatmap_takes_one_of_them(store: Path, capsys) -> None:
    """A budget above the attacker's images stopped the run after its progress bar; budgets without 100 failed on
    the heatmap; the TAR@FAR of 32 victims (992 impostor pairs) came without evaluate's warning."""
    out = store / "own"
    code = main(["audit", "--store", str(store / "store"), "--models", "m0,m1", "--budgets", "0,5,30,5000,90000",
                 "--seeds", "2", "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    flat = " ".join(captured.out.split())
    results = json.loads((out / "results.json").read_text())
    fewest = min(p["n_attacker_images"] for p in results["pairs"])  # the same split for both pairs
    assert f"note: budgets 5000, 90000 exceed the {fewest} attacker-side images" in flat
    assert f"budgets now 0, 5, 30, {fewest}" in flat and results["meta"]["budgets"] == [0, 5, 30, fewest]
    assert "note: heatmap at budget 30, the budget closest to 100" in flat and results["meta"]["heatmap_k"] == 30
    assert (out / "figures" / "audit_heatmap_k30.png").is_file()
    assert flat.startswith("note: budgets")  # said before the run (whose progress goes to stderr) printed anything
    n = results["pairs"][0]["n_victims"]
    warning = f"warning: TAR @ FAR 0.001 is not resolved: {n}/{n * (n - 1)} genuine/impostor pairs per seed"
    assert n * (n - 1) < 1000 and warning in flat and warning in (out / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budgets", "10,x"], "comma-separated integers"),
        (["--budgets", "-5"], "integers >= 0"),
        (["--reference", "{b}", "--reference", "{b}"], "same number of times"),
        (["--evaluated-fraction", "1.5"], "evaluated_fraction"),
        (["--budgets", "5,40", "--heatmap-k", "100", "--reference", "{b}", "--leaked", "{b}", "--reference", "{a}"],
         "--heatmap-k 100 is not among the budgets"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(store: Path, capsys, args: list[str], message: str) -> None:
    a, b = str(store / "store/m0.parquet"), str(store / "store/m1.parquet")
    base = ["audit", "--leaked", a, "--out", str(store / "bad")]
    if "--reference" not in args:
        base += ["--reference", b]
    code = main(base + [x.replace("{b}", b).replace("{a}", a) for x in args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (store / "bad" / "results.json").exists()


def test_an_interrupted_run_resumes_from_its_checkpoint(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import facebridge.experiments.privacy.audit_run as audit_run

    args = ["audit", "--store", str(store / "store"), "--models", "m0,m1", "--budgets", "5,40", "--seeds", "1",
            "--heatmap-k", "40", "--out", str(store / "resume")]  # fmt: skip
    assert main(args) == 0
    first = json.loads((store / "resume" / "results.json").read_text())

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("a finished pair was recomputed")

    monkeypatch.setattr(audit_run, "audit_pairs", fail)
    assert main(args) == 0
    again = json.loads((store / "resume" / "results.json").read_text())
    assert again["pairs"] == first["pairs"]
    monkeypatch.undo()
    assert main([*args[:-2], "--seeds", "2", "--out", str(store / "resume")]) == 0  # other settings: recomputed
    assert len(json.loads((store / "resume" / "results.json").read_text())["meta"]["seeds"]) == 2
