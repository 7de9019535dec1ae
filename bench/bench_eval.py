"""Benchmark: LFW 10-fold verification (k-fold accuracy + ROC, AUC, EER, TAR@FAR) of 6,000 scored pairs.

``verify`` (one sort, cumulative sums per fold) side by side with a plain loop reference that tries every
candidate threshold per fold (midpoints of adjacent distinct training scores) and builds the ROC threshold by
threshold. Uses the fold structure of ``../shared/data/lfw/pairs.txt`` when present, else a synthetic one of the
same shape (10 folds x 300 genuine + 300 impostor). Scores are the real cosine similarities of a model's embeddings
when the pairs are real and the store holds that model (``--store``, default ``store/lfw-yunet``; ``--model``), else
synthetic float32 similarities; the first line printed says which. Goal: < 50 ms.

Run: ``.venv/bin/python bench/bench_eval.py [--store store/lfw-yunet] [--model edgeface-xs] [--repeats 50]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facebridge.embeddings import read_embeddings
from facebridge.protocols import parse_lfw_pairs, score_pairs, verify

PAIRS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "lfw" / "pairs.txt"


def protocol(seed: int, store: Path, model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(scores, same, folds, description) for 6,000 pairs: real scores when the pairs and ``store/model.parquet``
    exist, synthetic ones otherwise."""
    embeddings = store / f"{model}.parquet"
    if PAIRS.is_file():
        pairs = parse_lfw_pairs(PAIRS)
        same, folds, source = pairs.same, pairs.fold, "real pairs.txt folds"
        if embeddings.is_file():
            scores = score_pairs(pairs, read_embeddings(embeddings))
            return scores, same, folds, f"{source}, REAL cosine scores of {model} from {embeddings}"
    else:
        same, folds, source = np.tile(np.arange(600) < 300, 10), np.repeat(np.arange(10), 600), "synthetic folds"
    rng = np.random.default_rng(seed)
    scores = np.where(same, rng.normal(0.55, 0.15, same.shape), rng.normal(0.05, 0.1, same.shape))
    why = "no pairs.txt" if not PAIRS.is_file() else f"{embeddings} not found"
    return scores.astype(np.float32).astype(np.float64), same, folds, f"{source}, SYNTHETIC scores ({why})"


def loop_reference(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, float]:
    """Fold accuracies and AUC the plain way: one pass over the data per candidate threshold."""
    roc = [(np.mean(scores[~same] >= t), np.mean(scores[same] >= t)) for t in np.append(np.unique(scores), np.inf)]
    fpr, tpr = np.array(sorted(roc)).T
    auc = float(np.trapezoid(tpr, fpr))
    accuracy = []
    for k in np.unique(folds):
        s, y = scores[folds != k], same[folds != k]
        u = np.unique(s)
        candidates = np.concatenate([[-np.inf], (u[:-1] + u[1:]) / 2, [np.inf]])
        correct = np.array([np.sum((s >= t) == y) for t in candidates])
        best = candidates[np.flatnonzero(correct == correct.max())[-1]]
        accuracy.append(np.mean((scores[folds == k] >= best) == same[folds == k]))
    return np.array(accuracy), auc


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--ref-repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic scores")
    parser.add_argument("--store", type=Path, default=Path("store/lfw-yunet"), help="embedding store of LFW")
    parser.add_argument("--model", default="edgeface-xs", help="model whose embeddings are scored")
    args = parser.parse_args()

    scores, same, folds, source = protocol(args.seed, args.store, args.model)
    result = verify(scores, same, folds)
    ref_accuracy, ref_auc = loop_reference(scores, same, folds)
    ours = median_seconds(lambda: verify(scores, same, folds), args.repeats)
    ref = median_seconds(lambda: loop_reference(scores, same, folds), args.ref_repeats)

    print(f"pairs: {len(scores)} ({source}), folds: {len(np.unique(folds))}, distinct scores: {len(np.unique(scores))}")
    print(f"accuracy {result.mean:.4f} +- {result.std:.4f}, AUC {result.auc:.4f}, EER {result.eer:.4f}")
    print(
        f"agreement with reference: fold accuracies equal {np.array_equal(result.fold_accuracy, ref_accuracy)}, "
        f"|AUC diff| {abs(result.auc - ref_auc):.1e}"
    )
    print(f"verify (k-fold + ROC/AUC/EER/TAR): median {ours * 1e3:.2f} ms over {args.repeats} runs (goal < 50 ms)")
    print(f"loop reference:                     median {ref * 1e3:.1f} ms over {args.ref_repeats} runs")
    print(f"speed-up: {ref / ours:.0f}x")


if __name__ == "__main__":
    main()
