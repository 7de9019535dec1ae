"""Fixtures for the protocol tests: the real pair files in ``../shared/data`` (skipped when absent, unless CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import SHARED, require_shared


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skips the test when missing, fails it when ``CI=true``."""
    require_shared(SHARED / "data")
    return SHARED / "data"
