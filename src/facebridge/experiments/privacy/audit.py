"""Privacy audit: how well templates leaked from system A link to identities in system B's gallery, as a function of
the attacker's side information (k images embedded by both models), and what a template protection buys.

Setup, per seed: the people with at least two images (in both sets) are split at random; an ``evaluated_fraction``
of them are the victims, everyone else is the attacker's side. Each victim has one leaked A template and, in B's
gallery, a B template of a *different* photo (the realistic case: the gallery was enrolled independently of the
leak). The attacker's k pairs are images of attacker-side people only, taken in a seeded order (so budgets are
nested); k = 0 aligns the spaces from unpaired attacker-side rows (A templates of one half of the attacker's images,
B templates of the other half). No map ever reads a victim's vector; ``AuditTask`` is the only way to rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, cast

import numpy as np

from facebridge.checks import check_alpha
from facebridge.embeddings import EmbeddingSet, join_sets
from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy.defences import DefenceSpec, protect
from facebridge.experiments.upgrade.study import UPGRADE_METHOD
from facebridge.maps import (
    STATS_METHODS,
    LinearMap,
    MapEstimator,
    SufficientStats,
    UnpairedAligner,
    fit_targets,
    make_map,
)
from facebridge.protocols import person_of, tar_at_fars
from facebridge.vectors import cosine_matrix, l2_normalize_rows

BUDGETS = (0, 10, 30, 100, 300, 1000, 3000)
FARS = (1e-2, 1e-3)
LINK_BAR = 0.5  # rank-1 linking rate the goals ask about


@dataclass(frozen=True)
class AuditSettings:
    """Budgets, seeds and the attacker's maps.

    ``map_params`` are fixed a priori (never tuned on the evaluated people): the attacker's paired map is
    ``make_map(map_method, **map_params)``, by default the upgrade's method (an audit that models a weaker attacker
    than the tool's own upgrade path understates the risk), whose ridge alpha is chosen by cross-validation over
    the attacker's own people; k = 0 uses ``UnpairedAligner(**unpaired_params)``.
    """

    budgets: tuple[int, ...] = BUDGETS
    seeds: tuple[int, ...] = (0, 1, 2)
    evaluated_fraction: float = 0.5
    map_method: str = UPGRADE_METHOD
    map_params: Mapping[str, Any] = field(default_factory=dict)
    unpaired_params: Mapping[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if not self.budgets or any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in self.budgets):
            raise InvalidInputError(f"budgets must be integers >= 0, got {self.budgets}")
        if not self.seeds:
            raise InvalidInputError("at least one seed is needed")
        if not 0 < self.evaluated_fraction < 1:
            raise InvalidInputError(f"evaluated_fraction must be in (0, 1), got {self.evaluated_fraction}")
        if "alpha" in self.map_params:
            check_alpha(self.map_params["alpha"], "the attacker's map")


@dataclass(frozen=True, eq=False)
class AuditData:
    """The images embedded by both models, with unit rows: ``ids`` (n,), ``x`` (n, dA), ``y`` (n, dB)."""

    leaked_model: str
    reference_model: str
    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def join(cls, leaked: EmbeddingSet, reference: EmbeddingSet) -> AuditData:
        ids, x, y = join_sets(leaked, reference, min_shared=2)
        x, y = l2_normalize_rows(x, np.float64), l2_normalize_rows(y, np.float64)
        return cls(leaked.fingerprint.model, reference.fingerprint.model, ids, x, y)

    def with_reference(self, other: AuditData) -> AuditData:
        """``other``'s reference side beside this data's leaked side (one array shared by the pairs of a leaked
        model); both must hold the same images of the same leaked model."""
        if other.leaked_model != self.leaked_model or not np.array_equal(other.ids, self.ids):
            raise InvalidInputError("pairs audited together need the same leaked model and the same images")
        return AuditData(self.leaked_model, other.reference_model, self.ids, self.x, other.y)

    def protected(self, spec: DefenceSpec, key: int, reference_rows: np.ndarray) -> AuditData:
        """The same data with system A's templates protected by ``spec`` (PCA fitted on ``reference_rows``)."""
        x = protect(spec, self.x, key, self.x[reference_rows])
        return AuditData(self.leaked_model, self.reference_model, self.ids, x, self.y)


@dataclass(frozen=True, eq=False)
class AuditSplit:
    """Row indices of one seed's split: ``leaked``/``gallery`` (one per victim, same order, different photos), and
    ``attacker`` (every image of an attacker-side person, in the seeded order budgets take them from)."""

    leaked: np.ndarray
    gallery: np.ndarray
    attacker: np.ndarray


