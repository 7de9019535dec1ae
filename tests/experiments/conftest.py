"""Fixtures shared by the experiments' tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from facebridge.experiments import reproduce as reproduce_module
from facebridge.experiments.privacy.audit import AuditSettings
from facebridge.experiments.reproduce import ReproduceInputs
from tests.experiments.toy_studies import toy_study

TINY = AuditSettings(budgets=(0, 10, 100), seeds=(0,), unpaired_params={"n_iter": 2, "dim": 6})


@pytest.fixture()
def toy_reproduce(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """``reproduce`` on a toy study: no images or weights, the toy sets stand in for the store."""
    sets, pairs = toy_study(n_people=64, rotation=True)
    monkeypatch.setattr(reproduce_module, "available_models", lambda names, models_dir: (list(sets), []))
    monkeypatch.setattr(reproduce_module, "parse_lfw_pairs", lambda path: pairs)
    summary = type("S", (), {"to_dict": lambda self: {}, "seconds": 1.5})()
    monkeypatch.setattr(reproduce_module, "_embed", lambda *args: summary)
    monkeypatch.setattr(reproduce_module, "read_embeddings", lambda path: sets[Path(path).stem])
    monkeypatch.setattr(reproduce_module, "PRIVACY_QUICK", TINY)
    inputs = ReproduceInputs(
        tmp_path, tmp_path / "store", audit_checkpoint=tmp_path / "checkpoint", upgrade_checkpoint=tmp_path / "up"
    )
    return sets, inputs
