"""Suite-wide isolation: no test reads or writes the real user's models folder, or sees another test's specs; and
every property-based test is deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis draws from a fixed seed per test (the same examples every run: a failure reproduces, and a pass on one
# machine is a pass on all), and no timing decides a result: the machines that run this suite are shared, and its
# default 200 ms deadline and too-slow health check failed tests at random under load (test_model_spec's fuzz).
settings.register_profile(
    "facebridge", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
settings.load_profile("facebridge")


@pytest.fixture(autouse=True)
def _user_models_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    from facebridge.models import registry

    folder = tmp_path_factory.mktemp("user-models")
    monkeypatch.setenv("FACEBRIDGE_USER_MODELS", str(folder))
    monkeypatch.setattr(registry, "_USER_SPECS", {})  # spec files registered by a CLI run stay in that test
    return folder
