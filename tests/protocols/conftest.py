"""Fixtures for the protocol tests: the real pair files in ``../shared/data`` (skipped when absent, unless CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skips the test when missing, fails it when ``CI=true``."""
    if not DATA.is_dir():
        message = f"shared data not found at {DATA.resolve()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the real pair files are required)")
        pytest.skip(message)
    return DATA.resolve()
