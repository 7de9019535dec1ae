"""Compare map methods on the 1:N upgrade study, for choosing the upgrade's method honestly.

``--people view1``: only images of the people of LFW View 1 (pairsDevTrain + pairsDevTest), the protocol a method is
*chosen* on; ``--people all``: every image (the headline, run only for the chosen method and the baseline). Prints,
per method, the median and worst rank-1 loss of the migrated gallery against re-enrolment (``self``) over the pairs,
how many real upgrades (B's own rank-1 above A's) the migrated gallery leaves below the old system, the median
open-set DIR@FPIR 1e-2 loss, and the same for the transition's scenarios; writes every run's results as JSON.

A method is ``NAME[:KEY=VALUE...][+flip]``: a registered map method, its parameters (``/`` separates a list's items,
e.g. ``ensemble:members=kernel/affine_cv:weighting=cv``), and ``+flip`` to add each fitting image's mirror image as
one more corresponding pair (from ``--flip-store``, a store of the same ids embedded with ``embed --corrupt flip``;
evaluation images' mirrors never join a fit).

    python scripts/upgrade_methods.py --store ../main/store/lfw-yunet --data ../shared/data/lfw \
        --pairs edgeface-xs:dlib-resnet29,dlib-resnet29:edgeface-xs --methods affine_cv,kernel,kernel+flip \
        --flip-store store/lfw-flip-view1 --people view1 --out cache/upgrade-view1.json
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
from facebridge.experiments.upgrade.extra_pairs import method_label
from facebridge.experiments.upgrade.study import upgrade_study
from facebridge.experiments.verification.selection import VIEW1_FILES
from facebridge.extraction.store_settings import SETTINGS_FILE
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
    ap.add_argument("--flip-store", type=Path, default=None, help="store of the mirrored images (for +flip methods)")
    ap.add_argument("--caveat", default="", help="what the record's reader must know about this run")
    ap.add_argument("--reuse", type=Path, nargs="*", default=[],
                    help="earlier --out files whose methods' results are kept (same protocol)")  # fmt: skip
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
    labels = args.methods.split(",")
    flips = None
    if any(method_label(m)[2] for m in labels):
        if args.flip_store is None:
            sys.exit("a +flip method needs --flip-store")
        settings = json.loads((args.flip_store / SETTINGS_FILE).read_text(encoding="utf-8"))
        corruption = settings.get("corruption") or ""
        if not corruption.startswith("flip@"):
            sys.exit(f"{args.flip_store} is not a store of mirrored images (corruption {corruption!r})")
        flips = {m: load(args.flip_store, m) for m in models}
    results: dict = {"people": args.people, "pairs": [list(p) for p in pairs], "folds": args.folds,
                     "seed": args.seed, "methods": {}}  # fmt: skip
    for path in args.reuse:
        done = json.loads(path.read_text(encoding="utf-8"))
        if any(done.get(k) != results[k] for k in ("people", "pairs", "folds", "seed")):
            sys.exit(f"{path} was run with other people, pairs, folds or seed")
        results["methods"] |= {m: v for m, v in done["methods"].items() if m in labels}
    for method in labels:
        if method in results["methods"]:
            print(f"{method}: reused")
            continue
        name, params, flip = method_label(method)
        start = time.perf_counter()
        study = upgrade_study(sets, pairs, lambda name=name, params=params: make_map(name, **params), method=method,
                              n_folds=args.folds, seed=args.seed, extra=flips if flip else None)  # fmt: skip
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
    results["methods"] = {m: results["methods"][m] for m in labels}  # in the order asked for, reused or not
    if args.record is not None:
        args.record.write_text(json.dumps(record(results, sys.argv, args.caveat), indent=1), encoding="utf-8")


def record(results: dict, argv: list[str], caveat: str = "") -> dict:
    """The selection in brief: each method's summary and rank-1 per pair, and the method of lowest median rank-1
    loss of the migrated gallery."""
    methods = {
        m: {"summary": v["summary"], "n_images": v["split"]["n_images"], "duration_s": round(v["duration_s"], 1),
            **({"n_extra": v["split"]["n_extra"]} if "n_extra" in v["split"] else {}),
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
    } | ({"caveat": caveat} if caveat else {})


if __name__ == "__main__":
    main()
