"""Where each model's weights come from: ``facebridge models`` names every missing file with its sha256, source and
licence, and the docs page lists every pinned file."""

from __future__ import annotations

from pathlib import Path

import pytest

from facebridge.cli.main import main
from facebridge.models import list_specs
from facebridge.models.detectors import YUNET
from tests.helpers import SHARED, require_shared

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def models_listing(capsys: pytest.CaptureFixture[str], models_dir: Path) -> str:
    assert main(["models", "--models-dir", str(models_dir)]) == 0
    return capsys.readouterr().out


def test_the_docs_page_lists_every_pinned_file() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in list_specs():
        assert spec.source in text and spec.licence in text, spec.name
        for weight in spec.files:
            assert f"`{weight.path}`" in text and weight.sha256 in text, (spec.name, weight.path)
    assert YUNET.path in text and YUNET.sha256 in text


def test_models_lists_each_missing_file_and_where_to_get_it(tmp_path: Path, capsys) -> None:
    (tmp_path / "edgeface-xs").mkdir()
    (tmp_path / "edgeface-xs" / "edgeface_xs.onnx").write_bytes(b"not the network")
    out = models_listing(capsys, tmp_path)
    listed = [line for line in out.split("missing weights")[1].splitlines() if line.startswith("- ")]
    for spec in list_specs():
        if any(w.package for w in spec.files):
            continue  # dlib's file comes with a pip package, installed here
        for weight in spec.files:
            (line,) = [ln for ln in listed if ln.startswith(f"- {spec.name}: {weight.path} ")]
            assert weight.sha256 in line and f"Source: {spec.source}." in line and f"Licence: {spec.licence}." in line
    assert any(ln.startswith(f"- yunet (face detector): {YUNET.path} missing") for ln in listed)
    assert "edgeface-xs/edgeface_xs.onnx sha256 mismatch" in out
    assert f"put it at {tmp_path / 'hse-faceres' / 'faceres.onnx'}" in out


def test_nothing_is_listed_missing_when_the_weights_are_there(capsys) -> None:
    require_shared(SHARED / "models")
    out = models_listing(capsys, SHARED / "models")
    assert "missing weights" not in out
