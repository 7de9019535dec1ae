"""Choose the study's constants on LFW View 1, never on View 2 (``facebridge.experiments.verification.selection``).

Reads every model's embeddings from a store (the pool and the View 1 pair images), scores each candidate's 56 maps on
``pairsDevTrain`` / ``pairsDevTest`` and writes the record the study attaches to its results (package data) and the
Markdown the report cites. The chosen values are the constants of ``experiments/methods.py`` and
``maps/kernel.py``; a test fails when the two disagree.

    python scripts/select_constants.py --store store/lfw-yunet --md docs/selection.md

``--only-shrink`` re-chooses ``WHITEN_SHRINK`` alone and keeps the record's other entries (adding the re-run under
``reruns``); it refuses when the value changes, as the kernel's constants were chosen at the old one.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
from pathlib import Path

from facebridge.embeddings import read_embeddings
from facebridge.experiments.shared.threads import blas_threads
from facebridge.experiments.verification.selection import (
    FULL_GRIDS,
    RECORD_PATH,
    Grids,
    read_view1,
    rerun_shrink,
    view1_record,
)
from facebridge.models import list_specs
from facebridge.paths import default_data_dir
from facebridge.reports.selection import selection_markdown
from facebridge.storage import atomic_write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a store holding <model>.parquet per model")
    parser.add_argument("--models", default=None, help="comma-separated model names (default: every set in the store)")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=RECORD_PATH, help="the record (default: the package's)")
    parser.add_argument("--md", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--landmarks", default=None, help="landmark grid, e.g. 512,1024 (default: the full grid)")
    parser.add_argument("--threads", type=int, default=None, help="threads, one BLAS thread each (default: CPUs)")
    parser.add_argument("--only-shrink", metavar="REASON", default=None,
                        help="re-choose WHITEN_SHRINK only, in the record at --json, saying why")  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    names = args.models.split(",") if args.models else [
        s.name for s in list_specs() if (args.store / f"{s.name}.parquet").exists()
    ]
    sets = {n: read_embeddings(args.store / f"{n}.parquet") for n in names}
    grids = FULL_GRIDS
    if args.landmarks:
        grids = Grids(landmarks=tuple(int(x) for x in args.landmarks.split(",")))
    command = "python " + shlex.join(["scripts/select_constants.py", *sys.argv[1:]])
    with blas_threads(1):
        if args.only_shrink:
            pairs = read_view1(default_data_dir(args.data) / "lfw")
            record = rerun_shrink(json.loads(args.json.read_text(encoding="utf-8")), sets, pairs, command=command,
                                  reason=args.only_shrink, workers=args.threads)  # fmt: skip
        else:
            record = view1_record(sets, default_data_dir(args.data) / "lfw", command=command, grids=grids,
                                  seed=args.seed, progress=lambda stage: logging.info("selection: %s", stage),
                                  workers=args.threads)  # fmt: skip
    atomic_write(args.json, lambda p: p.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8"))
    markdown = selection_markdown(record)
    atomic_write(args.md, lambda p: p.write_text(markdown, encoding="utf-8"))
    print(markdown)


if __name__ == "__main__":
    main()
