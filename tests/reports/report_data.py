"""A small but complete synthetic study results dict, following the contract of ``experiments.study``.

Three models, ``dlib`` off-centre (the norm of its mean unit embedding is 0.83); four penalty methods, the
nonlinear ``mlp`` scored in a whitened view that costs dlib 1.1 native points. Designed so that exactly these
study claims fail: the 1.0-point bound against plain native for procrustes (dlib → arcface, 1.42) and for mlp
(arcface → dlib 1.2, facenet → dlib 1.1; mlp holds in its own view), fewer than 500 pairs for affine_cv on
dlib → arcface (never within 0.5 points), rank 64 for pca_ridge on arcface → dlib (128). Every failure involves
dlib.
"""

from __future__ import annotations

import copy

import numpy as np

MODELS = ["arcface", "facenet", "dlib"]
PAIRS = [(s, t) for s in MODELS for t in MODELS if s != t]
NATIVE = {"arcface": 99.5, "facenet": 99.2, "dlib": 99.4}
MEAN_NORM = {"arcface": 0.12, "facenet": 0.21, "dlib": 0.83}
VIEW_NATIVE = {"mlp": {"arcface": 99.55, "facenet": 99.2, "dlib": 98.3}}  # in-view natives, where not plain
ALPHA = 0.00031622776601683794
PENALTIES = {
    "ridge_study": [0.10, 0.20, 0.30, 0.15, 0.25, 0.90],
    "affine_cv": [0.05, 0.10, 0.20, 0.12, 0.18, 0.60],
    "procrustes": [0.40, 0.55, 0.35, 0.50, 1.42, 0.45],  # the 5th map is dlib -> arcface
    "mlp": [-0.05, 0.10, 0.20, 0.00, 0.15, 0.30],
}
METHODS = {
    "ridge_study": ("study ridge (λ=1, no bias)", "linear", {"alpha": 1.0}),
    "affine_cv": ("affine ridge, CV λ", "linear", {"alphas": [0.1, 1.0, 10.0]}),
    "procrustes": ("orthogonal Procrustes", "linear", {}),
    "mlp": ("MLP, one hidden layer", "nonlinear", {"hidden": 512, "view": "centred and whitened", "alpha": ALPHA}),
}
SIZES = [50, 100, 200, 500, 1000]
SMALLEST_N = [100, 200, 50, 200, None, 100]  # one map never within 0.5 points
RANKS = [8, 16, 32, 64, 128]
SMALLEST_RANK = {"rrr": [16, 32, 16, 32, 32, 8], "pca_ridge": [32, 128, 32, 32, 16, 32]}
IMPOSTORS = 3000


def _roc(accuracy: float) -> dict:
    """ROC points like the study's: TAR (%) at the FARs 3,000 impostors resolve, worse for a lower accuracy."""
    far = [f for f in (float(f"{10 ** (k / 10):.4g}") for k in range(-40, 1)) if f * IMPOSTORS >= 1]
    tar = [round(float(np.clip(100 - 3 * (100 - accuracy) * (f / 1e-2) ** -0.35, 0, 100)), 4) for f in far]
    return {"far": far, "tar": tar}


def _folds(rng: np.random.Generator, mean: float, n: int = 10) -> list[float]:
    return [round(float(v), 4) for v in mean + rng.normal(0.0, 0.3, n)]


def _native(rng: np.random.Generator) -> list[dict]:
    return [
        {"model": m, "dim": 512, "mean": NATIVE[m], "std": 0.35, "auc": 0.9991, "eer": 0.6,
         "tar_far_1e-3": _roc(NATIVE[m])["tar"][5], "fold_accuracy": _folds(rng, NATIVE[m]),
         "mean_norm": MEAN_NORM[m], "roc": _roc(NATIVE[m])}
        for m in MODELS
    ]  # fmt: skip


