"""The study report folder: files, JSON round trip, CSV contents, honest wording, self-contained HTML, figures."""

from __future__ import annotations

import base64
import csv
import json
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from facebridge.errors import DataFormatError, InvalidInputError, MissingFileError
from facebridge.reports import figures
from facebridge.reports.document import Bullets, Figure, Figures, Heading, Paragraph, Table, figures_of, render_markdown
from facebridge.reports.sections import study_document
from facebridge.reports.study_report import load_results, write_study_report
from facebridge.reports.tables import csv_records
from tests.reports.report_data import synthetic_results

CSV_ROWS = {
    "native.csv": 3,
    "penalty.csv": 24,
    "penalty_summary.csv": 4,
    "modes.csv": 6,
    "sample_size.csv": 36,
    "sample_size_summary.csv": 6,
    "rank.csv": 72,
    "rank_summary.csv": 12,
    "targets.csv": 11,
    "ytf_native.csv": 3,
    "ytf_penalty.csv": 12,
    "ytf_penalty_summary.csv": 2,
}
FIGURES = [
    "native", "penalty_ridge_study", "penalty_affine_cv", "penalty_procrustes", "penalty_mlp", "modes", "sample_size",
    "rank", "ytf_native", "ytf_penalty_ridge_study", "ytf_penalty_affine_cv",
]  # fmt: skip
MISSED = [
    "- Target missed: orthogonal Procrustes, worst penalty (points): 1.42 (sface → arcface); target ≤ 1.00.",
    "- Target missed: orthogonal Procrustes, median penalty (points): 0.47 over 6 maps; target ≤ 0.30.",
    "- Target missed: affine ridge, CV λ, training size n to within 0.5 points of full: not reached on 1 of 6 maps; "
    "target ≤ 200.",
    "- Target missed: pca_ridge, rank to within 0.5 points of full: 64 (worst map; median 32); target ≤ 32.",
]


def test_every_file_is_written_and_nothing_else(study_report) -> None:
    _, out, written = study_report
    expected = {"results.json", "report.md", "report.html", *CSV_ROWS}
    expected |= {f"figures/{name}.{ext}" for name in FIGURES for ext in ("png", "svg")}
    assert set(written) == expected
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == expected  # no temp files left
    assert all(written[name] == out / name for name in expected)


def test_results_json_round_trips_and_rerenders_byte_for_byte(study_report, tmp_path: Path) -> None:
    results, out, written = study_report
    assert (out / "results.json").read_text().startswith('{\n  "meta": {')  # pretty
    loaded = load_results(out / "results.json")
    assert loaded == results
    again = write_study_report(loaded, tmp_path)
    assert set(again) == set(written)
    for name, path in written.items():
        assert again[name].read_bytes() == path.read_bytes(), name  # deterministic: figures included


def test_csv_files_hold_every_record_at_full_precision(study_report) -> None:
    results, out, _ = study_report
    tables = {name: list(csv.DictReader((out / name).read_text(encoding="utf-8").splitlines())) for name in CSV_ROWS}
    assert {name: len(rows) for name, rows in tables.items()} == CSV_ROWS
    for row, record in zip(tables["penalty.csv"], results["penalty"], strict=True):
        assert float(row["penalty"]) == record["penalty"] and float(row["mean"]) == record["mean"]
        assert [float(row[f"fold_accuracy_{k + 1}"]) for k in range(10)] == record["fold_accuracy"]
        assert json.loads(row["params"]) == record["params"]
    assert [r["n"] for r in tables["sample_size.csv"][:6]] == ["50", "100", "200", "500", "1000", "all"]
    assert [r["smallest_n_within_0_5"] for r in tables["sample_size_summary.csv"]] == ["100", "200", "50", "200", "",
                                                                                        "100"]  # fmt: skip
    procrustes = tables["penalty_summary.csv"][2]
    assert procrustes["method"] == "procrustes" and float(procrustes["worst"]) == 1.42
    assert procrustes["worst_pair"] == "sface → arcface" and procrustes["n_within"] == "5"
    assert [r["met"] for r in tables["targets.csv"]].count("False") == len(MISSED)