def split_people(ids: np.ndarray, seed: int, evaluated_fraction: float) -> AuditSplit:
    """The seeded victim/attacker split of ``ids`` (see the module docstring)."""
    rng = np.random.default_rng([seed, 9])
    people = np.array([person_of(i) for i in ids], dtype=object)
    names, inverse, counts = np.unique(people, return_inverse=True, return_counts=True)
    multi = np.flatnonzero(counts >= 2)
    n_eval = round(evaluated_fraction * len(multi))
    if n_eval < 2 or n_eval == len(multi):
        raise InvalidInputError(
            f"{len(multi)} people have two images in both sets; an audit needs enough to split into victims and "
            "an attacker side"
        )
    victims = np.sort(rng.choice(multi, size=n_eval, replace=False))
    is_victim = np.zeros(len(names), dtype=bool)
    is_victim[victims] = True
    leaked, gallery = [], []
    for person in victims:
        a, b = rng.choice(np.flatnonzero(inverse == person), size=2, replace=False)
        leaked.append(a)
        gallery.append(b)
    attacker = rng.permutation(np.flatnonzero(~is_victim[inverse]))
    return AuditSplit(np.array(leaked), np.array(gallery), attacker)


def fewest_attacker_images(ids: np.ndarray, settings: AuditSettings) -> int:
    """The smallest attacker side over ``settings``' seeds (the largest budget every seed can spend) for ``ids``."""
    return min(len(split_people(ids, seed, settings.evaluated_fraction).attacker) for seed in settings.seeds)


@dataclass(frozen=True, eq=False)
class AuditTask:
    """One seed of one model pair: the only access to rows the attacker's maps are fitted on."""

    data: AuditData
    split: AuditSplit

    def paired_rows(self, k: int) -> np.ndarray:
        """The attacker's first ``k`` images (embedded by both models)."""
        if k > len(self.split.attacker):
            raise InvalidInputError(f"budget {k} exceeds the {len(self.split.attacker)} attacker-side images")
        return self.split.attacker[:k]

    def unpaired_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint halves of the attacker's images: A templates of the first, B templates of the second."""
        half = len(self.split.attacker) // 2
        return self.split.attacker[:half], self.split.attacker[half:]


def fit_attack(
    make: Callable[[], MapEstimator], x: np.ndarray, targets: Sequence[np.ndarray], groups: object = None
) -> list[MapEstimator]:
    """The attacker's fits of rows ``x`` to each of ``targets`` (one place, so tests can watch every row a map
    reads): ``maps.fit_targets``, which shares the source's work (the kernel's basis, the unpaired alignment's
    source side) among the targets; ``groups``: the person of each row, for the families whose fit takes them."""
    return fit_targets(make, x, targets, groups)


def grow_attack(grown: Sequence[SufficientStats], x: np.ndarray, targets: Sequence[np.ndarray]) -> None:
    """Add rows ``x`` and each target's rows to that target's statistics (the nested budgets of the families fitted
    from statistics alone; one place, so tests can watch every row a map reads)."""
    for stats, y in zip(grown, targets, strict=True):
        stats.update(x, y)


def linking(mapped: np.ndarray, gallery: np.ndarray) -> dict[str, float]:
    """Row i of ``mapped`` and of ``gallery`` are the same person: rank-1 identification of each mapped template in
    the gallery, and TAR at each FAR of cross verification (genuine: i vs i; impostor: i vs j != i)."""
    sims = cosine_matrix(mapped, gallery, np.float64)
    n = len(sims)
    out = {"rank1": float(np.mean(np.argmax(sims, axis=1) == np.arange(n)))}
    same = np.eye(n, dtype=bool)
    tars = tar_at_fars(sims[same], sims[~same], FARS)  # the ROC's numbers without sorting n^2 scores
    out.update({f"tar@{far:g}": tar for far, tar in zip(FARS, tars, strict=True)})
    return out


def attack(task: AuditTask, k: int, settings: AuditSettings, seed: int) -> dict[str, float]:
    """The attack with budget ``k``: fit the map on attacker rows only, link the victims' leaked templates."""
    return attack_budgets([task.data], task.split, replace(settings, budgets=(k,)), seed)[0][0]


