"""``reproduce`` runs the privacy audit beside the study, and the study report carries it as a section."""

from __future__ import annotations

from pathlib import Path

from facebridge.experiments.reproduce import reproduce
from facebridge.reports import write_study_report


def test_reproduce_audits_every_ordered_pair_and_the_report_shows_it(toy_reproduce, tmp_path: Path) -> None:
    sets, inputs = toy_reproduce
    results = reproduce(inputs, quick=True, upgrade=False)
    audit = results.privacy
    assert audit is not None
    ordered = {(a, b) for a in sets for b in sets if a != b}
    assert {(p["leaked"], p["reference"]) for p in audit["pairs"]} == ordered
    assert audit["meta"]["budgets"] == [0, 10, 100] and audit["defences"]  # defences on the first pair
    assert any((tmp_path / "checkpoint").iterdir())  # an interrupted run resumes from here
    out = tmp_path / "report"
    written = write_study_report(results.to_dict(), out)
    md = (out / "report.md").read_text()
    assert "## Privacy: linking leaked templates across systems" in md
    assert "Threat model." in md and "privacy/report.html" in md
    assert "figures/audit_curves.png" in written and "figures/audit_defences.png" in written
    html = (out / "report.html").read_text()
    assert 'href="#privacy-linking-leaked-templates-across-systems"' in html or "Privacy: linking" in html


def test_without_privacy_there_is_no_section(toy_reproduce, tmp_path: Path) -> None:
    _, inputs = toy_reproduce
    results = reproduce(inputs, quick=True, privacy=False, upgrade=False)
    assert results.privacy is None and results.to_dict()["privacy"] is None
    write_study_report(results.to_dict(), tmp_path / "report")
    assert "Privacy" not in (tmp_path / "report" / "report.md").read_text()
