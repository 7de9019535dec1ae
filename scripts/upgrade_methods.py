"""Compare map methods on the 1:N upgrade study, for choosing the upgrade's method honestly.

``--people view1``: only images of the people of LFW View 1 (pairsDevTrain + pairsDevTest), the protocol a method is
*chosen* on; ``--people all``: every image (the headline, run only for the chosen method and the baseline). Prints,
per method, the median and worst rank-1 loss of the migrated gallery against re-enrolment (``self``) over the pairs,
how many real upgrades (B's own rank-1 above A's) the migrated gallery leaves below the old system, the median
open-set DIR@FPIR 1e-2 loss, and the same for the transition's scenarios; writes every run's results as JSON.

    python scripts/upgrade_methods.py --store ../main/store/lfw-yunet --data ../shared/data/lfw \
        --pairs edgeface-xs:dlib-resnet29,dlib-resnet29:edgeface-xs --methods affine_cv,affine_mean,softmax \
        --people view1 --out cache/upgrade-view1.json
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import numpy as np

from facebridge.embeddings import EmbeddingSet, read_embeddings
from facebridge.experiments.upgrade.study import upgrade_study
from facebridge.experiments.verification.selection import VIEW1_FILES
from facebridge.maps import make_map
from facebridge.protocols import parse_lfw_pairs, person_of

SCENARIOS = ("migrated_gallery", "fused", "reenrolled_25", "reenrolled_50")


def load(store: Path, model: str) -> EmbeddingSet:
    """``<model>.parquet`` of the store, or (while the store is being built) the parts written so far."""
    whole = store / f"{model}.parquet"
    if whole.exists():
        return read_embeddings(whole)
    parts = [read_embeddings(p) for p in sorted(glob.glob(str(store / "parts" / model / "*.parquet")))]
    ids = np.concatenate([p.ids for p in parts])
    return EmbeddingSet(ids, np.concatenate([p.vectors for p in parts]), parts[0].fingerprint)


def summary(runs: list[dict]) -> dict[str, dict[str, float]]:
    """Per scenario: median and worst rank-1 loss against ``self`` (points), real upgrades below ``old``, median
    DIR@FPIR 1e-2 loss."""
    out = {}
    for scenario in SCENARIOS:
        loss = [100 * (r["summary"]["self"]["rank1"] - r["summary"][scenario]["rank1"]) for r in runs]
        dir_key = next(k for k in runs[0]["summary"]["self"] if k.startswith("dir_open@") and float(k[9:]) == 1e-2)
        dir_loss = [100 * (r["summary"]["self"][dir_key] - r["summary"][scenario][dir_key]) for r in runs]
        real = [r for r in runs if r["summary"]["self"]["rank1"] > r["summary"]["old"]["rank1"]]
        below = sum(r["summary"][scenario]["rank1"] < r["summary"]["old"]["rank1"] for r in real)
        out[scenario] = {"median_loss": float(np.median(loss)), "worst_loss": float(np.max(loss)),
                         "real_upgrades": len(real), "below_old": int(below),
                         "median_dir_loss": float(np.median(dir_loss))}  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--data", type=Path, required=True, help="LFW folder holding the View 1 pair files")
    ap.add_argument("--pairs", required=True, help="source:target,...  or 'all' (every ordered pair of --models)")
    ap.add_argument("--models", default="")
    ap.add_argument("--methods", required=True)
    ap.add_argument("--people", choices=("view1", "all"), required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--record", type=Path, default=None, help="also write the compact selection record here")
    args = ap.parse_args()
    if args.pairs == "all":
        names = args.models.split(",")
        pairs = [(a, b) for a in names for b in names if a != b]
    else:
        pairs = [tuple(p.split(":")) for p in args.pairs.split(",")]
    models = sorted({m for p in pairs for m in p})
    sets = {m: load(args.store, m) for m in models}
    if args.people == "view1":
        people = {person_of(i) for f in VIEW1_FILES for i in parse_lfw_pairs(args.data / f).ids()}
        sets = {m: es.subset([i for i in es.ids if person_of(i) in people]) for m, es in sets.items()}
    results: dict = {"people": args.people, "pairs": [list(p) for p in pairs], "methods": {}}
    for method in args.methods.split(","):
        start = time.perf_counter()
        study = upgrade_study(sets, pairs, lambda method=method: make_map(method), method=method,
                              n_folds=args.folds, seed=args.seed)  # fmt: skip
        results["methods"][method] = {"summary": summary(study["pairs"]), "duration_s": time.perf_counter() - start,
                                      "split": study["split"], "runs": study["pairs"]}  # fmt: skip
        s = results["methods"][method]["summary"]
        print(f"{method} ({study['split']['n_images']} images, {time.perf_counter() - start:.0f} s)")
        for scenario, row in s.items():
            print(f"  {scenario}: median loss {row['median_loss']:.2f}, worst {row['worst_loss']:.2f}, "
                  f"{row['below_old']} of {row['real_upgrades']} real upgrades below old, "
                  f"median DIR@1e-2 loss {row['median_dir_loss']:.2f}")  # fmt: skip
        for r in study["pairs"]:
            v = {k: round(100 * r["summary"][k]["rank1"], 2) for k in ("self", "old", *SCENARIOS)}
            print(f"    {r['source']} -> {r['target']}: {v}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    if args.record is not None:
        args.record.write_text(json.dumps(record(results, sys.argv), indent=1), encoding="utf-8")


def record(results: dict, argv: list[str]) -> dict:
    """The selection in brief: each method's summary and rank-1 per pair, and the method of lowest median rank-1
    loss of the migrated gallery."""
    methods = {
        m: {"summary": v["summary"], "n_images": v["split"]["n_images"], "duration_s": round(v["duration_s"], 1),
            "rank1": {f"{r['source']} -> {r['target']}": {k: round(100 * r["summary"][k]["rank1"], 2)
                                                          for k in ("self", "old", *SCENARIOS)} for r in v["runs"]}}
        for m, v in results["methods"].items()
    }  # fmt: skip
    return {
        "command": "python " + " ".join(argv),
        "people": results["people"],
        "criterion": "lowest median rank-1 loss of the migrated gallery against re-enrolment over the pairs",
        "chosen": min(methods, key=lambda m: methods[m]["summary"]["migrated_gallery"]["median_loss"]),
        "pairs": results["pairs"],
        "methods": methods,
    }


if __name__ == "__main__":
    main()
