"""The operator's answer on their photos: people never on both sides of a fold, the interval, the recommendation."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.experiments.upgrade import deployment as deployment_module
from facebridge.experiments.upgrade import study as upgrade_module
from facebridge.experiments.upgrade.deployment import bootstrap_loss, deployment_study, recommend
from facebridge.protocols.identification import identification_split
from facebridge.protocols.pairs import person_of
from tests.experiments.shifted_toys import toy_faces, toy_models


@pytest.fixture(scope="module")
def photos():
    ids, latent = toy_faces(n_people=50)
    return toy_models(ids, latent, camera=0.3)


def _candidate(method: str, adaptation: str, loss: float, lo: float, hi: float) -> dict:
    return {"method": method, "adaptation": adaptation, "loss": loss, "ci": [lo, hi]}


def test_recommendation_migrates_with_the_least_loss_within_tolerance_else_re_enrols() -> None:
    cands = [_candidate("affine", "none", 3.0, 1.0, 5.0), _candidate("kernel", "coral-after", 0.6, 0.1, 0.9)]
    rec = recommend(cands, tolerance=1.0)
    assert (rec["action"], rec["method"], rec["adaptation"]) == ("migrate", "kernel", "coral-after")
    assert "more photos" not in rec["reason"]
    wide = recommend([_candidate("affine", "none", 0.8, -1.0, 2.5)], tolerance=1.0)
    assert wide["action"] == "migrate" and "reaches 2.50" in wide["reason"]
    rec = recommend(cands, tolerance=0.5)
    assert rec["action"] == "re-enrol" and rec["method"] is None and "kernel + coral-after" in rec["reason"]
    assert recommend([_candidate("a", "none", 1.0, 0.0, 2.0)], tolerance=1.0)["action"] == "migrate"  # at the edge


def test_bootstrap_resamples_people_and_is_seeded() -> None:
    people = np.array(["a", "a", "b", "c", "c", "c"], dtype=object)
    native = np.ones(6)
    migrated = np.array([1, 0, 1, 1, 1, 0], dtype=float)
    loss, lo, hi = bootstrap_loss(people, native, migrated, n_boot=500, seed=3)
    assert loss == pytest.approx(100 * 2 / 6)
    assert lo <= loss <= hi and (lo, hi) == bootstrap_loss(people, native, migrated, n_boot=500, seed=3)[1:]
    # every person loses the same share: each resample of people gives it back exactly
    same = bootstrap_loss(np.array(["a", "a", "b", "b"], dtype=object), np.ones(4), np.array([1.0, 0, 1, 0]))
    assert same == pytest.approx((50.0, 50.0, 50.0))


def test_no_person_is_on_both_sides_of_a_fold(photos, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spy on every map fit: its rows' people never include a person of the folds it leaves out."""
    excluding: list[frozenset[int]] = []
    fits: list[tuple[frozenset[int], set[str]]] = []
    real_fitters, real_fit = deployment_module.source_fitters, upgrade_module.fit_targets

    def fitters(*args, **kwargs):
        made = real_fitters(*args, **kwargs)

        def spy(exclude: frozenset[int], inner=made["b"]):
            excluding.append(exclude)
            return inner(exclude)

        return {"b": spy}

    def fit_targets(make, x, ys, groups=None):
        fits.append((excluding[-1], set(groups)))
        return real_fit(make, x, ys, groups=groups)

    monkeypatch.setattr(deployment_module, "source_fitters", fitters)
    monkeypatch.setattr(upgrade_module, "fit_targets", fit_targets)
    a, b = photos["toy-a"], photos["toy-b"]
    out = deployment_study(a, b, methods=("affine",), adaptations=("none",), n_folds=4, seed=2, n_boot=50)
    split = identification_split(np.array(sorted(a.ids), dtype=object), n_folds=4, seed=2)
    assert sorted(min(e) for e, _ in fits) == [0, 1, 2, 3]
    for exclude, people in fits:
        held_out = {person_of(i) for i in split.ids[np.isin(split.fold, sorted(exclude))]}
        assert people and not people & held_out
    assert out["n_mated_probes"] == sum(len(split.mated(k)) for k in range(4))


def test_study_reports_each_candidate_and_warns_on_few_photos(photos) -> None:
    a, b = photos["toy-a"], photos["toy-b"]
    out = deployment_study(a, b, methods=("affine",), adaptations=("none", "centre"), n_boot=200)
    assert [(c["method"], c["adaptation"]) for c in out["candidates"]] == [("affine", "none"), ("affine", "centre")]
    for c in out["candidates"]:
        assert c["ci"][0] <= c["loss"] <= c["ci"][1]
        assert c["loss"] == pytest.approx(100 * (out["rank1_re_enrolled"] - c["rank1_migrated"]))
    assert out["enrolled_people"] < deployment_module.MIN_PEOPLE
    assert any("too wide" in w for w in out["warnings"])
    assert out["recommendation"]["action"] in ("migrate", "re-enrol")


def test_a_reference_collection_joins_every_fit_but_no_test_fold(photos) -> None:
    a, b = photos["toy-a"], photos["toy-b"]
    ref_ids, ref_latent = toy_faces(n_people=80, seed=9)
    ref = toy_models(ref_ids, ref_latent)
    out = deployment_study(a, b, methods=("affine",), adaptations=("none",), reference=(ref["toy-a"], ref["toy-b"]))
    alone = deployment_study(a, b, methods=("affine",), adaptations=("none",))
    assert out["reference"] == {"n_images": len(ref_ids)}
    assert out["n_mated_probes"] == alone["n_mated_probes"] and out["rank1_re_enrolled"] == alone["rank1_re_enrolled"]
