"""The audit over several ordered model pairs (and optionally the defences), as one JSON-ready results dict.

With ``checkpoint``, each finished pair is saved as JSON under that folder
(:mod:`facebridge.experiments.shared.checkpoint`):
a re-run after an interruption reuses them, and a change of data or settings does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import facebridge
from facebridge.embeddings import EmbeddingSet, join_sets
from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy.audit import (
    FARS,
    LINK_BAR,
    AuditData,
    AuditSettings,
    audit_pairs,
    fewest_attacker_images,
)
from facebridge.experiments.privacy.audit_defences import DEFAULT_DEFENCES, DEFENCE_BUDGETS, defence_points
from facebridge.experiments.privacy.defences import DefenceSpec
from facebridge.experiments.shared.advice import unresolved_rate_warnings
from facebridge.experiments.shared.checkpoint import cached, pair_key, read_cached, write_cached
from facebridge.experiments.shared.parallel import check_workers, map_threads
from facebridge.experiments.shared.threads import blas_threads
from facebridge.protocols import PairList

Progress = Callable[[str, float, float], None]
#: The heatmap's budget when the caller names none and it is among the budgets.
HEATMAP_K = 100


def _capped(budgets: Sequence[int], fewest: int, what: str, notes: list[str]) -> tuple[int, ...]:
    over = [k for k in budgets if k > fewest]
    if not over:
        return tuple(budgets)
    capped = tuple(sorted({min(k, fewest) for k in budgets}))
    notes.append(
        f"{what} {', '.join(map(str, over))} exceed the {fewest} attacker-side images (fewest of any pair and seed): "
        f"capped to {fewest}, {what} now {', '.join(map(str, capped))}"
    )
    return capped


def plan_budgets(
    sets: Mapping[str, EmbeddingSet],
    pairs: Sequence[tuple[str, str]],
    settings: AuditSettings,
    heatmap_k: int | None = None,
    defence_pairs: Sequence[tuple[str, str]] = (),
    defence_budgets: Sequence[int] = DEFENCE_BUDGETS,
) -> tuple[AuditSettings, int, tuple[int, ...], list[str]]:
    """Budgets every pair and seed can spend, the heatmap's budget, the defences' budgets, and a one-line note for
    each change, before any work. Budgets above the fewest attacker-side images of any pair and seed become that
    number; ``heatmap_k`` None takes :data:`HEATMAP_K` when it is among the (capped) budgets, else the budget
    closest to it; a ``heatmap_k`` given but not among them is an InvalidInputError where the heatmap is drawn
    (several pairs)."""
    settings.check()
    fewest = min(
        fewest_attacker_images(join_sets(sets[a], sets[b], min_shared=2)[0], settings)
        for a, b in dict.fromkeys([*pairs, *defence_pairs])
    )
    notes: list[str] = []
    settings = replace(settings, budgets=_capped(settings.budgets, fewest, "budgets", notes))
    if defence_pairs:
        defence_budgets = _capped(defence_budgets, fewest, "defence budgets", notes)
    if heatmap_k is None:
        heatmap_k = min(settings.budgets, key=lambda k: (abs(k - HEATMAP_K), k))
        if heatmap_k != HEATMAP_K and len(pairs) > 1:
            notes.append(f"heatmap at budget {heatmap_k}, the budget closest to {HEATMAP_K}")
    elif len(pairs) > 1 and heatmap_k not in settings.budgets:
        raise InvalidInputError(f"--heatmap-k {heatmap_k} is not among the budgets {settings.budgets}")
    return settings, heatmap_k, tuple(defence_budgets), notes


def far_warnings(results: Mapping[str, Any]) -> list[str]:
    """:func:`~facebridge.experiments.shared.advice.unresolved_rate_warnings` for the audit's TAR@FAR: each victim's
    mapped template against the others' gallery templates are the impostor pairs (n * (n - 1) for n victims)."""
    n = min(p["n_victims"] for p in results["pairs"])
    return unresolved_rate_warnings(FARS, n * (n - 1), f"{n}/{n * (n - 1)} genuine/impostor pairs per seed")


def _pair_name(sets: Mapping[str, EmbeddingSet], a: str, b: str, settings: AuditSettings) -> str:
    return f"pair-{a}-{b}-{pair_key('pair', sets[a], sets[b], settings)}"


