"""The canonical-space study's other experiments and its driver: a mixed gallery (each person enrolled by a random
model, probed by another), leave-one-model-out (seven build the space, the eighth joins), and file sizes."""

from __future__ import annotations

import copy
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

import facebridge
from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.canonical.study import (
    FAMILY,
    Candidate,
    CanonSettings,
    Say,
    _score_routes,
    all_stats,
    choose,
    evaluate,
    fold_stats,
    penalties,
    rows32,
    through,
)
from facebridge.experiments.shared.data import StudyData, study_data
from facebridge.fingerprint import Fingerprint
from facebridge.maps import RidgeMap, save_map
from facebridge.maps.canonical import CanonicalSpace, JointStats, save_space
from facebridge.protocols import PairList, person_of
from facebridge.vectors import unit_rows


def _rank1(gallery: np.ndarray, probes: np.ndarray) -> float:
    """Percent of probes (row i: person i) whose nearest gallery row by cosine is row i."""
    sims = unit_rows(probes) @ unit_rows(gallery).T
    return 100 * float(np.mean(np.argmax(sims, axis=1) == np.arange(len(probes))))


def _encode_by_model(
    space: CanonicalSpace, data: StudyData, models: list[str], which: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """(len(rows), d) canonical coordinates of each row ``rows[i]`` as embedded by model ``models[which[i]]``."""
    out = np.empty((len(rows), space.dim_))
    for j, m in enumerate(models):
        mine = which == j
        if mine.any():
            out[mine] = space.encode(data.vectors[m][rows[mine]], m)
    return out


def _pairwise_rank1(
    data: StudyData, train: JointStats, models: list[str], enrol: np.ndarray, first: np.ndarray, probe: np.ndarray,
    second: np.ndarray,
) -> float:
    """Rank-1 of the same mixed gallery searched without a shared space: each probe mapped by the direct ridge map
    into each template's model (native cosine where they share one), as a deployment of N(N-1) maps would."""
    sims = np.empty((len(second), len(first)))
    for b, probe_model in enumerate(models):
        p = probe == b
        if not p.any():
            continue
        x = data.vectors[probe_model][second[p]]
        for a, gallery_model in enumerate(models):
            g = enrol == a
            if not g.any():
                continue
            mapped = x if a == b else RidgeMap().fit_stats(train.pair(probe_model, gallery_model)).transform(x)
            sims[np.ix_(p, g)] = unit_rows(mapped) @ unit_rows(data.vectors[gallery_model][first[g]]).T
    return 100 * float(np.mean(np.argmax(sims, axis=1) == np.arange(len(second))))


def mixed_gallery(
    data: StudyData, total: JointStats, cand: Candidate, settings: CanonSettings
) -> dict[str, Any]:
    """Rank-1 of a gallery whose people were each enrolled by a random model and probed by another, searched in a
    space fitted without them, against the same gallery searched through direct pairwise maps fitted on the same
    images, and every model's own single-model gallery of the same people and images."""
    rng = np.random.default_rng(settings.seed)
    rows_of: dict[str, list[int]] = {}
    for i, image in enumerate(data.ids):
        rows_of.setdefault(person_of(image), []).append(i)
    people = sorted(p for p, rows in rows_of.items() if len(rows) >= 2)
    split = rng.permutation(len(people)) % settings.id_splits
    models = list(data.models)
    enrol = rng.integers(len(models), size=len(people))
    probe = (enrol + rng.integers(1, len(models), size=len(people))) % len(models)  # always another model
    mixed: list[tuple[float, int]] = []
    pairwise: list[tuple[float, int]] = []
    native: dict[str, list[tuple[float, int]]] = {m: [] for m in models}
    for g in range(settings.id_splits):
        members = [p for p, s in zip(people, split, strict=True) if s == g]
        first = np.array([rows_of[p][0] for p in members])
        second = np.array([rows_of[p][1] for p in members])
        held = np.zeros(data.n, dtype=bool)
        held[[r for p in members for r in rows_of[p]]] = True
        train = total.without(JointStats.from_arrays(rows32(data, held), normalize=True))
        space = cand.make(settings.alpha, settings.pca).fit_stats(train)
        picks = np.flatnonzero(split == g)
        gallery = _encode_by_model(space, data, models, enrol[picks], first)
        probes = _encode_by_model(space, data, models, probe[picks], second)
        mixed.append((_rank1(gallery, probes), len(members)))
        pairwise.append((_pairwise_rank1(data, train, models, enrol[picks], first, probe[picks], second), len(members)))
        for m in models:
            native[m].append((_rank1(data.vectors[m][first], data.vectors[m][second]), len(members)))

    def pooled(parts: list[tuple[float, int]]) -> float:
        return sum(r * n for r, n in parts) / sum(n for _, n in parts)

    single = {m: pooled(v) for m, v in native.items()}
    best = max(single, key=lambda m: single[m])
    return {
        "candidate": cand.key, "people": len(people), "splits": settings.id_splits,
        "rank1_mixed": pooled(mixed), "rank1_mixed_pairwise": pooled(pairwise), "rank1_single": single,
        "best_single": best,
        "gap": single[best] - pooled(mixed),
    }  # fmt: skip


def leave_one_out(
    data: StudyData, stats: dict[int, JointStats], cand: Candidate, settings: CanonSettings, full: dict[str, float],
    nat: dict[str, float], say: Say,
) -> dict[str, Any]:
    """Each model left out of the fold's space and joined with one ridge map on the fold's training images, through
    every other member (their mean canonical coordinates) and through the first other member alone: its 2(N-1)
    route penalties against those of the space it was fitted into (``full``)."""
    out: dict[str, Any] = {}
    for model in settings.loo_models or data.models:
        others = [m for m in data.models if m != model]
        if cand.method == "hub" and cand.hub == model:
            continue  # the space is the hub's: it cannot join its own space
        ways: dict[str, dict[int, CanonicalSpace]] = {"all": {}, "one": {}}
        for k in data.fold_ids:
            space = cand.make(settings.alpha, settings.pca).fit_stats(stats[k].subset(others))
            train = data.allowed(frozenset({k}))
            x = data.vectors[model][train]
            ways["one"][k] = copy.deepcopy(space).join(model, x, {others[0]: data.vectors[others[0]][train]})
            ways["all"][k] = space.join(model, x, {m: data.vectors[m][train] for m in others})
        pairs = [(model, b) for b in others] + [(a, model) for a in others]
        row: dict[str, Any] = {"via_one": others[0]}
        for way, spaces in ways.items():
            joined = penalties(nat, _score_routes(data, spaces, through, pairs))
            row[f"route_via_{way}"] = joined
            row[f"median_gap_via_{way}"] = statistics.median(joined[p] - full[p] for p in joined)
        out[model] = row
        say(f"leave-one-out {model}: median gap {row['median_gap_via_all']:.2f} joined through every member, "
            f"{row['median_gap_via_one']:.2f} through {others[0]} alone")
    result: dict[str, Any] = {"candidate": cand.key, "models": out}
    for way in ("all", "one"):
        gaps = [r[f"route_via_{way}"][p] - full[p] for r in out.values() for p in r[f"route_via_{way}"]]
        result[f"median_gap_via_{way}"] = statistics.median(gaps) if gaps else None
    return result


def file_sizes(total: JointStats, cand: Candidate, settings: CanonSettings, prints: Mapping[str, Fingerprint]) -> dict:
    """Bytes of one ``.fbcanon`` of every model against the N(N-1) direct ridge ``.fbmap`` files, both written."""
    with tempfile.TemporaryDirectory() as tmp:
        space = cand.make(settings.alpha, settings.pca).fit_stats(total)
        canon = save_space(space, Path(tmp) / "space.fbcanon", members=prints).stat().st_size
        maps = 0
        for a in total.models:
            for b in total.models:
                if a != b:
                    path = Path(tmp) / f"{a}__{b}.fbmap"
                    maps += save_map(RidgeMap().fit_stats(total.pair(a, b)), path, source=prints[a],
                                     target=prints[b]).stat().st_size
    return {"canonical_file_bytes": canon, "pair_map_files": len(total.models) * (len(total.models) - 1),
            "pair_maps_bytes": maps}


def run_canonical_study(
    sets: Mapping[str, EmbeddingSet],
    view2: PairList,
    view1: PairList,
    settings: CanonSettings,
    say: Say = print,
    save: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Choose (method, dim) on View 1, then score each method's best on View 2, the mixed gallery, the file sizes
    and leave-one-out (cheapest first); ``save`` gets the results so far after each stage."""
    started = time.perf_counter()
    out: dict[str, Any] = {"meta": {
        "facebridge_version": facebridge.__version__, "settings": asdict(settings), "models": list(sets),
        "chosen_on": "LFW View 1 (pairsDevTrain / pairsDevTest as two people-disjoint folds): lowest median route "
                     "penalty", "families": FAMILY,
    }}  # fmt: skip

    def stage(**parts: Any) -> None:
        out.update(parts)
        out["meta"]["duration_s"] = round(time.perf_counter() - started, 1)
        if save is not None:
            save(out)

    d1 = study_data(sets, view1)
    candidates = settings.candidates(d1.models)
    say(f"View 1: {len(candidates)} candidates on {d1.n} images")
    v1 = evaluate(d1, fold_stats(d1, all_stats(d1)), candidates, settings, say, compare=False)
    chosen = choose(v1)
    per_method = [choose(v1, m) for m in settings.methods]
    by_key = {c.key: c for c in candidates}
    say(f"chosen on View 1: {chosen}; each method's best: {', '.join(per_method)}")
    view1_summary = {k: {f: r[f] for f in ("median_route", "median_both")} for k, r in v1["candidates"].items()}
    stage(chosen=chosen, per_method=per_method, view1=view1_summary)
    data = study_data(sets, view2)
    out["meta"]["n_images"] = data.n
    total = all_stats(data)
    stats = fold_stats(data, total)
    v2 = evaluate(data, stats, [by_key[k] for k in per_method], settings, say)
    stage(view2=v2)
    cand = by_key[chosen]
    mixed = mixed_gallery(data, total, cand, settings)
    best = mixed["rank1_single"][mixed["best_single"]]
    say(f"mixed gallery: rank-1 {mixed['rank1_mixed']:.2f} against the best single-model gallery's {best:.2f}")
    stage(mixed_gallery=mixed, sizes=file_sizes(total, cand, settings, {m: es.fingerprint for m, es in sets.items()}))
    full = v2["candidates"][chosen]["route"]
    stage(leave_one_out=leave_one_out(data, stats, cand, settings, full, v2["native"], say))
    return out
