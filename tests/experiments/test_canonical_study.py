"""The canonical-space study on a toy: folds never train on their own people, the route through an exact shared
space costs what a direct map costs, and the report states every goal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.experiments.canonical.run import run_canonical_study
from facebridge.experiments.canonical.study import CanonSettings, all_stats, fold_stats
from facebridge.experiments.shared.data import study_data
from facebridge.maps.canonical import JointStats
from facebridge.reports.canonical import write_canonical_report
from tests.helpers import synthetic_study

N_PEOPLE, PER_PERSON = 48, 5


def toy_sets(seed: int = 0) -> dict[str, EmbeddingSet]:
    """Four models, each an exact linear image (own width) of one 8-d identity space: one space fits them all."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_PEOPLE, 8))
    latent = np.repeat(centres, PER_PERSON, axis=0) + 0.5 * rng.standard_normal((N_PEOPLE * PER_PERSON, 8))
    ids = np.array([f"P{p:02d}/P{p:02d}_{i + 1:04d}.jpg" for p in range(N_PEOPLE) for i in range(PER_PERSON)], object)
    widths = (10, 12, 9, 11)
    return {
        f"m{j}": EmbeddingSet(ids, (latent @ rng.standard_normal((8, w))).astype(np.float32), Fingerprint(f"m{j}"))
        for j, w in enumerate(widths)
    }


@pytest.fixture(scope="module")
def results() -> dict:
    sets = toy_sets()
    view2 = synthetic_study(n_people=N_PEOPLE, per_person=PER_PERSON, n_folds=4)[0]
    view1 = synthetic_study(n_people=N_PEOPLE, per_person=PER_PERSON, n_folds=2)[0]
    settings = CanonSettings(dims=(4, 8), alpha=1e-3)
    saved: list[list[str]] = []
    out = run_canonical_study(sets, view2, view1, settings, say=lambda line: None,
                              save=lambda so_far: saved.append(sorted(so_far)))
    return {**out, "saved": saved}


def test_results_are_saved_stage_by_stage(results: dict) -> None:
    assert [len(keys) for keys in results["saved"]] == [4, 5, 7, 8]
    assert results["saved"][-1] == sorted(k for k in results if k != "saved")


def test_each_fold_is_fitted_only_on_people_outside_it() -> None:
    data = study_data(toy_sets(), synthetic_study(n_people=N_PEOPLE, per_person=PER_PERSON, n_folds=4)[0])
    stats = fold_stats(data, all_stats(data))
    for k in data.fold_ids:
        train = data.allowed(frozenset({k}))
        assert not np.isin(np.flatnonzero(train), np.flatnonzero(data.in_fold(k))).any()
        fresh = JointStats.from_arrays({m: v[train] for m, v in data.vectors.items()})
        assert stats[k].n == int(train.sum()) < data.n
        np.testing.assert_allclose(stats[k].scatter(), fresh.scatter(), atol=1e-5)  # float32 rows


def test_every_candidate_pair_and_model_is_scored(results: dict) -> None:
    v2 = results["view2"]
    assert set(results["view1"]) == {"hub-m0", "hub-m1", "hub-m2", "hub-m3", "gpa-4", "gpa-8", "maxvar-4", "maxvar-8"}
    assert set(v2["candidates"]) == set(results["per_method"]) and results["chosen"] in v2["candidates"]
    assert [k.split("-")[0] for k in results["per_method"]] == ["hub", "gpa", "maxvar"]
    for row in v2["candidates"].values():
        assert len(row["route"]) == len(row["both"]) == 12
    assert set(results["leave_one_out"]["models"]) <= {"m0", "m1", "m2", "m3"}
    for row in results["leave_one_out"]["models"].values():
        assert len(row["route_via_all"]) == len(row["route_via_one"]) == 6
    mixed = results["mixed_gallery"]
    assert mixed["people"] == N_PEOPLE and 0 <= mixed["rank1_mixed"] <= 100
    assert 0 <= mixed["rank1_mixed_pairwise"] <= 100


def test_an_exact_shared_space_routes_as_well_as_direct_maps(results: dict) -> None:
    assert results["per_method"][2] == "maxvar-8"  # View 1 picks the latent width
    row = results["view2"]["candidates"]["maxvar-8"]
    assert abs(row["median_gap"]) < 1.0, row["median_gap"]
    assert results["view1"]["maxvar-4"]["median_route"] > results["view1"]["maxvar-8"]["median_route"] + 5


def test_one_space_file_is_smaller_than_the_pair_maps(results: dict) -> None:
    sizes = results["sizes"]
    assert sizes["pair_map_files"] == 12 and 0 < sizes["canonical_file_bytes"] < sizes["pair_maps_bytes"]


def test_report_states_each_goal(results: dict, tmp_path: Path) -> None:
    js, md = write_canonical_report(results, tmp_path)
    text = md.read_text()
    assert "## Canonical space" in text and text.count("goal within") == 3
    assert f"**{results['chosen']}**" in text and js.is_file()


def test_a_snapshot_run_says_so(results: dict, tmp_path: Path) -> None:
    snapshot = {"images_shared": 9, "view2_pairs": 8, "view1_pairs": 7}
    snap = {**results, "meta": {**results["meta"], "snapshot": snapshot}}
    _, md = write_canonical_report(snap, tmp_path)
    assert "**Preliminary**: run on the 9 images" in md.read_text()


def test_the_reports_workflow_runs_as_written(results: dict, tmp_path: Path, monkeypatch, capsys) -> None:
    """The report's three commands (fit the chosen space, join the last model, search a mixed gallery), run on the
    study's own toy sets with STORE and the gallery/probe names made real: each exits 0 and the search writes hits."""
    import shlex

    from facebridge.cli.main import main
    from facebridge.embeddings.io import write_parquet as write_embeddings
    from facebridge.reports.canonical import workflow

    monkeypatch.chdir(tmp_path)
    sets = toy_sets()
    (tmp_path / "store").mkdir()
    for name, es in sets.items():
        write_embeddings(es, tmp_path / "store" / f"{name}.parquet")
    commands = workflow(results)
    _, md = write_canonical_report(results, tmp_path / "report")
    assert all(f"`{c}`" in md.read_text() for c in commands)
    first, *_, last = results["meta"]["models"]
    half = len(sets[first].ids) // 2
    for name, rows in ((first, slice(0, half)), (last, slice(half, None))):  # a gallery of two models' templates
        es = sets[name]
        write_embeddings(EmbeddingSet(es.ids[rows], es.vectors[rows], es.fingerprint), f"{name}_gallery.parquet")
    probe_model = results["meta"]["models"][-2]
    write_embeddings(sets[probe_model], f"{probe_model}_probes.parquet")
    for command in commands:
        args = shlex.split(command.replace("STORE", "store"))[1:]
        assert main(args) == 0, capsys.readouterr().err
    assert Path("hits.parquet").is_file()
