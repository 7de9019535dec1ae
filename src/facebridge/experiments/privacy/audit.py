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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facebridge.checks import check_alpha
from facebridge.embeddings import EmbeddingSet, join_sets
from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy.defences import DefenceSpec, protect
from facebridge.experiments.upgrade.study import UPGRADE_METHOD
from facebridge.maps import MapEstimator, UnpairedAligner, fit_rows, make_map
from facebridge.protocols import person_of, roc_curve
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


def fit_attack(estimator: MapEstimator, x: np.ndarray, y: np.ndarray, groups: object = None) -> MapEstimator:
    """The attacker's fit (one place, so tests can watch every row a map reads); ``groups``: the person of each
    row, for the families whose fit takes them."""
    return fit_rows(estimator, x, y, groups)


def linking(mapped: np.ndarray, gallery: np.ndarray) -> dict[str, float]:
    """Row i of ``mapped`` and of ``gallery`` are the same person: rank-1 identification of each mapped template in
    the gallery, and TAR at each FAR of cross verification (genuine: i vs i; impostor: i vs j != i)."""
    sims = cosine_matrix(mapped, gallery, np.float64)
    n = len(sims)
    out = {"rank1": float(np.mean(np.argmax(sims, axis=1) == np.arange(n)))}
    roc = roc_curve(sims.ravel(), np.eye(n, dtype=bool).ravel())
    out.update({f"tar@{far:g}": roc.tar_at_far(far) for far in FARS})
    return out


def attack(task: AuditTask, k: int, settings: AuditSettings, seed: int) -> dict[str, float]:
    """The attack with budget ``k``: fit the map on attacker rows only, link the victims' leaked templates."""
    data = task.data
    if k == 0:
        rows_a, rows_b = task.unpaired_rows()
        estimator: MapEstimator = UnpairedAligner(**{"seed": seed, **settings.unpaired_params})
        fitted = fit_attack(estimator, data.x[rows_a], data.y[rows_b])
    else:
        rows = task.paired_rows(k)
        people = [person_of(i) for i in data.ids[rows]]
        fitted = fit_attack(make_map(settings.map_method, **settings.map_params), data.x[rows], data.y[rows], people)
    return linking(fitted.transform(data.x[task.split.leaked]), data.y[task.split.gallery])


def audit_pair(
    data: AuditData,
    settings: AuditSettings,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Every budget and seed for one ordered model pair, with chance and same-system ceilings, as plain data."""
    settings.check()
    points, ceilings, n_victims, n_attacker = [], [], [], []
    total, done = len(settings.seeds) * len(settings.budgets), 0
    for seed in settings.seeds:
        task = AuditTask(data, split_people(data.ids, seed, settings.evaluated_fraction))
        leaked, gallery = task.split.leaked, task.split.gallery
        n_victims.append(len(leaked))
        n_attacker.append(len(task.split.attacker))
        ceilings.append(linking(data.y[leaked], data.y[gallery])["rank1"])
        for k in settings.budgets:
            points.append({"k": k, "seed": seed, **attack(task, k, settings, seed)})
            done += 1
            if progress:
                progress(done, total)
    return {
        "leaked": data.leaked_model,
        "reference": data.reference_model,
        "n_victims": int(np.mean(n_victims)),
        "n_attacker_images": int(np.mean(n_attacker)),
        "chance_rank1": float(np.mean([1.0 / n for n in n_victims])),
        "ceiling_rank1": float(np.mean(ceilings)),
        "points": points,
        "summary": summarize(points),
        "k_link": k_to_link(points),
    }


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
