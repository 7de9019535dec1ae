"""Verification metrics of one scored pair list: k-fold accuracy, ROC, AUC, EER and TAR at FAR, as plain data.

Pure functions of arrays (scores, labels, folds); models never enter here. The ROC is computed once over all pairs
and every ROC number is read off it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facebridge.protocols.kfold import kfold_accuracy
from facebridge.protocols.roc import Roc, roc_curve

DEFAULT_FARS = (1e-1, 1e-2, 1e-3)


def _json_floats(values: np.ndarray) -> list[float | None]:
    """Floats for JSON; the infinite thresholds (accept none / accept all) become None."""
    return [float(v) if np.isfinite(v) else None for v in values]


@dataclass(frozen=True, eq=False)
class VerificationResult:
    """Everything ``verify`` measures.

    Parameters
    ----------
    threshold_rule : the rule that chose each fold's threshold (see ``facebridge.protocols.kfold``).
    fold_ids, fold_accuracy, thresholds : (k,) fold numbers, accuracy on each fold, the threshold used on it.
    auc, eer : over all pairs.
    tar_at_far : {FAR target: largest TAR with FAR <= target}, over all pairs.
    roc : the ROC over all pairs.
    """

    threshold_rule: str
    fold_ids: np.ndarray
    fold_accuracy: np.ndarray
    thresholds: np.ndarray
    auc: float
    eer: float
    tar_at_far: dict[float, float]
    roc: Roc

    @property
    def mean(self) -> float:
        """Mean accuracy over the folds."""
        return float(np.mean(self.fold_accuracy))

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0) over the folds, the ``np.std`` that insightface and FaceX-Zoo
        report for LFW."""
        return float(np.std(self.fold_accuracy))

    @property
    def n_genuine(self) -> int:
        return self.roc.n_genuine

    @property
    def n_impostor(self) -> int:
        return self.roc.n_impostor

    def to_dict(self, *, roc: bool = False) -> dict:
        """JSON-ready dict; FAR keys as ``"0.001"``; infinite thresholds as None; the ROC arrays on request."""
        out = {
            "threshold_rule": self.threshold_rule,
            "accuracy_mean": self.mean,
            "accuracy_std": self.std,
            "fold_ids": [int(k) for k in self.fold_ids],
            "fold_accuracy": [float(a) for a in self.fold_accuracy],
            "thresholds": _json_floats(self.thresholds),
            "auc": self.auc,
            "eer": self.eer,
            "tar_at_far": {f"{far:g}": tar for far, tar in self.tar_at_far.items()},
            "n_genuine": self.n_genuine,
            "n_impostor": self.n_impostor,
        }
        if roc:
            out["roc"] = {
                "fpr": self.roc.fpr.tolist(),
                "tpr": self.roc.tpr.tolist(),
                "thresholds": _json_floats(self.roc.thresholds),
            }
        return out


def verify(
    scores: np.ndarray,
    same: np.ndarray,
    folds: np.ndarray,
    threshold_rule: str = "max_accuracy",
    fars: Sequence[float] = DEFAULT_FARS,
) -> VerificationResult:
    """Verification metrics of (n,) ``scores`` (higher = more similar) with (n,) bool ``same`` and (n,) int ``folds``.

    Accuracy is k-fold (threshold chosen on the other folds by ``threshold_rule``); AUC, EER and TAR at each FAR in
    ``fars`` come from one ROC over all pairs. Raises InvalidInputError on malformed input, fewer than 2 folds, or
    a missing class; NotFoundError for an unknown rule.
    """
    kfold = kfold_accuracy(scores, same, folds, threshold_rule)
    roc = roc_curve(scores, same)
    return VerificationResult(
        threshold_rule=threshold_rule,
        fold_ids=kfold.fold_ids,
        fold_accuracy=kfold.accuracy,
        thresholds=kfold.thresholds,
        auc=roc.auc(),
        eer=roc.eer(),
        tar_at_far={float(far): roc.tar_at_far(far) for far in fars},
        roc=roc,
    )
