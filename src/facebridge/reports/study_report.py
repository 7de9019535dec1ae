"""Write a study's report folder: report.md, a self-contained report.html, results.json, CSVs and figures.

Everything is rendered from the results dict alone (see :mod:`facebridge.reports.schema`), so a saved
``results.json`` re-renders the same report with :func:`load_results`. Every file is written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from facebridge.errors import DataFormatError, InvalidInputError, MissingFileError
from facebridge.reports.document import figures_of, render_markdown
from facebridge.reports.figures import save_figure
from facebridge.reports.html import render_html
from facebridge.reports.schema import results_problem
from facebridge.reports.sections import report_title, study_document
from facebridge.reports.strict_json import results_json
from facebridge.reports.tables import csv_records, write_csv
from facebridge.storage import atomic_write


def _write_text(path: Path, text: str) -> Path:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path


def write_study_report(results: dict, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Render ``results`` into ``out_dir``; returns relative name (``"report.md"``, ``"figures/native.png"``...)
    -> path of every file written. A dict that breaks the contract is an InvalidInputError naming the field."""
    if problem := results_problem(results):
        raise InvalidInputError(f"not a study results dict: {problem}")
    out_dir = Path(out_dir)
    written = {"results.json": _write_text(out_dir / "results.json", results_json(results))}
    for name, records in csv_records(results).items():
        write_csv(out_dir / name, records)
        written[name] = out_dir / name
    blocks = study_document(results)
    for figure in figures_of(blocks):
        for path in save_figure(figure.draw, out_dir / "figures" / figure.name):
            written[f"figures/{path.name}"] = path
    written["report.md"] = _write_text(out_dir / "report.md", render_markdown(blocks))
    html = render_html(blocks, out_dir / "figures", report_title(results["meta"]))
    written["report.html"] = _write_text(out_dir / "report.html", html)
    return written


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed (strict JSON)")


def load_results(path: str | os.PathLike[str]) -> dict:
    """A study results dict from a saved ``results.json``; a file that is not one is a DataFormatError."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"results file not found: {path}")
    try:
        results = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    except ValueError as exc:
        raise DataFormatError(f"{path}: {exc}") from exc
    if problem := results_problem(results):
        raise DataFormatError(f"{path}: not a study results file: {problem}")
    return results
