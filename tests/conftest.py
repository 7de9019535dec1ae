"""Suite-wide isolation: no test reads or writes the real user's models folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _user_models_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("user-models")
    monkeypatch.setenv("FACEBRIDGE_USER_MODELS", str(folder))
    return folder
