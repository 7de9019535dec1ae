"""The transition as operators run it, as extra scenarios of the upgrade study's folds.

While both models run, every new probe photo can be embedded by A and by B:

- ``fused``: the old gallery searched with A(probe) and the migrated gallery with B(probe); each side's scores are
  z-normalised with the mean and spread of its own impostor scores on the *training* folds (the study's calibration
  scores, each fold scored with a map fitted without it; never fold ``k``), and averaged with weights ``d'``, the
  side's mean genuine z-score on those folds (the weights of a linear discriminant for two independent sides of
  equal spread: a side that separates people poorly counts for little, so a weak migration cannot drag the old
  system down much). Both galleries hold the same people in the same order, so the fused matrix ranks one gallery.
- ``reenrolled_<p>``: progressive re-enrolment, a share ``p`` of the gallery's people (seeded draw per fold) seen
  again since the upgrade, their migrated templates replaced by native B ones (their enrolment photo's B template:
  a fresh photo of the same quality, never the probe itself); B probes.

Re-enrolment at share 1 is the study's ``self`` and at share 0 its ``migrated_gallery``, so the shares between show
how fast the migrated gallery's loss is paid back as people come back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from facebridge.vectors import cosine_matrix

#: Shares of the gallery's people re-enrolled since the upgrade.
REENROL_SHARES = (0.25, 0.5)
TRANSITION_SCENARIOS = ("fused", *(f"reenrolled_{round(100 * p)}" for p in REENROL_SHARES))

ScorePair = tuple[np.ndarray, np.ndarray]


def znorm(impostor: np.ndarray, genuine: np.ndarray) -> tuple[float, float, float]:
    """(mean, spread, weight) of a side: its impostor scores' mean and spread (floored above 0), and its ``d'``,
    the genuine scores' mean z-score (floored at 0: a side no better than chance gets no weight)."""
    s = np.asarray(impostor, dtype=np.float64).ravel()
    mean, spread = float(s.mean()), max(float(s.std()), 1e-12)
    return mean, spread, max((float(np.mean(genuine)) - mean) / spread, 0.0)


def fuse(
    old: ScorePair, migrated: ScorePair, norm_old: tuple[float, ...], norm_migrated: tuple[float, ...]
) -> ScorePair:
    """(mated, non-mated) fused scores: each side's z-scores averaged with its weight (matrices of equal shapes);
    equal weights when both are zero."""
    (mo, so, wo), (mm, sm, wm) = norm_old, norm_migrated
    if wo + wm <= 0:
        wo = wm = 1.0
    mated, nonmated = (
        (wo * (o - mo) / so + wm * (m - mm) / sm) / (wo + wm) for o, m in zip(old, migrated, strict=True)
    )
    return mated, nonmated


def reenrolled_rows(n_gallery: int, share: float, seed: int, fold: int) -> np.ndarray:
    """(round(share * n),) sorted gallery rows re-enrolled, drawn with ``(seed, fold, share)``."""
    rng = np.random.default_rng([seed, fold, round(1000 * share)])
    return np.sort(rng.choice(n_gallery, size=round(share * n_gallery), replace=False))


def transition_scores(
    gallery: Mapping[str, np.ndarray],
    probes: tuple[Mapping[str, np.ndarray], Mapping[str, np.ndarray]],
    scores: Mapping[str, ScorePair],
    calibration: Mapping[str, np.ndarray],
    *,
    seed: int,
    fold: int,
) -> dict[str, ScorePair]:
    """(mated, non-mated) score matrices of each of ``TRANSITION_SCENARIOS`` for one fold.

    ``gallery`` and ``probes`` (mated, non-mated) hold the fold's vectors per space (``"a"``, ``"b"``,
    ``"mapped"``); ``scores`` the study's scenarios (``"old"``, ``"migrated_gallery"``); ``calibration`` the
    training folds' impostor scores ``"old"`` (A, A) and ``"cross"`` (migrated gallery, B probes), and their genuine
    scores ``"old_genuine"`` and ``"cross_genuine"``."""
    norms = [znorm(calibration[side], calibration[f"{side}_genuine"]) for side in ("old", "cross")]
    out: dict[str, ScorePair] = {"fused": fuse(scores["old"], scores["migrated_gallery"], *norms)}
    for share in REENROL_SHARES:
        mixed = np.array(gallery["mapped"], copy=True)
        rows = reenrolled_rows(len(mixed), share, seed, fold)
        mixed[rows] = gallery["b"][rows]
        out[f"reenrolled_{round(100 * share)}"] = (cosine_matrix(probes[0]["b"], mixed),
                                                  cosine_matrix(probes[1]["b"], mixed))  # fmt: skip
    return out
