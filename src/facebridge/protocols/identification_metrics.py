"""1:N identification metrics as pure functions of a probe x gallery score matrix.

Conventions (higher score = more similar):

- **Rank** of a mated probe (bob.measure ``cmc``): 1 + the number of non-mate gallery scores >= the mate's score,
  so ties count against the probe. **CMC(r)**: the share of mated probes with rank <= r.
- **Open-set DIR at FPIR** (bob.measure ``detection_identification_rate`` / ``false_alarm_rate``): the threshold
  ``t`` is read off the non-mated probes' top scores so that FPIR(t) = share of them with top score >= t is at most
  the target (the smallest such ``t``); DIR = share of mated probes with rank 1 and mate score >= t.
- **Closed-set DIR at FPIR** (insightface ``ijb_1n.py``): mated probes only; ``t`` is the ``ceil(FPIR * n_probes)``-th
  largest of all their non-mate scores, DIR = share of mated probes whose mate score is > t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError

FPIRS = (1e-1, 1e-2)
RANKS = (1, 5, 10)


def _mate_scores(scores: np.ndarray, mate: np.ndarray) -> np.ndarray:
    scores, mate = np.asarray(scores), np.asarray(mate)
    if scores.ndim != 2 or mate.shape != (len(scores),):
        raise InvalidInputError(f"scores must be (n, g) and mate (n,), got {scores.shape} and {mate.shape}")
    if len(mate) and (mate.min() < 0 or mate.max() >= scores.shape[1]):
        raise InvalidInputError(f"mate indices must lie in [0, {scores.shape[1]}), got {mate.min()}..{mate.max()}")
    return scores[np.arange(len(mate)), mate]


def mate_ranks(scores: np.ndarray, mate: np.ndarray) -> np.ndarray:
    """(n,) rank of each mated probe's mate: 1 + non-mate scores >= the mate score (ties count against)."""
    pos = _mate_scores(scores, mate)
    return (scores >= pos[:, None]).sum(axis=1)  # the mate itself is counted once: rank = 1 + non-mates >= pos


def threshold_at(impostor: np.ndarray, rate: float) -> float:
    """The smallest threshold at which the share of ``impostor`` scores >= it is at most ``rate``.

    Used for FPIR over the non-mated probes' top scores and for FAR over impostor pair scores. The
    ``allowed + 1``-th largest score is found by partition, O(n): calibration pools millions of scores. The step
    above it is taken in the scores' own precision (float32 scores: a float32 step), so that comparing them with
    the threshold does not round it back onto that score and accept it.
    """
    s = np.asarray(impostor)
    s = (s if s.dtype == np.float32 else s.astype(np.float64)).ravel()
    if not len(s):
        raise InvalidInputError("a threshold at a false-alarm rate needs at least one impostor score")
    allowed = math.floor(rate * len(s) + 1e-9)
    if allowed >= len(s):
        return -math.inf
    kth = len(s) - 1 - allowed
    return float(np.nextafter(np.partition(s, kth)[kth], s.dtype.type(math.inf)))


@dataclass(frozen=True)
class RateAt:
    """A rate at an operating point: ``rate`` = ``hits`` / ``n``, at ``threshold``, with ``false_alarms`` of
    ``n_false`` impostor trials accepted there."""

    rate: float
    hits: int
    n: int
    threshold: float
    false_alarms: int
    n_false: int

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("rate", "hits", "n", "threshold", "false_alarms", "n_false")}


def open_set_dir(
    scores: np.ndarray, mate: np.ndarray, nonmated_scores: np.ndarray, fpir: float, rank: int = 1
) -> RateAt:
    """Open-set DIR at ``fpir`` (bob.measure rule, see the module docstring)."""
    top = np.asarray(nonmated_scores).max(axis=1)
    t = threshold_at(top, fpir)
    pos = _mate_scores(scores, mate)
    hits = int(((mate_ranks(scores, mate) <= rank) & (pos >= t)).sum())
    return RateAt(hits / len(pos), hits, len(pos), t, int((top >= t).sum()), len(top))


def closed_set_dir(scores: np.ndarray, mate: np.ndarray, fpir: float) -> RateAt:
    """Closed-set DIR at ``fpir`` (insightface ``ijb_1n.py`` rule, see the module docstring)."""
    pos = _mate_scores(scores, mate)
    masked = np.array(scores, dtype=np.float64, copy=True)
    masked[np.arange(len(mate)), mate] = -np.inf
    neg = masked[np.isfinite(masked)]
    k = math.ceil(fpir * len(pos))
    t = float(np.partition(neg, len(neg) - k)[len(neg) - k])
    hits = int((pos > t).sum())
    return RateAt(hits / len(pos), hits, len(pos), t, int((neg > t).sum()), len(neg))


@dataclass(frozen=True)
class IdentificationResult:
    """CMC at :data:`RANKS`, open- and closed-set DIR at :data:`FPIRS`, and the counts behind them."""

    cmc: dict[int, float]
    dir_open: dict[float, RateAt]
    dir_closed: dict[float, RateAt]
    n_mated: int
    n_nonmated: int
    n_gallery: int

    def to_dict(self) -> dict:
        return {
            "cmc": {str(r): v for r, v in self.cmc.items()},
            "dir_open": {f"{f:g}": v.to_dict() for f, v in self.dir_open.items()},
            "dir_closed": {f"{f:g}": v.to_dict() for f, v in self.dir_closed.items()},
            "n_mated": self.n_mated,
            "n_nonmated": self.n_nonmated,
            "n_gallery": self.n_gallery,
        }


def identify(
    scores: np.ndarray,
    mate: np.ndarray,
    nonmated_scores: np.ndarray,
    *,
    ranks: tuple[int, ...] = RANKS,
    fpirs: tuple[float, ...] = FPIRS,
) -> IdentificationResult:
    """Every metric of mated ``scores`` (n, g) with mate columns ``mate`` (n,) and non-mated scores (m, g)."""
    rank = mate_ranks(scores, mate)
    return IdentificationResult(
        cmc={r: float((rank <= r).mean()) for r in ranks},
        dir_open={f: open_set_dir(scores, mate, nonmated_scores, f) for f in fpirs},
        dir_closed={f: closed_set_dir(scores, mate, f) for f in fpirs},
        n_mated=len(mate),
        n_nonmated=len(nonmated_scores),
        n_gallery=int(np.asarray(scores).shape[1]),
    )
