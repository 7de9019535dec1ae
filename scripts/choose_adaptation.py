"""Choose the upgrade path's default adaptation on the shifted-domain protocol only (never LFW View 2 test folds).

Reads the JSON ``facebridge shifted`` wrote (maps fitted on the clean fitting half, scored on the evaluation half,
clean and corrupted; several files' runs join) and writes the choice with every number it rests on
(``facebridge.experiments.upgrade.adaptation_choice``):

    python scripts/choose_adaptation.py --shifted reports/shifted-kernel/shifted.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from facebridge.experiments.upgrade.adaptation_choice import RECORD_PATH, choose_adaptation
from facebridge.storage import atomic_write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shifted", type=Path, nargs="+", required=True, help="shifted.json files (their runs join)")
    parser.add_argument("--out", type=Path, default=RECORD_PATH, help="the record (default: the package's)")
    args = parser.parse_args()
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in args.shifted]
    adaptations = [a for a in loaded[0]["adaptations"] if all(a in x["adaptations"] for x in loaded)]
    results = {"adaptations": adaptations, "runs": [r for x in loaded for r in x["runs"]]}
    command = "python " + shlex.join(["scripts/choose_adaptation.py", *sys.argv[1:]])
    protocol = {k: loaded[0][k] for k in ("split", "pairs_1to1", "identification") if k in loaded[0]}
    record = {"command": command, **choose_adaptation(results), "protocol": protocol}
    text = json.dumps(record, indent=1) + "\n"
    atomic_write(args.out, lambda p: p.write_text(text, encoding="utf-8"))
    for ad, row in record["table"].items():
        print(f"{ad:13s} " + "  ".join(f"{k} {v:6.2f}" for k, v in row.items()))
    print(f"chosen: {record['chosen']} (lowest median: {record['lowest_median']})")


if __name__ == "__main__":
    main()