def test_markdown_states_the_setup(study_report) -> None:
    _, out, _ = study_report
    md = (out / "report.md").read_text(encoding="utf-8")
    for text in (
        "Protocol: LFW, 6000 pairs in 10 folds",
        "Metric: cosine.",
        "Training pool: people (every image of the people outside the test fold).",
        "Leakage rule: the map scored on fold k is fitted only on images of people who do not appear in fold k",
        "Seed: 7. Duration: 1234 s. facebridge 0.1.0.",
        "Note: sface embeddings from the YuNet detector",
        "Protocol: YTF, 5000 pairs in 10 folds",
    ):
        assert text in md, text


def test_markdown_sets_study_ours_and_targets_side_by_side_and_names_every_miss(study_report) -> None:
    _, out, _ = study_report
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## The study, this run and the targets" in md
    assert "Study: Common CNN-based Face Embedding Spaces are (Almost) Equivalent (2020)." in md
    assert "| quantity | method | this run | study | target | verdict |" in md
    assert ("| worst penalty (points) | orthogonal Procrustes | 1.42 (sface → arcface) | ≤ 1.0 over 12 maps | ≤ 1.00 "
            "| missed |") in md  # fmt: skip
    assert "| rank to within 0.5 points of full | rrr | 32 (worst map; median 24) | rank 64 | ≤ 32 | met |" in md
    assert [line for line in md.splitlines() if "missed" in line.lower() and line.startswith("- ")] == MISSED
    assert "| MLP, one hidden layer † | nonlinear |" in md  # beyond-linear methods are marked
    assert "† nonlinear method: goes beyond the linear maps the study tested." in md
    assert "Every target is met" not in md


def test_a_run_that_meets_every_target_says_so() -> None:
    results = synthetic_results(ytf=False)
    for row in results["penalty"]:
        row["penalty"] = min(row["penalty"], 0.25)
    for row in results["sample_size_summary"]:
        row["smallest_n_within_0_5"] = 100
    for row in results["rank_summary"]:
        row["smallest_rank_within_0_5"] = min(row["smallest_rank_within_0_5"], 32)
    md = render_markdown(study_document(results))
    assert "Every target is met by every method listed." in md
    assert "missed" not in md


def test_a_quick_native_only_run_says_what_could_not_be_judged() -> None:
    results = synthetic_results(ytf=False)
    results["meta"]["quick"] = True
    for key in ("penalty", "modes", "sample_size", "sample_size_summary", "rank", "rank_summary"):
        results[key] = []
    blocks = study_document(results)
    md = render_markdown(blocks)
    assert "Quick run: reduced grids and draws; the numbers are indicative only." in md
    assert "No penalty, sample-size or rank results: no target could be judged." in md
    assert "| quantity |" not in md and "## Penalty" not in md
    assert [f.name for f in figures_of(blocks)] == ["native"]
    assert list(csv_records(results)) == ["native.csv"]


def test_without_ytf_the_report_says_so_and_writes_no_ytf_files() -> None:
    results = synthetic_results(ytf=False)
    blocks = study_document(results)
    assert "## YouTube Faces (YTF)\n\nNot evaluated in this run (results.ytf is null)." in render_markdown(blocks)
    assert not [f.name for f in figures_of(blocks) if f.name.startswith("ytf")]
    assert not [name for name in csv_records(results) if name.startswith("ytf")]


