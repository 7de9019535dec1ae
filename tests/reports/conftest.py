"""One synthetic study report, written once for every report test."""

from __future__ import annotations

from pathlib import Path

import pytest

from facebridge.reports.study_report import write_study_report
from tests.reports.report_data import synthetic_results


@pytest.fixture(scope="session")
def study_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, dict[str, Path]]:
    """(results, output folder, written files) of the full synthetic study (LFW and YTF)."""
    results = synthetic_results()
    out = tmp_path_factory.mktemp("study_report")
    return results, out, write_study_report(results, out)
