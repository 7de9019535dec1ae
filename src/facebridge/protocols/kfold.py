"""k-fold verification accuracy: each fold is scored at a threshold chosen on the other folds.

Rule ``"max_accuracy"`` (insightface's ``verification.py``): the threshold maximises accuracy on the other folds.
Candidates are the cuts between adjacent distinct scores plus accept-all and accept-none; the threshold is placed at
the midpoint between the two scores of the chosen cut (``-inf``/``+inf`` for accept-all/none). Ties between
equally accurate cuts go to the highest threshold (fewest pairs accepted), as ``np.argmax`` picks the first best of
insightface's ascending distance grid. A pair is accepted when its score >= the threshold.

Scores are sorted once; each fold's search is then a masked cumulative sum, O(n) per fold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.protocols.roc import check_scores


def _max_accuracy_threshold(s: np.ndarray, y: np.ndarray) -> float:
    """Threshold maximising accuracy on scores ``s`` sorted descending with labels ``y``."""
    ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    accepted = np.concatenate([[0], ends + 1])
    tp = np.concatenate([[0], np.cumsum(y)[ends]])
    n_impostor = len(y) - tp[-1]
    correct = tp + n_impostor - (accepted - tp)
    cut = int(accepted[np.argmax(correct)])
    if cut == 0:
        return np.inf
    if cut == len(s):
        return -np.inf
    lo, hi = s[cut], s[cut - 1]
    mid = lo + (hi - lo) / 2
    return float(mid if lo < mid <= hi else hi)


THRESHOLD_RULES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"max_accuracy": _max_accuracy_threshold}


def _rule(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    if name not in THRESHOLD_RULES:
        raise NotFoundError(f"unknown threshold rule {name!r}; use one of {', '.join(THRESHOLD_RULES)}")
    return THRESHOLD_RULES[name]


def best_threshold(scores: np.ndarray, same: np.ndarray, threshold_rule: str = "max_accuracy") -> float:
    """The threshold ``threshold_rule`` chooses on (n,) ``scores`` with (n,) bool ``same``.

    For a single development split, e.g. chosen on LFW View 1 ``pairsDevTrain`` and applied to ``pairsDevTest``.
    """
    rule = _rule(threshold_rule)
    scores, same = check_scores(scores, same)
    if len(scores) == 0:
        raise InvalidInputError("no scores to choose a threshold on")
    order = np.argsort(-scores, kind="stable")
    return rule(scores[order], same[order])


class KFoldAccuracy(NamedTuple):
    """Per-fold results, each (k,): fold numbers, accuracy on the fold, threshold chosen on the other folds."""

    fold_ids: np.ndarray
    accuracy: np.ndarray
    thresholds: np.ndarray


def kfold_accuracy(
    scores: np.ndarray, same: np.ndarray, folds: np.ndarray, threshold_rule: str = "max_accuracy"
) -> KFoldAccuracy:
    """Accuracy of each fold at the threshold ``threshold_rule`` picks on the other folds.

    Parameters
    ----------
    scores : (n,) similarities, higher = more similar.
    same : (n,) bool labels.
    folds : (n,) int fold of each pair; at least two distinct folds.
    """
    rule = _rule(threshold_rule)
    scores, same = check_scores(scores, same)
    folds = np.asarray(folds)
    if folds.shape != scores.shape or not np.issubdtype(folds.dtype, np.integer):
        raise InvalidInputError(f"folds must be an int array of shape {scores.shape}, got {folds.dtype} {folds.shape}")
    fold_ids = np.unique(folds)
    if len(fold_ids) < 2:
        raise InvalidInputError(f"k-fold accuracy needs at least 2 folds, got {len(fold_ids)}")
    order = np.argsort(-scores, kind="stable")
    s, y, f = scores[order], same[order], folds[order]
    accuracy, thresholds = np.empty(len(fold_ids)), np.empty(len(fold_ids))
    for i, k in enumerate(fold_ids):
        test = f == k
        thresholds[i] = rule(s[~test], y[~test])
        accuracy[i] = np.mean((s[test] >= thresholds[i]) == y[test])
    return KFoldAccuracy(fold_ids, accuracy, thresholds)
