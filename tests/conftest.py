"""Suite-wide isolation: no test reads or writes the real user's models folder, or sees another test's specs."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _user_models_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    from facebridge.models import registry

    folder = tmp_path_factory.mktemp("user-models")
    monkeypatch.setenv("FACEBRIDGE_USER_MODELS", str(folder))
    monkeypatch.setattr(registry, "_USER_SPECS", {})  # spec files registered by a CLI run stay in that test
    return folder
