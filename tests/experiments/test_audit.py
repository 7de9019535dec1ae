"""The privacy audit: its maps never read a victim's vector, budgets and seeds are deterministic, and the defences
behave as their maths says (a secret rotation changes nothing, for the system or the attacker)."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.privacy import audit
from facebridge.experiments.privacy.audit import AuditData, AuditSettings, audit_pair, k_to_link, split_people
from facebridge.experiments.privacy.audit_defences import defence_points
from facebridge.experiments.privacy.defences import DefenceSpec, protect
from facebridge.protocols import person_of
from tests.experiments.toy_studies import toy_study

SETTINGS = AuditSettings(budgets=(0, 5, 40), seeds=(0, 1), unpaired_params={"n_iter": 4, "dim": 6})


@pytest.fixture(scope="module")
def toy() -> tuple[dict[str, EmbeddingSet], object]:
    return toy_study(n_people=64, rotation=True)


def _data(sets: dict[str, EmbeddingSet], a: str = "m0", b: str = "m1") -> AuditData:
    return AuditData.join(sets[a], sets[b])


def test_the_attacks_maps_never_read_a_victims_vector(toy, monkeypatch: pytest.MonkeyPatch) -> None:
    sets, pairs = toy
    data = _data(sets)
    owner: dict[bytes, str] = {}

    def register(d: AuditData) -> AuditData:
        owner.update({v.tobytes(): person_of(i) for side in (d.x, d.y) for i, v in zip(d.ids, side, strict=True)})
        return d

    register(data)
    real_protected = AuditData.protected
    victims: list[set[str]] = []
    fits: list[tuple[int, int]] = []
    real_split, real_fit, real_grow = audit.split_people, audit.fit_attack, audit.grow_attack

    def spy_split(ids: np.ndarray, seed: int, fraction: float) -> audit.AuditSplit:
        split = real_split(ids, seed, fraction)
        victims.append({person_of(ids[r]) for r in split.leaked})
        return split

    def read(x: np.ndarray, targets) -> set[str]:
        people = {owner[np.asarray(r, dtype=np.float64).tobytes()] for r in (*x, *(r for y in targets for r in y))}
        assert people and not people & victims[-1], "a map read a victim's template"
        return people

    def spy_fit(make, x: np.ndarray, targets, groups=None):
        people = read(x, targets)
        assert groups is None or set(groups) == people  # the groups name the people whose rows were read
        fits.extend((len(x), len(y)) for y in targets)
        return real_fit(make, x, targets, groups)

    def spy_grow(grown, x: np.ndarray, targets) -> None:
        read(x, targets)
        fits.extend((len(x), len(y)) for y in targets)
        real_grow(grown, x, targets)

    monkeypatch.setattr(audit, "split_people", spy_split)
    monkeypatch.setattr(audit, "fit_attack", spy_fit)
    monkeypatch.setattr(audit, "grow_attack", spy_grow)
    audit_pair(data, SETTINGS)
    grown_from = len(fits)
    fixed = {"map_method": "affine_fixed", "map_params": {"alpha": 1e-3}}
    audit_pair(data, AuditSettings(**{**SETTINGS.__dict__, **fixed}))
    assert (5, 5) in fits[grown_from:] and (35, 35) in fits[grown_from:]  # the nested budgets add their new pairs
    import facebridge.experiments.privacy.audit_defences as ad

    monkeypatch.setattr(ad, "split_people", spy_split)
    monkeypatch.setattr(AuditData, "protected", lambda self, *a: register(real_protected(self, *a)))
    defence_points(data, pairs, SETTINGS, [DefenceSpec("none"), DefenceSpec("noise", 0.5)], budgets=(5,))
    assert len(victims) == 2 + 2 + 2 * 2 and all(len(v) >= 2 for v in victims)
    assert (5, 5) in fits and (40, 40) in fits and any(a != b or a > 40 for a, b in fits)  # the unpaired fits ran too


def test_results_ignore_victims_images_outside_the_leak_and_the_gallery(toy) -> None:
    """Scramble every victim image that is neither leaked nor in the gallery: nothing may move."""
    sets, _ = toy
    data = _data(sets)
    poisoned_x, poisoned_y = data.x.copy(), data.y.copy()
    rng = np.random.default_rng(3)
    for seed in SETTINGS.seeds:
        split = split_people(data.ids, seed, SETTINGS.evaluated_fraction)
        victims = {person_of(data.ids[r]) for r in split.leaked}
        used = set(split.leaked) | set(split.gallery)
        mask = np.array([person_of(i) in victims and r not in used for r, i in enumerate(data.ids)])
        assert mask.sum() >= len(victims)
        poisoned_x[mask] = rng.normal(size=(int(mask.sum()), data.x.shape[1]))
        poisoned_y[mask] = rng.normal(size=(int(mask.sum()), data.y.shape[1]))
        one = AuditSettings(**{**SETTINGS.__dict__, "seeds": (seed,)})
        dirty = AuditData("m0", "m1", data.ids, poisoned_x, poisoned_y)
        assert audit_pair(data, one)["points"] == audit_pair(dirty, one)["points"]
        poisoned_x, poisoned_y = data.x.copy(), data.y.copy()


def test_budgets_and_seeds_are_deterministic(toy) -> None:
    sets, _ = toy
    first, again = audit_pair(_data(sets), SETTINGS), audit_pair(_data(sets), SETTINGS)
    assert first == again
    assert [(p["k"], p["seed"]) for p in first["points"]] == [(k, s) for s in (0, 1) for k in (0, 5, 40)]
    a, b = split_people(_data(sets).ids, 0, 0.5), split_people(_data(sets).ids, 1, 0.5)
    assert not np.array_equal(a.leaked, b.leaked)
    assert set(a.attacker[:5]) <= set(a.attacker[:40])  # budgets are nested


def test_a_linear_relation_is_found_with_pairs_and_reported_against_chance(toy) -> None:
    sets, _ = toy
    result = audit_pair(_data(sets), SETTINGS)
    by_k = {r["k"]: r for r in result["summary"]}
    assert result["chance_rank1"] == pytest.approx(1 / result["n_victims"])
    # m1 is an exact rotation of m0: 40 pairs link as well as m1 links to itself (the ceiling), far above chance
    assert by_k[40]["rank1_mean"] >= 0.9 * result["ceiling_rank1"] > 10 * result["chance_rank1"]
    assert by_k[40]["tar@0.01_mean"] > by_k[5]["tar@0.01_mean"]


def test_k_to_link_reads_the_smallest_budget_over_the_bar() -> None:
    points = [
        {"k": k, "seed": s, "rank1": r}
        for s, rs in enumerate([(0.1, 0.4, 0.6), (0.2, 0.7, 0.9)])
        for k, r in zip((0, 10, 100), rs, strict=True)
    ]
    for p in points:
        p.update({"tar@0.01": 0.0, "tar@0.001": 0.0})
    assert k_to_link(points) == {"bar": 0.5, "mean": 10, "per_seed": [100, 10]}
    assert k_to_link(points, bar=0.95)["per_seed"] == [None, None]


def test_a_secret_rotation_buys_nothing_and_noise_costs_accuracy(toy) -> None:
    sets, pairs = toy
    specs = [DefenceSpec("none"), DefenceSpec("rotation"), DefenceSpec("noise", 4.0), DefenceSpec("biohash", 8)]
    rows = {r["label"]: r for r in defence_points(_data(sets), pairs, SETTINGS, specs, budgets=(40,))}
    none, rotation = rows["none"], rows["rotation"]
    assert rotation["accuracy_mean"] == pytest.approx(none["accuracy_mean"])
    assert rotation["rank1_k40_mean"] == pytest.approx(none["rank1_k40_mean"], abs=1e-9)
    assert rows["noise 4"]["accuracy_mean"] < none["accuracy_mean"]
    assert rows["biohash 8"]["accuracy_mean"] > 0.5


def test_defences_are_keyed_and_checked() -> None:
    v = np.random.default_rng(0).normal(size=(20, 16))
    code = protect(DefenceSpec("biohash", 8), v, key=1)
    assert set(np.unique(code * np.sqrt(8))) <= {-1.0, 1.0}
    assert not np.array_equal(code, protect(DefenceSpec("biohash", 8), v, key=2))
    np.testing.assert_array_equal(code, protect(DefenceSpec("biohash", 8), v, key=1))
    for bad in (DefenceSpec("pca", 0), DefenceSpec("biohash", 17), DefenceSpec("noise", -1)):
        with pytest.raises(InvalidInputError):
            protect(bad, v, key=0, reference=v)
