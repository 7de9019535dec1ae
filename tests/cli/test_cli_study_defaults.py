"""The CLI says what the study says: the whitened view with the study's shrink and normalisation, the penalty's sign,
the video template, one estimator per method name, fit-size warnings, and a map scored only in its own target space
(issue 24)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
from facebridge.experiments.shared.data import study_data
from facebridge.experiments.verification.methods import AffineWhitened, get_method
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.penalty import run_penalty
from facebridge.experiments.verification.task import FoldTask
from facebridge.maps import WHITEN_SHRINK, AffineMap, AffineRidgeCV, TargetView, load_map
from tests.experiments.toy_studies import toy_study


class FixedWhitened(AffineWhitened):
    """affine_whitened's view around the CLI's ``affine_fixed`` map (alpha 1e-3), so both sides fit one estimator
    (the CLI's ``affine`` chooses alpha over the pool's people, the study's over the other folds)."""

    info = replace(AffineWhitened.info, key="fixed_whitened")

    def fit(self, task: FoldTask) -> AffineMap:
        return AffineMap().fit_stats(task.train_stats())


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> tuple[dict[str, EmbeddingSet], object, dict[str, Path]]:
    sets, pairs = toy_study(n_people=64)
    sets = {m: EmbeddingSet(es.ids, es.vectors.astype(np.float32), es.fingerprint) for m, es in sets.items()}
    root = tmp_path_factory.mktemp("toy")
    files = {m: root / f"{m}.parquet" for m in sets}
    for m, es in sets.items():
        write_parquet(es, files[m])
    rows = [f"{a},{b},{int(s)},{f}" for a, b, s, f in zip(pairs.id_a, pairs.id_b, pairs.same, pairs.fold, strict=True)]
    (root / "pairs.csv").write_text("path1,path2,same,fold\n" + "\n".join(rows) + "\n")
    files["pairs"], files["dir"] = root / "pairs.csv", root
    return sets, pairs, files


def evaluate_json(capsys, files: dict[str, Path], *args: object) -> dict:
    out = files["dir"] / "r.json"
    code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--json", out, *args)
    assert code == 0, err
    return json.loads(out.read_text())


def test_cli_whitened_numbers_equal_the_studys(toy, capsys) -> None:
    """The study's whitened view (shrink WHITEN_SHRINK, learnt on unit rows per fold) and the CLI's --view whitened
    give the same native and cross accuracies on the same data; raw vectors are normalised in the view as in its fit."""
    sets, pairs, files = toy
    assert max(np.linalg.norm(sets["m1"].vectors, axis=1)) > 2  # raw rows, far from the unit rows the view learns
    studied = {r.method: r for r in run_penalty(GroupMoments(study_data(sets, pairs)), [
        get_method("affine_whitened"), FixedWhitened()]) if (r.source, r.target) == ("m0", "m1")}  # fmt: skip
    native = evaluate_json(capsys, files, "--target", files["m1"], "--view", "whitened")
    assert native["view"]["shrink"] == WHITEN_SHRINK
    assert native["verification"]["fold_accuracy"] == pytest.approx(studied["affine_whitened"].native.fold_accuracy)
    cross = evaluate_json(capsys, files, "--target", files["m1"], "--source", files["m0"], "--fit", "affine_fixed",
                          "--mode", "cross", "--view", "whitened")  # fmt: skip
    assert cross["verification"]["fold_accuracy"] == pytest.approx(studied["fixed_whitened"].cross.fold_accuracy)
    assert cross["native"]["fold_accuracy"] == pytest.approx(studied["affine_whitened"].native.fold_accuracy)
    # the study's penalty and its sign: native minus cross, in points, a loss > 0
    assert cross["penalty_points"] == pytest.approx(
        100 * (studied["fixed_whitened"].native.mean - studied["fixed_whitened"].cross.mean)
    )
    shrunk = evaluate_json(capsys, files, "--target", files["m1"], "--view", "whitened", "--shrink", "0.1")
    assert shrunk["view"]["shrink"] == 0.1


def test_fit_carries_the_studys_view(toy, capsys) -> None:
    _, _, files = toy
    out = files["dir"] / "w.fbmap"
    code, _, err = run(capsys, "fit", "--source", files["m0"], "--target", files["m1"], "--method", "ridge",
                       "--view", "whitened", "--out", out, "--force")  # fmt: skip
    assert code == 0, err
    view = load_map(out).view
    assert view.get_params() == TargetView("whitened").get_params() and view.shrink == WHITEN_SHRINK


def test_penalty_is_native_minus_mapped_and_labelled(toy, capsys) -> None:
    _, _, files = toy
    code, out, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--target",
                         files["m1"], "--source", files["m2"], "--fit", "ridge", "--mode", "cross",
                         "--json", files["dir"] / "p.json")  # fmt: skip
    assert code == 0, err
    result = json.loads((files["dir"] / "p.json").read_text())
    loss = 100 * (result["native"]["accuracy_mean"] - result["verification"]["accuracy_mean"])
    assert abs(loss) > 1 and result["penalty_points"] == pytest.approx(loss)  # native - mapped, not the reverse
    assert "native accuracy - mapped accuracy" in result["penalty_definition"]
    flat = " ".join(out.split())
    assert "penalty vs native (native - mapped)" in flat and f"{loss:+.2f} points" in flat