def _texts(blocks) -> list[str]:
    """Every piece of text a block list shows."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading | Paragraph):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out += b.items
        elif isinstance(b, Table):
            out += [b.caption, *b.header, *(cell for row in b.rows for cell in row)]
        elif isinstance(b, Figure | Figures):
            out += [f.caption for f in (b.items if isinstance(b, Figures) else (b,))]
    return out


def test_html_is_self_contained_with_the_markdown_content(study_report) -> None:
    results, out, _ = study_report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "http" not in html
    for banned in ("<script", "<link", "<iframe", "@import", "url("):
        assert banned not in html.lower()
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html)
    assert len(sources) == len(FIGURES)
    for name, src in zip(FIGURES, sources, strict=True):  # each figure embedded, in document order
        assert (
            base64.b64decode(src.removeprefix("data:image/png;base64,")) == (out / f"figures/{name}.png").read_bytes()
        )
    missing = [t for t in _texts(study_document(results)) if escape(t) not in html]
    assert not missing
    assert html.count('<td class="missed">missed</td>') == len(MISSED)


def test_figures_exist_as_png_and_svg_without_dates(study_report) -> None:
    _, out, _ = study_report
    for name in FIGURES:
        with Image.open(out / f"figures/{name}.png") as im:
            assert im.format == "PNG" and im.width > 300 and im.height > 200
        svg = (out / f"figures/{name}.svg").read_text(encoding="utf-8")
        assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
        assert "<dc:date>" not in svg


def test_heatmap_colours_cells_by_the_study_bound() -> None:
    rows = [
        {"source": "a", "target": "b", "penalty": 0.2},
        {"source": "b", "target": "a", "penalty": 1.8},
    ]
    fig = figures.penalty_heatmap(rows, ["a", "b"], title="t", limits=figures.penalty_norm(rows, 1.0), bound=1.0)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    ax = fig.axes[0]

    def colour(row: int, col: int, dx: float = 0.3) -> np.ndarray:  # off-centre, away from the annotation
        x, y = ax.transData.transform((col - dx, row - dx))
        return pixels[round(float(pixels.shape[0] - y)), round(float(x))]

    over, under, empty = colour(1, 0), colour(0, 1), colour(0, 0)
    assert over[0] > over[1] + 80  # 1.8 points: red
    assert under[1] > under[0] + 40  # 0.2 points: green
    assert np.all(np.abs(empty - 0xE6) <= 2)  # no map on the diagonal: grey


def test_penalty_norm_centres_the_colormap_on_the_bound() -> None:
    assert figures.penalty_norm([{"penalty": 0.3}], 1.0)[1] == 2.0
    low, high = figures.penalty_norm([{"penalty": -0.4}, {"penalty": 3.5}], 1.0)
    assert low < -0.4 and high == 3.5


def _mutate(path: list, value) -> Callable[[dict], None]:
    def apply(results: dict) -> None:
        target = results
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return apply


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_mutate(["penalty", 0, "penalty"], KeyError), r"penalty\[0\] lacks 'penalty'"),
        (_mutate(["native", 1, "mean"], "99.5"), r"native\[1\]\.mean must be a number, got '99\.5'"),
        (_mutate(["rank", 2, "rank"], 1.5), r"rank\[2\]\.rank must be an integer or 'all'/'full'"),
        (_mutate(["penalty", 3, "method"], "mystery"), "methods not described in meta.methods: mystery"),
        (_mutate(["penalty", 3, "target"], "vgg"), "penalty names models not in meta.models: vgg"),
        (_mutate(["ytf", "meta", "seed"], KeyError), "ytf.meta lacks 'seed'"),
        (_mutate(["targets", "n_within_0_5"], None), r"targets\.n_within_0_5 must be a number"),
        (_mutate(["sample_size_summary"], {}), "sample_size_summary must be a list"),
        (_mutate(["rank_summary"], []), r"rank has arcface → facenet \(rrr\) but rank_summary does not"),
    ],
)
def test_a_bad_results_file_names_the_bad_field(tmp_path: Path, mutate, message: str) -> None:
    results = synthetic_results()
    mutate(results)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    with pytest.raises(DataFormatError, match=message):
        load_results(path)
    with pytest.raises(InvalidInputError, match=message):
        write_study_report(results, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "not valid JSON"), ('{"a": NaN}', "NaN is not allowed"), ("[]", "results must be an object")],
)
def test_a_file_that_is_not_results_json_is_a_data_format_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message):
        load_results(path)


def test_missing_results_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="results file not found"):
        load_results(tmp_path / "nope.json")


def test_nan_in_results_is_refused_with_its_location(tmp_path: Path) -> None:
    results = synthetic_results()
    results["penalty"][3]["fold_accuracy"][2] = float("nan")
    with pytest.raises(InvalidInputError, match=r"results\.penalty\[3\]\.fold_accuracy\[2\] is not finite"):
        write_study_report(results, tmp_path)
    assert not list(tmp_path.iterdir())