def _penalty(rng: np.random.Generator, methods: list[str]) -> list[dict]:
    rows = []
    for method in methods:
        for (source, target), penalty in zip(PAIRS, PENALTIES[method], strict=True):
            native = VIEW_NATIVE.get(method, NATIVE)[target]
            mean = round(native - penalty, 4)
            roc = _roc(mean)
            rows.append({"source": source, "target": target, "method": method, "mode": "cross", "mean": mean,
                         "std": 0.4, "native_target": native, "penalty": penalty, "native_plain": NATIVE[target],
                         "penalty_vs_plain": NATIVE[target] - mean, "tar_far_1e-3": roc["tar"][5], "roc": roc,
                         "fold_accuracy": _folds(rng, mean), "params": dict(METHODS[method][2])})  # fmt: skip
    return rows


def _modes() -> list[dict]:
    return [
        {"source": s, "target": t, "method": "affine_cv", "cross": NATIVE[t] - p, "both": NATIVE[t] - 0.5 * p,
         "native_target": NATIVE[t]}
        for (s, t), p in zip(PAIRS, PENALTIES["affine_cv"], strict=True)
    ]  # fmt: skip


def _sample_size(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    rows, summary = [], []
    for (source, target), smallest in zip(PAIRS, SMALLEST_N, strict=True):
        full = NATIVE[target] - 0.2
        for n in [*SIZES, "all"]:
            gap = 0.0 if n == "all" else 3.0 * (50 / n) ** 0.8 + (1.0 if smallest is None else 0.0)
            draws = [float(v) for v in np.round(full - gap + rng.normal(0.0, 0.1, 5), 4)]
            q25, median, q75 = (float(v) for v in np.percentile(draws, [25, 50, 75]))
            rows.append({"source": source, "target": target, "method": "affine_cv", "n": n, "accuracies": draws,
                         "median": median, "q25": q25, "q75": q75})  # fmt: skip
        summary.append({"source": source, "target": target, "method": "affine_cv", "full": full,
                        "smallest_n_within_0_5": smallest})  # fmt: skip
    return rows, summary


def _rank() -> tuple[list[dict], list[dict]]:
    rows, summary = [], []
    for method, smallest in SMALLEST_RANK.items():
        for (source, target), k in zip(PAIRS, smallest, strict=True):
            full = NATIVE[target] - 0.3
            for rank in [*RANKS, "full"]:
                gap = 0.0 if rank == "full" else (0.3 if rank >= k else 2.0 * k / rank)
                rows.append({"source": source, "target": target, "method": method, "rank": rank,
                             "mean": round(full - gap, 4)})  # fmt: skip
            summary.append({"source": source, "target": target, "method": method, "full": full,
                            "smallest_rank_within_0_5": k})  # fmt: skip
    return rows, summary


def _meta(protocol: str, pairs: int, methods: list[str]) -> dict:
    return {
        "protocol": protocol, "pairs": pairs, "folds": 10, "models": list(MODELS), "quick": False, "seed": 7,
        "metric": "cosine", "pool": "people", "duration_s": 1234.5, "facebridge_version": "0.1.0",
        "methods": {k: {"label": METHODS[k][0], "family": METHODS[k][1], "description": f"{k} map",
                        "params": dict(METHODS[k][2])} for k in methods},
        "notes": ["dlib embeddings from the YuNet detector"],
    }  # fmt: skip


SELECTION = {
    "WHITEN_SHRINK": {"value": 0.1, "chosen_on": "LFW View 1 (pairsDevTrain.txt, scored on pairsDevTest.txt)",
                      "criterion": "the highest mean cross accuracy over the 6 maps",
                      "candidates": [0.0, 0.01, 0.1, 0.3],
                      "scores": [98.91, 99.02, 99.13, 99.05], "score": "mean cross accuracy %", "used_by": ["mlp"],
                      "worst": [97.5, 97.6, 97.7, 97.8], "tie_broken": True, "lowest_median": 0.3},
    "alpha": {"value": ALPHA, "chosen_on": "nested CV inside each outer fold's training folds",
              "criterion": "the lowest validation error", "per_fold": [ALPHA] * 8 + [0.001] * 2, "used_by": ["mlp"]},
    "headline_method": {"value": "affine_cv", "chosen_on": "LFW View 1",
                        "criterion": "the lowest median penalty vs plain native"},
}  # fmt: skip


def synthetic_results(*, ytf: bool = True) -> dict:
    """The full LFW part with every section (``meta.selection`` included); ``ytf``: a YTF part with native and two
    penalty methods only, and no selection record."""
    rng = np.random.default_rng(0)
    size_rows, size_summary = _sample_size(rng)
    rank_rows, rank_summary = _rank()
    results = {
        "meta": {**_meta("lfw", 6000, list(PENALTIES)), "selection": copy.deepcopy(SELECTION)},
        "native": _native(rng),
        "penalty": _penalty(rng, list(PENALTIES)),
        "modes": _modes(),
        "sample_size": size_rows,
        "sample_size_summary": size_summary,
        "rank": rank_rows,
        "rank_summary": rank_summary,
        "study_reference": {"max_penalty_points": 1.0, "n_maps": 12, "pairs_needed": 500, "rank": 64,
                            "text": "Common CNN-based Face Embedding Spaces are (Almost) Equivalent (2020)"},
        "targets": {"median_penalty_points": 0.3, "worst_penalty_points": 1.0, "n_within_0_5": 200,
                    "rank_within_0_5": 32},  # our goals: in results for the benchmarks, not shown in the report
        "ytf": None,
    }  # fmt: skip
    if ytf:
        methods = ["ridge_study", "affine_cv"]
        results["ytf"] = {
            "meta": _meta("ytf", 5000, methods), "native": _native(rng), "penalty": _penalty(rng, methods),
            "modes": [], "sample_size": [], "sample_size_summary": [], "rank": [], "rank_summary": [],
        }  # fmt: skip
    return results


#: Upgrade rank-1 (re-enrolled, migrated gallery, fused, old) per ordered pair: the migration of dlib's gallery into
#: arcface loses 34 points (a loss the heatmap must show as a loss), facenet -> arcface gains 1.
UPGRADE_RANK1 = {
    ("arcface", "facenet"): (0.95, 0.93, 0.94, 0.90),
    ("arcface", "dlib"): (0.90, 0.86, 0.92, 0.95),
    ("facenet", "arcface"): (0.97, 0.98, 0.97, 0.95),
    ("facenet", "dlib"): (0.90, 0.87, 0.91, 0.95),
    ("dlib", "arcface"): (0.97, 0.63, 0.90, 0.90),
    ("dlib", "facenet"): (0.95, 0.90, 0.93, 0.90),
}


def synthetic_upgrade() -> dict:
    """Upgrade results of the three models (``experiments.upgrade.upgrade_study``'s shape, two folds)."""

    def mode(far: float) -> dict:
        return {"far": far, "tar": 0.9, "false_accepts": round(far * 1e5), "n_impostor": 100000,
                "true_accepts": 900, "n_genuine": 1000}  # fmt: skip

    runs = []
    for (source, target), (self, migrated, fused, old) in UPGRADE_RANK1.items():
        rates = {"self": self, "migrated_gallery": migrated, "mapped_probes": migrated - 0.01, "old": old,
                 "fused": fused, "reenrolled_25": (migrated + self) / 2}  # fmt: skip
        runs.append({
            "source": source, "target": target, "method": "affine_cv", "n_folds": 2, "seed": 0,
            "summary": {s: {"rank1": r, "dir_open@0.01": r - 0.1} for s, r in rates.items()},
            "thresholds": {"0.001": {"native": mode(1e-3), "uncalibrated": mode(2e-3), "calibrated": mode(1.1e-3)}},
            "folds": [{"map_params": {"alpha": 0.1}}, {"map_params": {"alpha": 3.0}}],
        })  # fmt: skip
    fold = {"gallery": 10, "distractor": 5, "mated": 20, "nonmated": 8}
    return {"split": {"n_images": 200, "n_folds": 2, "seed": 0, "open_fraction": 0.25, "per_fold": [fold]},
            "pairs": runs, "meta": {"all_pairs": True}}  # fmt: skip


AUDIT_BUDGETS = [0, 10, 100, 1000]
#: Rank-1 per budget of AUDIT_BUDGETS per ordered pair: the median pair passes 50% at k = 100; dlib -> facenet never.
AUDIT_RANK1 = {
    ("arcface", "facenet"): (0.05, 0.30, 0.70, 0.90),
    ("arcface", "dlib"): (0.02, 0.10, 0.45, 0.80),
    ("facenet", "arcface"): (0.04, 0.55, 0.80, 0.92),
    ("facenet", "dlib"): (0.02, 0.12, 0.60, 0.85),
    ("dlib", "arcface"): (0.01, 0.08, 0.30, 0.60),
    ("dlib", "facenet"): (0.01, 0.05, 0.20, 0.40),
}
#: Defences on arcface -> facenet: (label, kind, native accuracy, rank-1 at k = 100, 1000); rotation keeps every
#: cosine, so it lands exactly on "none".
DEFENCES = [
    ("none", "none", 0.995, 0.70, 0.90),
    ("rotation", "rotation", 0.995, 0.70, 0.90),
    ("noise 1", "noise", 0.97, 0.40, 0.60),
    ("pca 8", "pca", 0.90, 0.20, 0.25),
]


def synthetic_audit(*, defences: bool = True) -> dict:
    """Privacy audit results of the three models (``experiments.audit_run.run_audit``'s shape, two seeds)."""
    from facebridge.experiments.privacy.audit import k_to_link, summarize

    pairs = []
    for (leaked, reference), rates in AUDIT_RANK1.items():
        points = [{"k": k, "seed": s, "rank1": r + 0.01 * s, "tar@0.01": r / 2, "tar@0.001": r / 4}
                  for s in (0, 1) for k, r in zip(AUDIT_BUDGETS, rates, strict=True)]  # fmt: skip
        pairs.append({"leaked": leaked, "reference": reference, "n_victims": 800, "n_attacker_images": 9000,
                      "chance_rank1": 1 / 800, "ceiling_rank1": 0.95, "points": points,
                      "summary": summarize(points), "k_link": k_to_link(points)})  # fmt: skip
    records = [
        {"leaked": "arcface", "reference": "facenet", "defence": kind, "level": None, "label": label,
         "accuracy_mean": acc, "accuracy_std": 0.004, "rank1_k100_mean": r100, "rank1_k100_std": 0.02,
         "rank1_k1000_mean": r1000, "rank1_k1000_std": 0.02}
        for label, kind, acc, r100, r1000 in DEFENCES
    ]  # fmt: skip
    meta = {"budgets": AUDIT_BUDGETS, "seeds": [0, 1], "evaluated_fraction": 0.5, "map_method": "affine",
            "map_params": {"alpha": 0.1}, "unpaired_params": {}, "fars": [0.01, 0.001], "link_bar": 0.5,
            "heatmap_k": 100, "defence_budgets": [100, 1000] if defences else [], "protocol": "lfw",
            "duration_s": 12.0, "facebridge_version": "test"}  # fmt: skip
    return {"meta": meta, "pairs": pairs, "defences": records if defences else []}


def synthetic_full_results() -> dict:
    """:func:`synthetic_results` (no YTF) with the upgrade study and the privacy audit."""
    return synthetic_results(ytf=False) | {"upgrade": synthetic_upgrade(), "privacy": synthetic_audit()}
