"""A store keeps the settings it was made with and refuses to be resumed with others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facebridge.errors import DataFormatError, MismatchError
from facebridge.extraction.store_settings import SETTINGS_FILE, check_store_settings


def test_settings_are_recorded_then_enforced(tmp_path: Path) -> None:
    store = tmp_path / "store"
    settings = {"detector": "yunet", "no_face": "skip", "min_face": None}
    check_store_settings(store, settings)
    assert json.loads((store / SETTINGS_FILE).read_text()) == settings
    check_store_settings(store, settings)  # the same settings resume
    with pytest.raises(MismatchError, match=r"no_face 'skip' \(now 'centre'\); use the same settings"):
        check_store_settings(store, {**settings, "no_face": "centre"})
    assert json.loads((store / SETTINGS_FILE).read_text()) == settings  # a refused run changes nothing
    (store / SETTINGS_FILE).write_text("{not json")
    with pytest.raises(DataFormatError, match="not readable JSON"):
        check_store_settings(store, settings)
