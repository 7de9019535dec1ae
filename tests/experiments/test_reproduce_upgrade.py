"""``reproduce`` runs the model-upgrade study beside the study: the same numbers as ``upgrade_study`` called directly,
checkpointed per pair, skipped with ``upgrade=False`` / ``--no-upgrade``, and calibration blind to each test fold."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from facebridge.cli.main import main
from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments import reproduce as reproduce_module
from facebridge.experiments.reproduce import UPGRADE, UPGRADE_QUICK, reproduce
from facebridge.experiments.shared.threads import blas_threads
from facebridge.experiments.upgrade import study as upgrade_module
from facebridge.experiments.upgrade.study import UPGRADE_METHOD, upgrade_study
from facebridge.maps import make_map
from facebridge.reports import write_study_report


def test_the_upgrade_entry_equals_upgrade_study_and_resumes_from_its_checkpoint(toy_reproduce) -> None:
    sets, inputs = toy_reproduce
    results = reproduce(inputs, privacy=False, seed=3)
    up = results.to_dict()["upgrade"]
    pairs = list(itertools.permutations(sets, 2))
    with blas_threads(1):  # as reproduce runs it: the kernel's tiny GCV penalties amplify BLAS's rounding order
        direct = upgrade_study(sets, pairs, lambda: make_map(UPGRADE_METHOD), method=UPGRADE_METHOD, seed=3)
    assert up["pairs"] == direct["pairs"] and up["split"] == direct["split"]
    assert up["split"]["n_folds"] == UPGRADE.n_folds == 5 and up["meta"]["method"] == UPGRADE_METHOD
    assert all("alpha" in fold["map_params"] for run in up["pairs"] for fold in run["folds"])
    # The baseline beside it, on the same split: upgrade_study's own numbers for affine_cv.
    with blas_threads(1):
        baseline = upgrade_study(sets, pairs, lambda: make_map("affine_cv"), method="affine_cv", seed=3)
    assert UPGRADE_METHOD != "affine_cv" and up["meta"]["baseline"] == "affine_cv"
    assert up["baseline"] == {"method": "affine_cv", "pairs": baseline["pairs"]}
    saved = sorted(inputs.upgrade_checkpoint.iterdir())
    assert len(saved) == 2 * len(up["pairs"]) == 12
    again = reproduce(inputs, privacy=False, seed=3).upgrade
    assert again is not None and again["pairs"] == up["pairs"]  # read back from the checkpoint, unchanged
    other = reproduce(inputs, privacy=False, seed=4).upgrade
    assert other is not None and other["pairs"] != up["pairs"] and len(list(inputs.upgrade_checkpoint.iterdir())) == 24


def test_quick_runs_fewer_folds_and_only_the_first_models_pairs_and_the_report_says_so(
    toy_reproduce, tmp_path: Path
) -> None:
    sets, inputs = toy_reproduce
    results = reproduce(inputs, quick=True, privacy=False)
    up = results.upgrade
    assert up is not None and up["split"]["n_folds"] == UPGRADE_QUICK.n_folds == 3
    first = {p for p in itertools.permutations(sets, 2) if "m0" in p}
    assert {(r["source"], r["target"]) for r in up["pairs"]} == first
    written = write_study_report(results.to_dict(), tmp_path / "report")
    md = (tmp_path / "report" / "report.md").read_text()
    assert "## Model upgrade" in md and "figures/upgrade_rank1_loss.png" in md
    assert "Quick run: 3 folds and only the pairs from and to m0 (4 of 6 ordered pairs)" in md
    assert "figures/upgrade_rank1_loss.png" in written


def test_without_upgrade_there_is_no_entry_and_no_section(toy_reproduce, tmp_path: Path) -> None:
    _, inputs = toy_reproduce
    results = reproduce(inputs, quick=True, privacy=False, upgrade=False)
    assert results.upgrade is None and results.to_dict()["upgrade"] is None
    write_study_report(results.to_dict(), tmp_path / "report")
    assert "Model upgrade" not in (tmp_path / "report" / "report.md").read_text()


def test_the_cli_flag_reaches_reproduce(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    seen: dict[str, object] = {}

    def stop(inputs, **kwargs):
        seen.update(kwargs, checkpoint=inputs.upgrade_checkpoint)
        raise InvalidInputError("stopped by the test")

    monkeypatch.setattr(reproduce_module, "reproduce", stop)
    assert main(["reproduce", "--no-upgrade", "--out", str(tmp_path / "r")]) == 2
    assert seen["upgrade"] is False and seen["checkpoint"] == tmp_path / "r" / "upgrade" / "checkpoint"
    assert main(["reproduce", "--out", str(tmp_path / "r")]) == 2 and seen["upgrade"] is True
    assert "stopped by the test" in capsys.readouterr().err


def test_on_the_reproduce_path_calibration_never_reads_its_test_fold(
    toy_reproduce, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every vector read while fold k is calibrated (the maps fitted for it and the folds it scores) is outside
    fold k; the maps fitted outside calibration (fold k's own) are the only other reads."""
    _, inputs = toy_reproduce
    calibrating: list[int] = []
    leaks: list[tuple[int, str]] = []
    checked = {"reads": 0}
    real_vectors_of, real_calibration = EmbeddingSet.vectors_of, upgrade_module.calibration_scores
    fold_of: dict[str, int] = {}

    def vectors_of(self: EmbeddingSet, ids: np.ndarray) -> np.ndarray:
        if calibrating:
            k = calibrating[-1]
            checked["reads"] += 1
            leaks.extend((k, i) for i in ids if fold_of[i] == k)
        return real_vectors_of(self, ids)

    def calibration_scores(a, b, split, k, fitter):
        fold_of.update(zip(split.ids, split.fold.tolist(), strict=True))
        calibrating.append(k)
        try:
            return real_calibration(a, b, split, k, fitter)
        finally:
            calibrating.pop()

    monkeypatch.setattr(EmbeddingSet, "vectors_of", vectors_of)
    monkeypatch.setattr(upgrade_module, "calibration_scores", calibration_scores)
    results = reproduce(inputs, quick=True, privacy=False)
    assert results.upgrade is not None and checked["reads"] > 0
    assert not leaks


def test_the_report_setup_has_the_run_s_stage_table(toy_reproduce, tmp_path: Path) -> None:
    _, inputs = toy_reproduce
    results = reproduce(inputs, quick=True, privacy=False)
    assert results.meta["threads"] == inputs.workers == inputs.study_threads  # the study's threads: the workers
    assert replace(inputs, executor=ThreadPoolExecutor(1)).study_threads is None  # a cluster's: the local CPUs
    stages = results.meta["stages_s"]
    assert list(stages) == ["load", "embed", "moments", "penalty", "rank", "sample_size", "study, other", "upgrade"]
    assert stages["upgrade"] == results.upgrade["meta"]["duration_s"]
    assert stages["penalty"] == results.meta["timings_s"]["penalty"]
    write_study_report(results.to_dict(), tmp_path / "report")
    md = (tmp_path / "report" / "report.md").read_text()
    setup = md[md.index("## Setup") : md.index("## Methods")]
    assert "Where the run's time went" in setup and f"| all | {sum(stages.values()):.1f} |" in setup
