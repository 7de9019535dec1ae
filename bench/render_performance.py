"""Write docs/performance.md's tables from the benchmarks' JSON (``bench/results/*.json``), never by hand.

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in the doc; this script replaces what
is between them with the table rendered from the JSON. ``--check`` changes nothing and exits 1 when the doc differs
from what it would write (the test suite runs the same comparison).

Run: ``python bench/render_performance.py [--check]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "results"
MARKER = re.compile(r"(<!-- bench:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)", re.S)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _machine(run: dict[str, Any]) -> str:
    m = run["machine"]
    load = ", ".join(f"{x:.1f}" for x in m["load_average"])
    return f"Measured on {m['processor']} ({m['cpus']} CPUs; load average {load} at the start).\n\n"


def reproduce_floor(run: dict[str, Any]) -> str:
    """Each model's bare ms/image (one thread, CPU), dlib-resnet29 on both its runtimes."""
    embed = run["embed"]
    rows: list[tuple[object, ...]] = []
    for name, ms in embed["floor_ms_per_image"].items():
        engines = embed["engines_ms_per_image"].get(name)
        if engines is None:
            rows.append((name, "default", f"{ms:.2f}", "yes"))
            continue
        for i, (engine, value) in enumerate(engines.items()):  # the floor's runtime first
            rows.append((name, engine, f"{value:.2f}", "no (the reference)" if i else "yes"))
    rows.append(("total (the floor)", "", f"{embed['floor_total_ms_per_image']:.2f}", ""))
    header = ("model", "runtime", "ms/image, CPU, one thread", "in the floor")
    return _machine(run) + f"First {embed['images']} LFW images (sorted ids).\n\n" + _table(header, rows)


def reproduce_embed(run: dict[str, Any]) -> str:
    """The embed phase's wall time against the floor's, and both extrapolated to LFW's 13,233 images."""
    e = run["embed"]
    row = (
        e["images"],
        e["workers"],
        f"{e['floor_wall_s']:.1f}",
        f"{e['phase_wall_s']:.1f}",
        f"{e['ratio_to_floor']:.2f}",
        f"{e['extrapolated_13233_min']['floor']:.1f}",
        f"{e['extrapolated_13233_min']['phase']:.1f}",
    )
    header = ("images", "workers", "floor wall s", "phase wall s", "ratio", "floor, 13,233 images (min)",
              "phase, 13,233 images (min)")  # fmt: skip
    return _table(header, [row])


def reproduce_study(run: dict[str, Any]) -> str:
    """``reproduce``'s stages from a complete store: wall time per stage, CPU time and peak RSS."""
    s = run["study"]
    kind = "quick" if s["quick"] else "full"
    parts = [p for p, on in (("privacy audit", s["privacy"]), ("upgrade study", s["upgrade"])) if not on]
    left = f"; without the {' and the '.join(parts)}" if parts else ""
    intro = _machine(run) + (
        f"`reproduce` ({kind} grids{left}), {s['models']} models, {s['images']} images, {s['threads']} threads.\n\n"
    )
    rows = [(stage, f"{sec:.1f}") for stage, sec in s["stages_s"].items()]
    rows += [("all stages", f"{sum(s['stages_s'].values()):.1f}"), ("wall (the phase)", f"{s['wall_s']:.1f}"),
             ("CPU", f"{s['cpu_s']:.1f}")]  # fmt: skip
    peak = "" if s["peak_is_the_phase_s"] else " (the whole process's)"
    return intro + _table(("stage", "s"), rows) + f"\nPeak RSS{peak}: {s['peak_rss_gb']:.2f} GiB.\n"


#: Table name -> (the results file under bench/results, its renderer).
TABLES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "reproduce-floor": ("reproduce-embed.json", reproduce_floor),
    "reproduce-embed": ("reproduce-embed.json", reproduce_embed),
    "reproduce-study": ("reproduce-study.json", reproduce_study),
}


def render(doc: str, results: Path = RESULTS) -> str:
    """``doc`` with every marked table rewritten from the JSON under ``results``; an unknown table name or a
    missing results file is a ValueError naming it."""

    def table(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r} in the doc (known: {', '.join(TABLES)})")
        file, renderer = TABLES[name]
        path = results / file
        if not path.is_file():
            raise ValueError(f"table {name!r} needs {path}: run its benchmark with --json")
        body = renderer(json.loads(path.read_text(encoding="utf-8")))
        return f"{match[1]}{body}{match[4]}"

    return MARKER.sub(table, doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc differs; write nothing")
    args = parser.parse_args()
    try:
        doc = DOC.read_text(encoding="utf-8")
        new = render(doc)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != doc:
            print(f"{DOC} differs from its benchmarks' JSON: run python bench/render_performance.py", file=sys.stderr)
            return 1
        return 0
    if new != doc:
        DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