def audit_all_pairs(
    sets: Mapping[str, EmbeddingSet],
    pairs: Sequence[tuple[str, str]],
    settings: AuditSettings,
    progress: Progress | None = None,
    checkpoint: Path | None = None,
    workers: int | None = 1,
) -> list[dict[str, Any]]:
    """``audit_pair`` of each pair, in ``pairs``' order. The pairs of one leaked model whose joins hold the same
    images are audited together (``audit_pairs``: the leaked side's work shared), one such group per unit of work on
    ``workers`` threads; each finished pair is kept under ``checkpoint`` and read back from there."""
    done = {p: read_cached(checkpoint, _pair_name(sets, *p, settings)) for p in dict.fromkeys(pairs)}
    todo = [p for p, r in done.items() if r is None]
    units: list[tuple[np.ndarray, list[tuple[str, str]]]] = []  # (ids, pairs of one leaked model with those ids)
    for pair in todo:
        ids = join_sets(sets[pair[0]], sets[pair[1]], min_shared=2)[0]
        unit = next((u for u in units if u[1][0][0] == pair[0] and np.array_equal(u[0], ids)), None)
        if unit is None:
            units.append((ids, [pair]))
        else:
            unit[1].append(pair)
    finished = len(done) - len(todo)

    def run(unit: tuple[np.ndarray, list[tuple[str, str]]]) -> list[dict[str, Any]]:
        first = AuditData.join(sets[unit[1][0][0]], sets[unit[1][0][1]])
        datas = [first] + [first.with_reference(AuditData.join(sets[a], sets[b])) for a, b in unit[1][1:]]
        return audit_pairs(datas, settings)

    for unit, part in zip(units, map_threads(run, units, check_workers(workers)), strict=True):
        for pair, result in zip(unit[1], part, strict=True):
            done[pair] = write_cached(checkpoint, _pair_name(sets, *pair, settings), result)
        finished += len(unit[1])
        if progress:
            progress("audit", finished, len(done))
    return [done[p] for p in pairs]


def run_audit(
    sets: Mapping[str, EmbeddingSet],
    pairs: Sequence[tuple[str, str]],
    settings: AuditSettings,
    *,
    protocol: PairList | None = None,
    defence_pairs: Sequence[tuple[str, str]] = (),
    defences: Sequence[DefenceSpec] = DEFAULT_DEFENCES,
    defence_budgets: Sequence[int] = DEFENCE_BUDGETS,
    heatmap_k: int = 100,
    progress: Progress | None = None,
    checkpoint: Path | None = None,
    workers: int | None = 1,
) -> dict[str, Any]:
    """Audit each ``(leaked, reference)`` model pair of ``sets`` (name -> set); with a verification ``protocol``,
    also measure each defence on ``defence_pairs``. BLAS runs on one thread (many small solves); the pairs of each
    leaked model run together, on ``workers`` threads (None: every CPU; the numbers do not depend on it).
    ``checkpoint``: a folder where finished pairs are kept, so that an interrupted run resumes."""
    settings.check()
    if not pairs:
        raise InvalidInputError("no model pair to audit")
    for name in {m for p in (*pairs, *defence_pairs) for m in p}:
        if name not in sets:
            raise InvalidInputError(f"no embedding set for model {name!r} (have: {', '.join(sets)})")
    if len(pairs) > 1 and heatmap_k not in settings.budgets:
        raise InvalidInputError(f"the heatmap's budget {heatmap_k} is not among the budgets {settings.budgets}")
    if defence_pairs and protocol is None:
        raise InvalidInputError("measuring defences needs a verification protocol (e.g. LFW pairs.txt)")
    started = time.perf_counter()
    results: dict[str, Any] = {"pairs": [], "defences": []}
    with blas_threads(1):
        results["pairs"] = audit_all_pairs(sets, pairs, settings, progress, checkpoint, workers)
        for i, (a, b) in enumerate(defence_pairs):
            assert protocol is not None  # refused above when there are defence pairs
            report = None if progress is None else lambda d, t, i=i: progress("defences", i + d / t, len(defence_pairs))
            inputs = (settings, protocol.name, list(protocol.id_a), defences, defence_budgets)
            key = pair_key("defences", sets[a], sets[b], inputs)

            def compute_defences(
                a: str = a, b: str = b, report: Any = report, protocol: PairList = protocol
            ) -> list[dict[str, Any]]:
                data = AuditData.join(sets[a], sets[b])
                return defence_points(data, protocol, settings, defences, defence_budgets, report)

            results["defences"] += cached(checkpoint, f"defences-{a}-{b}-{key}", compute_defences)
    results["meta"] = {
        "budgets": list(settings.budgets),
        "seeds": list(settings.seeds),
        "evaluated_fraction": settings.evaluated_fraction,
        "map_method": settings.map_method,
        "map_params": dict(settings.map_params),
        "unpaired_params": dict(settings.unpaired_params),
        "fars": list(FARS),
        "link_bar": LINK_BAR,
        "heatmap_k": heatmap_k,
        "defence_budgets": list(defence_budgets) if defence_pairs else [],
        "protocol": protocol.name if protocol is not None and defence_pairs else None,
        "duration_s": time.perf_counter() - started,
        "facebridge_version": facebridge.__version__,
    }
    results["meta"]["warnings"] = far_warnings(results)
    return results