def attack_budgets(
    datas: Sequence[AuditData], split: AuditSplit, settings: AuditSettings, seed: int
) -> list[list[dict[str, float]]]:
    """Linking at each budget of ``settings`` (in its order), per reference model: ``datas`` share the leaked
    model, the ids and so the split, one per reference model.

    The work the budgets and the targets share is done once: every fit reads the leaked side once for all targets
    (``fit_attack``); a family fitted from statistics alone (``maps.STATS_METHODS``, e.g. ``affine_fixed``) grows one
    set of statistics per target along the budgets, which are nested prefixes of one seeded order, paying for each
    budget's new pairs only. The kernel map's landmarks are its own training rows (all of them up to
    ``n_landmarks``, a seeded draw above), so its features differ from budget to budget and each budget is fitted
    afresh, once for all targets.
    """
    task, x = AuditTask(datas[0], split), datas[0].x
    budgets = sorted(set(settings.budgets))
    grown = None
    if settings.map_method in STATS_METHODS:
        normalize = _normalizes(settings)  # y y^T tracked for the families whose fit reads it
        grown = [SufficientStats.zeros(x.shape[1], d.y.shape[1], normalize=normalize, track_yy=True) for d in datas]
    results: dict[int, list[dict[str, float]]] = {}
    added = 0
    for k in budgets:
        if k == 0:
            rows_a, rows_b = task.unpaired_rows()
            aligner = partial(UnpairedAligner, **{"seed": seed, **settings.unpaired_params})
            fitted = fit_attack(aligner, x[rows_a], [d.y[rows_b] for d in datas])
        elif grown is not None:
            rows = task.paired_rows(k)
            grow_attack(grown, x[rows[added:]], [d.y[rows[added:]] for d in datas])
            added = k
            fitted = [cast(LinearMap, make_map(settings.map_method, **settings.map_params)).fit_stats(g) for g in grown]
        else:
            rows = task.paired_rows(k)
            people = [person_of(i) for i in datas[0].ids[rows]]
            make = partial(make_map, settings.map_method, **settings.map_params)
            fitted = fit_attack(make, x[rows], [d.y[rows] for d in datas], people)
        leaked = x[split.leaked]
        results[k] = [linking(f.transform(leaked), d.y[split.gallery]) for f, d in zip(fitted, datas, strict=True)]
    return [[results[k][t] for k in settings.budgets] for t in range(len(datas))]


def _normalizes(settings: AuditSettings) -> bool:
    """Whether the attacker's map normalises its rows (its statistics must be accumulated the same way)."""
    return bool(make_map(settings.map_method, **settings.map_params).get_params().get("normalize", False))


def audit_pair(
    data: AuditData,
    settings: AuditSettings,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Every budget and seed for one ordered model pair, with chance and same-system ceilings, as plain data."""
    return audit_pairs([data], settings, progress)[0]


def audit_pairs(
    datas: Sequence[AuditData],
    settings: AuditSettings,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """``audit_pair`` of each of ``datas``: pairs of one leaked model with the same ids (so the same splits), whose
    fits share the leaked side's work (``attack_budgets``); the same numbers as one by one."""
    settings.check()
    first = datas[0]
    if any(d.leaked_model != first.leaked_model or not np.array_equal(d.ids, first.ids) for d in datas):
        raise InvalidInputError("pairs audited together need the same leaked model and the same images")
    points: list[list[dict[str, Any]]] = [[] for _ in datas]
    ceilings: list[list[float]] = [[] for _ in datas]
    n_victims, n_attacker = [], []
    for i, seed in enumerate(settings.seeds):
        split = split_people(first.ids, seed, settings.evaluated_fraction)
        n_victims.append(len(split.leaked))
        n_attacker.append(len(split.attacker))
        for t, (data, linked) in enumerate(zip(datas, attack_budgets(datas, split, settings, seed), strict=True)):
            ceilings[t].append(linking(data.y[split.leaked], data.y[split.gallery])["rank1"])
            points[t] += [{"k": k, "seed": seed, **r} for k, r in zip(settings.budgets, linked, strict=True)]
        if progress:
            progress(i + 1, len(settings.seeds))
    return [
        {
            "leaked": data.leaked_model,
            "reference": data.reference_model,
            "n_victims": int(np.mean(n_victims)),
            "n_attacker_images": int(np.mean(n_attacker)),
            "chance_rank1": float(np.mean([1.0 / n for n in n_victims])),
            "ceiling_rank1": float(np.mean(ceilings[t])),
            "points": points[t],
            "summary": summarize(points[t]),
            "k_link": k_to_link(points[t]),
        }
        for t, data in enumerate(datas)
    ]


def summarize(points: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per budget: mean, std (ddof=0), min and max over seeds of every metric."""
    out = []
    for k in sorted({p["k"] for p in points}):
        mine = [p for p in points if p["k"] == k]
        row: dict[str, Any] = {"k": k, "n_seeds": len(mine)}
        for metric in ("rank1", *(f"tar@{far:g}" for far in FARS)):
            values = np.array([p[metric] for p in mine])
            row.update({f"{metric}_mean": float(values.mean()), f"{metric}_std": float(values.std())})
            row.update({f"{metric}_min": float(values.min()), f"{metric}_max": float(values.max())})
        out.append(row)
    return out


def k_to_link(points: Sequence[Mapping[str, Any]], bar: float = LINK_BAR) -> dict[str, Any]:
    """The smallest budget whose rank-1 exceeds ``bar``: on the mean over seeds, and per seed (None: never)."""

    def first(rows: Sequence[tuple[int, float]]) -> int | None:
        return next((k for k, r in sorted(rows) if r > bar), None)

    seeds = sorted({p["seed"] for p in points})
    per_seed = [first([(p["k"], p["rank1"]) for p in points if p["seed"] == s]) for s in seeds]
    mean = first([(r["k"], r["rank1_mean"]) for r in summarize(points)])
    return {"bar": bar, "mean": mean, "per_seed": per_seed}
