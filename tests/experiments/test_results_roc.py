"""The compact curves and space statistics the study results carry for the report: ROC points and mean norms."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_curve as sk_roc_curve

from facebridge.experiments.shared.data import study_data
from facebridge.experiments.verification.tables import ROC_FARS, native_rows, roc_points
from facebridge.protocols import roc_curve
from tests.experiments.toy_studies import toy_study


def test_roc_points_read_the_largest_tar_at_each_resolvable_far() -> None:
    rng = np.random.default_rng(3)
    same = np.repeat([True, False], [400, 1200])
    scores = np.where(same, rng.normal(1.5, 1.0, same.size), rng.normal(0.0, 1.0, same.size))
    points = roc_points(roc_curve(scores, same))
    fpr, tpr, _ = sk_roc_curve(same, scores, drop_intermediate=False)
    assert points["far"] == [f for f in ROC_FARS if f >= 1 / 1200]  # 1e-4 .. 5e-4 need more impostors
    assert points["far"][0] == 1e-3 and points["far"][-1] == 1.0  # 7.94e-4 < 1 / 1200: not resolvable
    expected = [100 * tpr[fpr <= f + 1e-12].max() for f in points["far"]]
    assert points["tar"] == pytest.approx(expected, abs=1e-4)  # stored rounded to 4 decimals of a percent
    assert np.all(np.diff(points["tar"]) >= 0) and points["tar"][-1] == 100.0


def test_native_rows_carry_the_norm_of_the_mean_unit_embedding_and_roc_points() -> None:
    sets, pairs = toy_study(seed=2)
    data = study_data(sets, pairs)
    for row in native_rows(data):
        unit = data.vectors[row["model"]]
        assert row["mean_norm"] == pytest.approx(float(np.linalg.norm(unit.mean(axis=0))))
        assert 0.0 <= row["mean_norm"] <= 1.0
        assert len(row["roc"]["far"]) == len(row["roc"]["tar"]) > 0
    norms = {r["model"]: r["mean_norm"] for r in native_rows(data)}
    assert norms["m0"] > norms["m1"]  # m0's vectors carry a large common offset (toy_study): an off-centre space
