"""The README's findings are what ``scripts/write_findings.py`` renders from ``docs/findings.json`` (written from a
full ``reproduce`` run's results), never typed by hand; and the script renders a verdict from a results dict."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def script():
    spec = importlib.util.spec_from_file_location("write_findings", ROOT / "scripts" / "write_findings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_block_is_what_the_record_renders() -> None:
    assert script().main(["--check"]) == 0


def test_a_changed_number_in_the_readme_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mod = script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    record = json.loads((ROOT / "docs" / "findings.json").read_text(encoding="utf-8"))
    start = readme.index(mod.BEGIN)
    digit = next(i for i in range(start, readme.index(mod.END)) if readme[i].isdigit())
    edited = readme[:digit] + str((int(readme[digit]) + 1) % 10) + readme[digit + 1 :]
    (tmp_path / "README.md").write_text(edited, encoding="utf-8")
    (tmp_path / "findings.json").write_text(json.dumps(record), encoding="utf-8")
    monkeypatch.setattr(mod, "README", tmp_path / "README.md")
    monkeypatch.setattr(mod, "RECORD", tmp_path / "findings.json")
    assert mod.main(["--check"]) == 1


def test_the_script_writes_the_runs_verdict_into_the_readme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from facebridge.reports.verdict import study_verdict
    from tests.reports.report_data import synthetic_full_results

    mod = script()
    results = synthetic_full_results()
    results["meta"].update(quick=False, n_pool_images=13233, facebridge_version="9.9")
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (tmp_path / "README.md").write_text(f"# x\n\n{mod.BEGIN}\nPLACEHOLDER-TEXT\n{mod.END}\n\nafter\n", encoding="utf-8")
    monkeypatch.setattr(mod, "README", tmp_path / "README.md")
    monkeypatch.setattr(mod, "RECORD", tmp_path / "findings.json")
    assert mod.main([str(tmp_path / "results.json")]) == 0
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "PLACEHOLDER-TEXT" not in readme and readme.endswith("\n\nafter\n") and "13,233 images" in readme
    for status, text in study_verdict(results).items:
        assert mod.FAILING.sub("", text) in readme and (not status or f"**{status}**" in readme)
    assert mod.main(["--check"]) == 0
    results["meta"]["quick"] = True
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    with pytest.raises(SystemExit):  # a --quick run never states the study's findings
        mod.main([str(tmp_path / "results.json")])
