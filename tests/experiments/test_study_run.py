"""The study end to end on synthetic models: known answers, agreement with the plain fold-wise evaluator, the
results contract, and determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.experiments import evaluate
from facebridge.experiments.verification.methods import STUDY_METHODS, get_method
from facebridge.experiments.verification.study import StudyResults, run_study
from facebridge.maps import make_map
from tests.experiments.toy_studies import toy_study

FAST = ["ridge_study", "affine_cv", "procrustes", "affine_centred", "affine_whitened"]


@pytest.fixture(scope="module")
def toy() -> tuple[dict, object, StudyResults]:
    sets, pairs = toy_study()
    return sets, pairs, run_study(sets, pairs, quick=True, seed=3, methods=[*FAST, "kernel_whitened"], workers=2)


def _row(rows: list[dict], **match: object) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, match
    return found[0]


def test_an_exact_rotation_costs_nothing() -> None:
    sets, pairs = toy_study(rotation=True)
    result = run_study(sets, pairs, quick=True, methods=FAST).to_dict()
    for method in ("procrustes", "affine_cv", "affine_centred", "affine_whitened"):
        for source, target in (("m0", "m1"), ("m1", "m0")):
            row = _row(result["penalty"], source=source, target=target, method=method)
            assert row["penalty"] == pytest.approx(0.0, abs=1e-9), (method, source, target)
            assert _row(result["modes"], source=source, target=target, method=method)["both"] == pytest.approx(
                row["native_target"], abs=1e-9
            )
    m0, m1 = (_row(result["native"], model=m) for m in ("m0", "m1"))
    assert m0["fold_accuracy"] == pytest.approx(m1["fold_accuracy"])  # cosine is blind to the rotation


def test_study_methods_agree_with_the_fold_wise_evaluator(toy: tuple) -> None:
    sets, pairs, results = toy
    d = results.to_dict()
    factories = {
        "ridge_study": lambda: make_map("ridge", alpha=1.0, fit_intercept=False),
        "procrustes": lambda: make_map("procrustes"),
    }
    for source, target in (("m0", "m2"), ("m2", "m1")):
        for method, factory in factories.items():
            for mode in ("cross", "both"):
                ref = evaluate(pairs, sets[target], source=sets[source], mode=mode, fit=factory)
                row = _row(d["modes"], source=source, target=target, method=method)
                assert row[mode] == pytest.approx(100 * ref.verification.mean, abs=1e-9), (method, mode)
        alphas = iter(_row(d["penalty"], source=source, target=target, method="affine_cv")["params"]["alpha"])
        ref = evaluate(
            pairs,
            sets[target],
            source=sets[source],
            mode="cross",
            fit=lambda a=alphas: make_map("affine_fixed", alpha=next(a)),
        )
        row = _row(d["penalty"], source=source, target=target, method="affine_cv")
        assert row["fold_accuracy"] == pytest.approx(100 * ref.verification.fold_accuracy, abs=1e-9)
    for row in d["native"]:
        ref = evaluate(pairs, sets[row["model"]])
        assert row["mean"] == pytest.approx(100 * ref.verification.mean)
        assert row["tar_far_1e-3"] == pytest.approx(100 * ref.verification.tar_at_far[1e-3])  # percent, as accuracy
        assert row["eer"] == pytest.approx(100 * ref.verification.eer)


def test_curves_end_at_the_penalty_matrix(toy: tuple) -> None:
    _, _, results = toy
    d = results.to_dict()
    curve_method = "affine_whitened"
    for row in d["penalty"]:
        key = {"source": row["source"], "target": row["target"]}
        if row["method"] == "ridge_study":
            assert _row(d["sample_size"], **key, method="ridge_study", n="all")["median"] == pytest.approx(row["mean"])
        if row["method"] == curve_method:
            for m in ("rrr", "pca_ridge"):
                assert _row(d["rank"], **key, method=m, rank="full")["mean"] == pytest.approx(row["mean"], abs=1e-9)
    for s in d["sample_size_summary"] + d["rank_summary"]:
        assert s["full"] > 50
    assert {r["method"] for r in d["sample_size"]} == {"ridge_study", curve_method}


def test_results_follow_the_contract(toy: tuple) -> None:
    _, pairs, results = toy
    d = json.loads(json.dumps(results.to_dict()))
    assert set(d) == {
        "meta",
        "native",
        "penalty",
        "modes",
        "sample_size",
        "sample_size_summary",
        "rank",
        "rank_summary",
        "study_reference",
        "targets",
        "ytf",
        "privacy",
        "upgrade",
    }
    meta = d["meta"]
    assert meta["protocol"] == "toy" and meta["pairs"] == pairs.n and meta["folds"] == 4 and meta["quick"]
    assert meta["models"] == ["m0", "m1", "m2"] and meta["metric"] == "cosine" and meta["pool"] == "people"
    assert {m: meta["methods"][m]["family"] for m in ("affine_cv", "kernel_whitened")} == {
        "affine_cv": "linear",
        "kernel_whitened": "nonlinear",
    }
    assert len(d["penalty"]) == 6 * 6 and len(d["modes"]) == 6 * 6 and d["ytf"] is None and d["privacy"] is None
    assert d["upgrade"] is None
    for row in d["penalty"]:
        assert row["mode"] == "cross" and len(row["fold_accuracy"]) == 4
        assert row["penalty"] == pytest.approx(row["native_target"] - row["mean"])
        assert row["mean"] == pytest.approx(np.mean(row["fold_accuracy"]))
    for row in d["sample_size"]:
        assert row["q25"] <= row["median"] <= row["q75"]
        assert len(row["accuracies"]) == (1 if row["n"] == "all" else 2)
    assert d["targets"]["worst_penalty_points"] == 1.0


def test_same_seed_same_results_whatever_the_threads_and_seed_matters(toy: tuple) -> None:
    sets, pairs, results = toy
    again = run_study(sets, pairs, quick=True, seed=3, methods=[*FAST, "kernel_whitened"], workers=1).to_dict()
    first = results.to_dict()
    assert (results.meta["threads"], again["meta"]["threads"]) == (2, 1)
    for key in ("native", "penalty", "modes", "sample_size", "rank", "rank_summary", "sample_size_summary"):
        assert again[key] == first[key]
    other = run_study(sets, pairs, quick=True, seed=4, methods=["ridge_study", "affine_whitened"]).to_dict()
    assert other["sample_size"] != [
        r for r in first["sample_size"] if r["method"] in ("ridge_study", "affine_whitened")
    ]


def test_bad_requests_fail_with_a_clear_message() -> None:
    sets, pairs = toy_study()
    with pytest.raises(NotFoundError, match="unknown study method 'ridge'"):
        run_study(sets, pairs, quick=True, methods=["ridge"])
    with pytest.raises(InvalidInputError, match="at least two models"):
        run_study({"m0": sets["m0"]}, pairs, quick=True)
    with pytest.raises(InvalidInputError, match="workers must be an integer >= 1, got 0"):
        run_study(sets, pairs, quick=True, workers=0)
    with pytest.raises(InvalidInputError, match="curve_method must be an affine ridge method"):
        run_study(sets, pairs, quick=True, methods=["ridge_study"], curve_method="procrustes")
    assert set(STUDY_METHODS) == {"ridge_study", "affine_cv", "procrustes"}
    assert get_method("affine_cv").info.family == "linear"
