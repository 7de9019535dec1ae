"""Benchmark: the privacy audit stage, before and after it shared its work, side by side on one store.

Each side runs ``run_audit`` (the reproduce settings ``PRIVACY``: budgets 0..3000, the upgrade's kernel map) in its
own process, on the pairs of ``--leaked`` leaked models against every other model of the store: "old" from the
sources of ``--baseline-ref`` (git archive of that commit: one fit per pair, seed and budget), "new" from this
checkout (the pairs of one leaked model together), once per ``--workers`` count. Sides alternate round by round
(old, new, new, ...), so load on the machine falls on both alike. Each side also prints a digest of its results:
the numbers must be identical, and the bench says so.

Run: ``nice -n 10 .venv/bin/python bench/bench_audit.py --store store/lfw-yunet [--leaked 2 --seeds 1 --rounds 1
--workers 1,2]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REF = "0d94d60"  # the last commit whose audit fitted every pair, seed and budget afresh

CHILD = """
import hashlib, json, sys, time
from dataclasses import replace
from pathlib import Path
from facebridge.embeddings import read_embeddings
from facebridge.experiments.privacy.audit_run import run_audit
from facebridge.experiments.reproduce import PRIVACY
args = json.loads(sys.argv[1])
store = Path(args["store"])
sets = {m: read_embeddings(store / f"{m}.parquet") for m in args["models"]}
pairs = [(a, b) for a in args["models"][: args["leaked"]] for b in args["models"] if b != a]
settings = replace(PRIVACY, seeds=tuple(range(args["seeds"])))
extra = {} if args["workers"] is None else {"workers": args["workers"]}
started = time.perf_counter()
result = run_audit(sets, pairs, settings, **extra)
seconds = time.perf_counter() - started
digest = hashlib.sha256(json.dumps(result["pairs"], sort_keys=True).encode()).hexdigest()[:16]
print(json.dumps({"seconds": seconds, "digest": digest, "pairs": len(pairs)}))
"""


def run_side(src: Path, args: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], env=env, check=True, capture_output=True,
                         text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="embedding store with one <model>.parquet per model")
    ap.add_argument("--models", help="comma-separated models (default: every <model>.parquet of the store)")
    ap.add_argument("--leaked", type=int, default=2, help="leaked models audited against all others")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workers", default="1,2", help="comma-separated thread counts of the new side")
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    a = ap.parse_args()
    skip = {"detections-yunet", "files", "images"}
    found = sorted(p.stem for p in a.store.glob("*.parquet") if p.stem not in skip)
    models = a.models.split(",") if a.models else found
    base = {"store": str(a.store.resolve()), "models": models, "leaked": a.leaked, "seeds": a.seeds}
    workers = [int(w) for w in a.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", a.baseline_ref, "src"], check=True,
                                 capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        sides = {"old": (Path(tmp) / "src", None), **{f"new/{w}": (ROOT / "src", w) for w in workers}}
        times: dict[str, list[float]] = {name: [] for name in sides}
        digests: dict[str, set[str]] = {name: set() for name in sides}
        for r in range(a.rounds):
            for name, (src, w) in sides.items():
                got = run_side(src, {**base, "workers": w})
                times[name].append(got["seconds"])
                digests[name].add(got["digest"])
                print(f"round {r + 1} {name:>6}: {got['seconds']:8.1f} s ({got['pairs']} pairs)", flush=True)
    old = statistics.median(times["old"])
    print(f"\naudit of {a.leaked} leaked model(s) x {len(models) - 1} references, {a.seeds} seed(s), median of "
          f"{a.rounds} round(s):")  # fmt: skip
    for name in sides:
        t = statistics.median(times[name])
        print(f"  {name:>6}: {t:8.1f} s   old/this {old / t:5.2f}x")
    same = len(set.union(*digests.values())) == 1
    print(f"results identical across sides: {same} ({', '.join(sorted(set.union(*digests.values())))})")


if __name__ == "__main__":
    main()
