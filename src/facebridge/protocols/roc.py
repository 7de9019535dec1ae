"""The ROC of a score vector, computed once by sorting, and the numbers read off it: AUC, EER, TAR at FAR.

Decision rule everywhere: a pair is accepted as "same" when its score is >= the threshold. The ROC has one point
per distinct score (ties move together, so no threshold ever splits equal scores) plus the accept-none point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError


def check_scores(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``scores`` as (n,) finite float64 and ``same`` as (n,) bool, or InvalidInputError."""
    scores, same = np.asarray(scores, dtype=np.float64), np.asarray(same)
    if scores.ndim != 1 or same.shape != scores.shape:
        raise InvalidInputError(f"scores and same must be 1-D of equal length, got {scores.shape} and {same.shape}")
    if same.dtype != np.bool_:
        raise InvalidInputError(f"same must be a bool array, got dtype {same.dtype}")
    if not np.isfinite(scores).all():
        raise InvalidInputError(f"{int((~np.isfinite(scores)).sum())} scores are NaN or inf")
    return scores, same


@dataclass(frozen=True, eq=False)
class Roc:
    """Receiver operating characteristic over all pairs.

    Parameters
    ----------
    fpr, tpr : (m + 1,) false/true accept rates, non-decreasing from (0, 0) to (1, 1); m = number of distinct scores.
    thresholds : (m + 1,) decreasing: ``+inf`` (accept none), then the distinct scores. Point ``i`` accepts the pairs
        with score >= ``thresholds[i]``; identical to ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``.
    n_genuine, n_impostor : pair counts; ``1 / n_impostor`` is the finest FAR resolvable.
    """

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray
    n_genuine: int
    n_impostor: int

    def auc(self) -> float:
        """Area under the ROC by the trapezoid rule (a tie between a genuine and an impostor counts one half)."""
        return float(np.trapezoid(self.tpr, self.fpr))

    def eer(self) -> float:
        """Equal error rate: FPR where FPR = FNR (= 1 - TPR), linearly interpolated between ROC points."""
        gap = self.fpr - (1.0 - self.tpr)  # -1 at the first point, +1 at the last, non-decreasing
        i = int(np.argmax(gap >= 0))
        t = -gap[i - 1] / (gap[i] - gap[i - 1])
        return float(self.fpr[i - 1] + t * (self.fpr[i] - self.fpr[i - 1]))

    def tar_at_far(self, far: float) -> float:
        """The largest TAR among thresholds whose FAR <= ``far``.

        With ``n_impostor`` impostor pairs only FARs that are multiples of ``1 / n_impostor`` occur: with 3,000
        impostors, FAR 1e-3 allows at most 3 false accepts, and a ``far`` below ``1 / n_impostor`` reads the TAR at
        zero false accepts.
        """
        if not 0 < far <= 1:
            raise InvalidInputError(f"far must be in (0, 1], got {far}")
        return float(self.tpr[np.searchsorted(self.fpr, far, side="right") - 1])


def roc_curve(scores: np.ndarray, same: np.ndarray) -> Roc:
    """The ROC of (n,) ``scores`` with (n,) bool labels ``same``, in O(n log n); needs both classes present."""
    scores, same = check_scores(scores, same)
    n_genuine = int(same.sum())
    n_impostor = len(same) - n_genuine
    if n_genuine == 0 or n_impostor == 0:
        raise InvalidInputError(f"a ROC needs genuine and impostor pairs, got {n_genuine} and {n_impostor}")
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], same[order]
    ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))  # last position of each run of equal scores
    tp = np.cumsum(y)[ends]
    fp = ends + 1 - tp
    return Roc(
        fpr=np.concatenate([[0.0], fp / n_impostor]),
        tpr=np.concatenate([[0.0], tp / n_genuine]),
        thresholds=np.concatenate([[np.inf], s[ends]]),
        n_genuine=n_genuine,
        n_impostor=n_impostor,
    )


def tar_at_fars(genuine: np.ndarray, impostor: np.ndarray, fars: Sequence[float]) -> list[float]:
    """``roc_curve(scores, same).tar_at_far(far)`` for each of ``fars``, from the genuine and impostor scores, by
    selection instead of a sort of all scores (O(n) per FAR): the same numbers.

    With ``c`` the most false accepts FAR ``far`` allows (``c / n_impostor <= far``) and ``v`` the ``c + 1``-th
    highest impostor score, the thresholds allowed are those above ``v`` (ties move together), and the best of them
    accepts exactly the genuine scores above ``v``.
    """
    g, _ = check_scores(np.ravel(genuine), np.ones(np.size(genuine), dtype=bool))
    imp, _ = check_scores(np.ravel(impostor), np.zeros(np.size(impostor), dtype=bool))
    n_genuine, n_impostor = len(g), len(imp)
    if n_genuine == 0 or n_impostor == 0:
        raise InvalidInputError(f"a ROC needs genuine and impostor pairs, got {n_genuine} and {n_impostor}")
    out = []
    for far in fars:
        if not 0 < far <= 1:
            raise InvalidInputError(f"far must be in (0, 1], got {far}")
        c = min(int(far * n_impostor), n_impostor)  # then corrected to the ROC's own float comparison
        while c < n_impostor and (c + 1) / n_impostor <= far:
            c += 1
        while c > 0 and c / n_impostor > far:
            c -= 1
        if c == n_impostor:
            out.append(1.0)
            continue
        v = np.partition(imp, n_impostor - 1 - c)[n_impostor - 1 - c]
        out.append(float(int((g > v).sum()) / n_genuine))
    return out