def test_video_default_is_the_studys_template() -> None:
    import inspect

    from facebridge.cli.commands import evaluate
    from facebridge.experiments.verification.study import run_ytf_study

    study_default = inspect.signature(run_ytf_study).parameters["aggregation"].default
    assert study_default == "mean_normalized"
    assert inspect.signature(evaluate).parameters["video"].default == study_default


@pytest.mark.parametrize(("name", "cls"), [("affine", AffineRidgeCV), ("affine_fixed", AffineMap)])
def test_fit_and_evaluate_fit_build_the_same_estimator(toy, capsys, name: str, cls: type) -> None:
    """One method name is one estimator: ``fit --method`` and ``evaluate --fit`` (and the library) agree."""
    _, _, files = toy
    out = files["dir"] / f"{name}.fbmap"
    code, stdout, err = run(capsys, "fit", "--source", files["m0"], "--target", files["m1"], "--method", name,
                            "--out", out, "--force")  # fmt: skip
    assert code == 0, err
    fitted = load_map(out).estimator
    result = evaluate_json(capsys, files, "--target", files["m1"], "--source", files["m0"], "--fit", name, "--mode",
                           "cross")  # fmt: skip
    assert type(fitted) is cls and result["method"] == fitted.method == name
    assert result["params"] == json.loads(json.dumps(fitted.get_params()))
    assert f"fitted {name}" in stdout


def test_a_fixed_alpha_for_the_cross_validated_map_is_refused_with_the_other_name(toy, capsys) -> None:
    _, _, files = toy
    for args in (("fit", "--method", "affine", "--alpha", "0.5", "--out", files["dir"] / "x.fbmap"),
                 ("evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--fit", "affine", "--alpha", "0.5",
                  "--mode", "cross")):  # fmt: skip
        code, _, err = run(capsys, *args, "--source", files["m0"], "--target", files["m1"])
        assert code == 2 and len(err.strip().splitlines()) == 1 and "--method affine_fixed --alpha 0.5" in err


def test_evaluate_fit_prints_the_fit_size_warnings(toy, capsys) -> None:
    """A per-fold fit on 42 people's images warns that few people were fitted on (as ``fit`` does)."""
    _, _, files = toy
    result = evaluate_json(capsys, files, "--target", files["m1"], "--source", files["m0"], "--fit", "ridge",
                           "--mode", "cross")  # fmt: skip
    assert any(n.startswith("warning: the map is fitted on images of") and "people" in n for n in result["notes"])
    code, out, _ = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--target", files["m1"],
                       "--source", files["m0"], "--fit", "ridge", "--mode", "cross")  # fmt: skip
    assert code == 0 and "warning: the map is fitted on images of" in " ".join(out.split())


def test_evaluate_map_refuses_a_target_of_another_model(toy, capsys) -> None:
    """A map into m1 scored against m2's vectors (``search`` refuses this too): one line, exit code 2."""
    sets, _, files = toy
    out = files["dir"] / "m0_to_m1.fbmap"
    assert run(capsys, "fit", "--source", files["m0"], "--target", files["m1"], "--out", out, "--force")[0] == 0
    same_width = EmbeddingSet(sets["m1"].ids, sets["m1"].vectors[:, ::-1].copy(), Fingerprint("other-model"))
    write_parquet(same_width, files["dir"] / "other.parquet")
    for target in (files["m2"], files["dir"] / "other.parquet"):
        code, _, err = run(capsys, "evaluate", "--protocol", "pairs", "--pairs", files["pairs"], "--target", target,
                           "--source", files["m0"], "--map", out, "--mode", "cross")  # fmt: skip
        assert code == 2 and len(err.strip().splitlines()) == 1 and "map outputs m1" in err
