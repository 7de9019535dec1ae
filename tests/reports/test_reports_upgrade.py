"""The "Model upgrade" section: its heatmap shows the table's rank-1 losses, its summary sentences are read off the
results, and 56 pairs give one row per pair in each table, collapsed in HTML."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from facebridge.experiments.upgrade.study import upgrade_study
from facebridge.maps import make_map
from facebridge.reports.document import Bullets, Figure, Table, render_markdown
from facebridge.reports.html import html_table
from facebridge.reports.upgrade import rank1_losses, upgrade_section
from tests.experiments.toy_studies import toy_study


def _run(source: str, target: str, loss: float, before: float, after: float) -> dict:
    """A pair's results with rank-1 ``0.95`` re-enrolled and ``0.95 - loss / 100`` migrated, and the FAR realised at
    the 1e-3 target ``before`` and ``after`` calibration."""

    def mode(far: float) -> dict:
        return {"far": far, "tar": 0.9, "false_accepts": round(far * 1e5), "n_impostor": 100000,
                "true_accepts": 900, "n_genuine": 1000}  # fmt: skip

    rates = {"self": 0.95, "migrated_gallery": 0.95 - loss / 100, "mapped_probes": 0.9, "old": 0.8}
    return {
        "source": source,
        "target": target,
        "method": "affine_cv",
        "summary": {s: {"rank1": r, "dir_open@0.01": r - 0.1} for s, r in rates.items()},
        "thresholds": {"0.001": {"native": mode(1e-3), "uncalibrated": mode(before), "calibrated": mode(after)}},
        "folds": [{"map_params": {"alpha": 0.1}}, {"map_params": {"alpha": 3.0}}],
    }


def _upgrade(runs: list[dict]) -> dict:
    fold = {"gallery": 10, "distractor": 5, "mated": 20, "nonmated": 8}
    return {"split": {"n_images": 200, "n_folds": 2, "seed": 0, "open_fraction": 0.25, "per_fold": [fold]},
            "pairs": runs}  # fmt: skip


def _of(blocks: list, kind: type) -> list:
    return [b for b in blocks if isinstance(b, kind)]


@pytest.fixture(scope="module")
def toy_upgrade() -> dict:
    sets, _ = toy_study(n_people=48)
    return upgrade_study(sets, list(itertools.permutations(sets, 2)), lambda: make_map("affine_fixed"), method="affine",
                         n_folds=3)  # fmt: skip


def test_the_heatmap_shows_the_tables_rank1_losses(toy_upgrade: dict) -> None:
    blocks = upgrade_section(toy_upgrade)
    (figure,) = _of(blocks, Figure)
    table = _of(blocks, Table)[0]
    column = table.header.index("migrated − self (points)")
    shown = {row[0]: -float(row[column]) for row in table.rows}
    fig = figure.draw()
    grid = fig.axes[0].images[0].get_array()
    models = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert models == ["m0", "m1", "m2"] and np.ma.count_masked(grid) == 3  # the diagonal: no pair
    for loss in rank1_losses(toy_upgrade["pairs"]):
        cell = grid[models.index(loss["source"]), models.index(loss["target"])]
        assert cell == loss["rank1_loss"]
        assert cell == pytest.approx(shown[f"{loss['source']} → {loss['target']}"], abs=0.05 + 1e-9)
    assert any(loss["rank1_loss"] != 0 for loss in rank1_losses(toy_upgrade["pairs"]))


def test_the_summary_sentences_come_from_the_results() -> None:
    runs = [_run("a", "b", 1.0, 4e-3, 1.1e-3), _run("b", "a", 3.0, 5e-4, 2.5e-3), _run("a", "c", 2.0, 2e-3, 9e-4)]
    summary, transition = _of(upgrade_section(_upgrade(runs)), Bullets)
    assert transition.items == (
        "Migrating the gallery with affine_cv: rank-1 2.00 points below re-enrolment (median; worst 3.00); 0 of 3 "
        "real upgrades identify worse than keeping the old system.",
    )
    assert summary.items == (
        "Rank-1 lost by migrating the gallery instead of re-enrolling with B: median 2.00 points over 3 pairs; worst "
        "b → a (3.00 points).",
        "FAR realised at the 1e-3 target with the operator's native-B threshold (before calibration): median 2e-3; "
        "farthest from the target a → b (4e-3).",
        "After calibration on the training folds: median 1.1e-3; farthest from the target b → a (2.5e-3); 2 of 3 "
        "pairs within a factor of 2 of 1e-3.",
    )
    runs[2] = _run("a", "c", 0.5, 2e-3, 1e-4)
    summary = _of(upgrade_section(_upgrade(runs)), Bullets)[0]
    assert "median 1.00 points" in summary.items[0]
    assert summary.items[2].endswith("from the target a → c (1e-4); 1 of 3 pairs within a factor of 2 of 1e-3.")


def test_56_pairs_give_a_full_heatmap_and_tables_collapsed_in_html() -> None:
    models = [f"model-{i}" for i in range(8)]
    rng = np.random.default_rng(0)
    runs = [_run(a, b, float(rng.uniform(0, 5)), 1e-3, 1e-3) for a, b in itertools.permutations(models, 2)]
    blocks = upgrade_section(_upgrade(runs))
    md = render_markdown(blocks)
    assert "## Model upgrade" in md and "over 56 pairs" in md and "56 of 56 pairs within a factor of 2" in md
    assert "alpha chosen per fold, 0.1 to 3" in md and "Quick run" not in md
    tables = _of(blocks, Table)
    assert [len(t.rows) for t in tables] == [56, 56]  # one row per pair in each
    assert all(html_table(t).startswith("<details><summary>") for t in tables)
    (figure,) = _of(blocks, Figure)
    grid = figure.draw().axes[0].images[0].get_array()
    assert grid.shape == (8, 8) and np.ma.count(grid) == 56


def test_the_baseline_gets_its_own_heatmap_and_the_transition_its_sentences() -> None:
    runs = [_run("a", "b", 10.0, 1e-3, 1e-3), _run("b", "a", 20.0, 1e-3, 1e-3)]
    for run, fused in zip(runs, (0.9, 0.7), strict=True):  # fused: 5 and 25 points below self, one below old (0.8)
        run["summary"] |= {"fused": {"rank1": fused}, "reenrolled_25": {"rank1": 0.9}}
    base = [_run("a", "b", 30.0, 1e-3, 1e-3), _run("b", "a", 40.0, 1e-3, 1e-3)]
    upgrade = _upgrade(runs) | {"baseline": {"method": "affine", "pairs": base}}
    blocks = upgrade_section(upgrade)
    assert [f.name for f in _of(blocks, Figure)] == ["upgrade_rank1_loss", "baseline_upgrade_rank1_loss"]
    md = render_markdown(blocks)
    assert "Baseline affine, same split: rank-1 lost by migrating median 35.00 points, worst 40.00; 2 of 2 real " in md
    transition = _of(blocks, Bullets)[1].items
    assert transition[1] == (
        "Fusing the old gallery (A probes) with the migrated one (B probes): rank-1 15.00 points below re-enrolment "
        "(median; worst 25.00); 1 of 2 real upgrades identify worse than keeping the old system."
    )
    assert transition[2].startswith("Migrating, then re-enrolling the 25% of people seen again: rank-1 5.00 points")
