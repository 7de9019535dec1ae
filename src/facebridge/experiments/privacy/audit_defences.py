"""Each defence measured both ways, from the same protected templates: the protected system's own verification
accuracy (a verification protocol, e.g. LFW View 2 10-fold) and the attack's rank-1 at fixed budgets.

A deployment protects its templates with its secret key before storing them; so the leak holds protected templates,
and so do the attacker's k pairs (photos of known people the attacker matched to leaked templates, or enrolled
themselves). The PCA defence's basis comes from the deployment's own data: the images of people in no protocol pair,
so that no verification pair's image shapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy.audit import AuditData, AuditSettings, AuditTask, attack, split_people, summarize
from facebridge.experiments.privacy.defences import DefenceSpec
from facebridge.protocols import PairList, person_of, verify

DEFENCE_BUDGETS = (100, 1000)
DEFAULT_DEFENCES = (
    DefenceSpec("none"),
    DefenceSpec("rotation"),
    DefenceSpec("noise", 0.5),
    DefenceSpec("noise", 1.0),
    DefenceSpec("noise", 2.0),
    DefenceSpec("pca", 8),
    DefenceSpec("pca", 16),
    DefenceSpec("pca", 32),
    DefenceSpec("biohash", 64),
    DefenceSpec("biohash", 256),
)


def deployment_rows(ids: np.ndarray, pairs: PairList) -> np.ndarray:
    """Rows of ``ids`` whose person appears in no pair of ``pairs``: data a deployment may fit its defence on."""
    in_pairs = {person_of(i) for i in pairs.ids()}
    rows = np.array([i for i, k in enumerate(ids) if person_of(k) not in in_pairs], dtype=np.int64)
    if len(rows) < 2:
        raise InvalidInputError("no images of people outside the protocol's pairs to fit a defence on")
    return rows


def native_verification(data: AuditData, pairs: PairList) -> dict[str, float]:
    """k-fold verification accuracy (mean, std over folds) of system A's templates in ``data`` on ``pairs``."""
    rows = {k: i for i, k in enumerate(data.ids)}
    missing = [i for i in pairs.ids() if i not in rows]
    if missing:
        raise InvalidInputError(f"{len(missing)} protocol images are not in both sets, e.g. {missing[0]!r}")
    a = data.x[[rows[i] for i in pairs.id_a]]
    b = data.x[[rows[i] for i in pairs.id_b]]
    scores = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    result = verify(scores, np.asarray(pairs.same, dtype=bool), np.asarray(pairs.fold))
    return {"accuracy_mean": result.mean, "accuracy_std": result.std}


def defence_points(
    data: AuditData,
    pairs: PairList,
    settings: AuditSettings,
    defences: Sequence[DefenceSpec] = DEFAULT_DEFENCES,
    budgets: Sequence[int] = DEFENCE_BUDGETS,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One record per defence: native accuracy of the protected system, the attack's rank-1 at each budget (mean,
    std over seeds). The deployment key of seed ``s`` is ``s``; the native accuracy is read under key 0. PCA and
    BioHash levels above system A's dimension are skipped."""
    settings.check()
    reference = deployment_rows(data.ids, pairs)
    dim = data.x.shape[1]
    defences = [s for s in defences if s.kind not in ("pca", "biohash") or s.level <= dim]  # none outgrow the space
    out, total = [], len(defences) * len(settings.seeds)
    for i, spec in enumerate(defences):
        native = native_verification(data.protected(spec, 0, reference), pairs)
        points = []
        for j, seed in enumerate(settings.seeds):
            protected = data.protected(spec, seed, reference)
            task = AuditTask(protected, split_people(data.ids, seed, settings.evaluated_fraction))
            points += [{"k": k, "seed": seed, **attack(task, k, settings, seed)} for k in budgets]
            if progress:
                progress(i * len(settings.seeds) + j + 1, total)
        record: dict[str, Any] = {
            "leaked": data.leaked_model,
            "reference": data.reference_model,
            "defence": spec.kind,
            "level": spec.level,
            "label": spec.label,
            **native,
        }
        for row in summarize(points):
            record[f"rank1_k{row['k']}_mean"] = row["rank1_mean"]
            record[f"rank1_k{row['k']}_std"] = row["rank1_std"]
        out.append(record)
    return out
