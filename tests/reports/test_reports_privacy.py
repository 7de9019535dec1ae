"""The audit report from a results dict: many pairs (one line each, median curve, heatmap), and its contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy.audit import k_to_link, summarize
from facebridge.reports.privacy import write_audit_report

BUDGETS = [0, 10, 100, 1000]


def _pair(a: str, b: str, strength: float) -> dict:
    points = [
        {"k": k, "seed": s, "rank1": min(1.0, strength * k / 100 + 0.01 * s), "tar@0.01": 0.1, "tar@0.001": 0.01}
        for s in (0, 1)
        for k in BUDGETS
    ]
    return {"leaked": a, "reference": b, "n_victims": 800, "n_attacker_images": 9000, "chance_rank1": 1 / 800,
            "ceiling_rank1": 0.95, "points": points, "summary": summarize(points),
            "k_link": k_to_link(points)}  # fmt: skip


def _results(n_models: int) -> dict:
    models = [f"m{i}" for i in range(n_models)]
    ordered = [(a, b) for a in models for b in models if a != b]
    pairs = [_pair(a, b, 0.04 * (i + 1) ** 2) for i, (a, b) in enumerate(ordered)]
    meta = {"budgets": BUDGETS, "seeds": [0, 1], "evaluated_fraction": 0.5, "map_method": "affine",
            "map_params": {"alpha": 0.1}, "unpaired_params": {}, "fars": [0.01, 0.001], "link_bar": 0.5,
            "heatmap_k": 100, "defence_budgets": [], "protocol": None, "duration_s": 1.0,
            "facebridge_version": "test"}  # fmt: skip
    return {"meta": meta, "pairs": pairs, "defences": []}


def test_many_pairs_get_one_row_each_a_median_curve_and_a_heatmap(tmp_path: Path) -> None:
    written = write_audit_report(_results(4), tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert sum(line.startswith("| m") for line in md.splitlines()) == 12
    assert "### Per pair" not in md  # 12 curve tables would drown the report
    assert {"figures/audit_curves.png", "figures/audit_heatmap_k100.png"} <= set(written)
    assert "never" in md  # the weakest pair never passes the bar within 1000 pairs
    assert "Defences" not in md


def test_a_dict_that_is_not_audit_results_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="audit results"):
        write_audit_report({"meta": {}}, tmp_path)
