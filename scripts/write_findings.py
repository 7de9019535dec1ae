"""Write the study's findings into the README from a ``facebridge reproduce`` run, so no result there is typed by hand.

``python scripts/write_findings.py reports/lfw-study/results.json`` renders the run's verdict box (the three claims
held or not with their numbers, the headline penalty, the upgrade and privacy headlines: ``reports.verdict``) and
writes it between the README's findings markers, and the verdict's items with where they came from into
``docs/findings.json``. ``--check`` only compares: exit 1 when the README block is not what ``docs/findings.json``
renders (``tests/test_findings_doc.py`` runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from facebridge.reports.document import Verdict, render_markdown
from facebridge.reports.verdict import study_verdict

ROOT = Path(__file__).resolve().parent.parent
README, RECORD = ROOT / "README.md", ROOT / "docs" / "findings.json"
BEGIN, END = "<!-- findings:begin (scripts/write_findings.py writes this block) -->", "<!-- findings:end -->"


#: A claim's list of the maps it fails on (the report has it; the README keeps the count).
FAILING = re.compile(r" \(fails on [^()]*(?:\([^()]*\)[^()]*)*\)")


def block(record: dict) -> str:
    """The README's findings block for ``record`` (``docs/findings.json``'s content)."""
    source = record["source"]
    head = (
        f"From `facebridge reproduce` on LFW ({source['images']:,} images, {source['pairs']:,} View 2 pairs) with "
        f"{len(source['models'])} models (seed {source['seed']}, facebridge {source['version']}; the full report: "
        f"`{source['report']}`):"
    )
    items = tuple((status, FAILING.sub("", text)) for status, text in record["items"])
    return f"{BEGIN}\n{head}\n\n{render_markdown([Verdict(items)])}{END}"


def with_block(readme: str, text: str) -> str:
    """``readme`` with the text between its markers replaced by ``text`` (markers included)."""
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + text + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, help="a reproduce run's results.json")
    parser.add_argument("--check", action="store_true", help="only check the README against docs/findings.json")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    if args.check:
        want = with_block(readme, block(json.loads(RECORD.read_text(encoding="utf-8"))))
        if want != readme:
            print("README.md's findings block differs from docs/findings.json; rerun scripts/write_findings.py")
            return 1
        return 0
    if args.results is None:
        parser.error("give a results.json, or --check")
    results = json.loads(args.results.read_text(encoding="utf-8"))
    if results["meta"]["quick"]:
        parser.error(f"{args.results} is from a --quick run; the README states the full study's findings")
    meta = results["meta"]
    record = {
        "source": {
            "report": "reports/lfw-study/report.html",
            "images": int(meta["n_pool_images"]),
            "pairs": int(meta["pairs"]),
            "models": list(meta["models"]),
            "seed": meta["seed"],
            "version": meta["facebridge_version"],
        },
        "items": [list(item) for item in study_verdict(results).items],
    }
    RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    README.write_text(with_block(readme, block(record)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
