"""The study's results as rows of plain data (accuracies in percent, penalties in points), and the summaries read
off the sample-size and rank curves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from facebridge.experiments.shared.data import StudyData
from facebridge.experiments.shared.scoring import view_scores
from facebridge.experiments.verification.curves import smallest_within
from facebridge.experiments.verification.penalty import MapResult
from facebridge.experiments.verification.rank import RankPoint
from facebridge.experiments.verification.sample_size import ALL, SizePoint
from facebridge.protocols import Roc, verify

#: FARs at which the results keep each ROC (ten per decade, 1e-4 to 1): enough to draw ROC and DET curves.
ROC_FARS: tuple[float, ...] = tuple(float(f"{10 ** (k / 10):.4g}") for k in range(-40, 1))


def roc_points(roc: Roc) -> dict[str, list[float]]:
    """The ROC read at the ``ROC_FARS`` the pair count resolves (FAR >= 1 / n_impostor): FAR (fraction) and TAR (%),
    TAR being the largest with FAR <= each value (``Roc.tar_at_far``)."""
    fars = [f for f in ROC_FARS if f * roc.n_impostor >= 1]
    return {"far": fars, "tar": [round(100 * roc.tar_at_far(f), 4) for f in fars]}


def native_rows(data: StudyData) -> list[dict[str, Any]]:
    rows = []
    for model in data.models:
        y = data.vectors[model]  # unit rows: the norm of their mean is 0 for a centred space, 1 for a single point
        r = verify(view_scores(y[data.row_a], y[data.row_b]), data.pairs.same, data.pairs.fold)
        rows.append(
            {
                "model": model,
                "dim": data.dim(model),
                "mean": 100 * r.mean,
                "std": 100 * r.std,
                "auc": r.auc,
                "eer": 100 * r.eer,
                "tar_far_1e-3": 100 * r.tar_at_far[1e-3],
                "fold_accuracy": [100 * float(a) for a in r.fold_accuracy],
                "mean_norm": float(np.linalg.norm(y.mean(axis=0))),
                "roc": roc_points(r.roc),
            }
        )
    return rows


def params_of(results: MapResult) -> dict[str, Any]:
    """Per-fold chosen parameters as lists (e.g. ``{"alpha": [..10 folds..]}``), JSON-ready."""
    keys = sorted({k for p in results.params for k in p})
    return {k: [p.get(k) for p in results.params] for k in keys}


def penalty_rows(results: list[MapResult], plain_native: Mapping[str, float]) -> list[dict[str, Any]]:
    return [
        {
            "source": r.source,
            "target": r.target,
            "method": r.method,
            "mode": "cross",
            "mean": 100 * r.cross.mean,
            "std": 100 * r.cross.std,
            "native_target": 100 * r.native.mean,
            "penalty": 100 * (r.native.mean - r.cross.mean),
            "native_plain": plain_native[r.target],
            "penalty_vs_plain": plain_native[r.target] - 100 * r.cross.mean,
            "tar_far_1e-3": 100 * r.cross.tar_at_far[1e-3],
            "roc": roc_points(r.cross.roc),
            "fold_accuracy": [100 * float(a) for a in r.cross.fold_accuracy],
            "params": params_of(r),
        }
        for r in results
    ]


def modes_rows(results: list[MapResult]) -> list[dict[str, Any]]:
    return [
        {
            "source": r.source,
            "target": r.target,
            "method": r.method,
            "cross": 100 * r.cross.mean,
            "both": 100 * r.both.mean,
            "native_target": 100 * r.native.mean,
        }
        for r in results
    ]


def size_rows(points: list[SizePoint]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    curves: dict[tuple[str, str, str], dict[int | str, float]] = {}
    for p in points:
        acc = np.asarray(p.accuracies)
        q25, median, q75 = np.percentile(acc, [25, 50, 75])
        rows.append(
            {
                "source": p.source,
                "target": p.target,
                "method": p.method,
                "n": p.n,
                "accuracies": [float(a) for a in acc],
                "median": float(median),
                "q25": float(q25),
                "q75": float(q75),
            }
        )
        curves.setdefault((p.source, p.target, p.method), {})[p.n] = float(median)
    summary = []
    for (s, t, m), curve in curves.items():
        full = curve[ALL]
        points_n = [(n, a) for n, a in curve.items() if isinstance(n, int)]  # every size but ALL
        summary.append(
            {
                "source": s,
                "target": t,
                "method": m,
                "full": full,
                "smallest_n_within_0_5": smallest_within(points_n, full),
            }
        )
    return rows, summary


def rank_rows(points: list[RankPoint]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [
        {
            "source": p.source,
            "target": p.target,
            "method": p.method,
            "rank": "full" if p.rank is None else p.rank,
            "mean": p.mean,
        }
        for p in points
    ]
    curves: dict[tuple[str, str, str], dict[int | None, float]] = {}
    for p in points:
        curves.setdefault((p.source, p.target, p.method), {})[p.rank] = p.mean
    summary = []
    for (s, t, m), curve in curves.items():
        full = curve[None]
        reduced = [(r, a) for r, a in curve.items() if r is not None]
        summary.append(
            {
                "source": s,
                "target": t,
                "method": m,
                "full": full,
                "smallest_rank_within_0_5": smallest_within(reduced, full),
            }
        )
    return rows, summary
