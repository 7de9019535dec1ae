"""docs/performance.md's tables are the benchmarks' JSON rendered (``bench/render_performance.py``), never typed by
hand: the committed doc equals what the renderer writes from the committed JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.render_performance import DOC, RESULTS, TABLES, render


def test_the_committed_doc_equals_its_tables_rendered_from_the_committed_json() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name in TABLES:
        assert f"<!-- bench:{name} -->" in doc and f"<!-- /bench:{name} -->" in doc
    assert render(doc) == doc, "run python bench/render_performance.py"


def test_a_hand_edited_number_is_rewritten_and_an_unbacked_table_is_refused(tmp_path: Path) -> None:
    run = json.loads((RESULTS / "reproduce-embed.json").read_text())
    run["embed"]["floor_total_ms_per_image"] = 123.45
    (tmp_path / "reproduce-embed.json").write_text(json.dumps(run))
    doc = "x\n<!-- bench:reproduce-floor -->\n| typed | 99 |\n<!-- /bench:reproduce-floor -->\ny\n"
    out = render(doc, tmp_path)
    assert "| typed | 99 |" not in out and "| total (the floor) |  | 123.45 |  |" in out
    assert out.startswith("x\n") and out.endswith("<!-- /bench:reproduce-floor -->\ny\n")
    dlib = [line for line in out.splitlines() if line.startswith("| dlib-resnet29 |")]
    assert [line.split(" | ")[1] for line in dlib] == ["onnxruntime", "dlib"]  # both runtimes side by side
    with pytest.raises(ValueError, match="unknown table 'made-up'"):
        render("<!-- bench:made-up -->\n<!-- /bench:made-up -->\n", tmp_path)
    with pytest.raises(ValueError, match=r"needs .*reproduce-embed\.json"):
        render(doc, tmp_path / "empty")
