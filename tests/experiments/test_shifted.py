"""The shifted-domain protocol on toy faces: what it measures, and that adaptation reads no test-fold identity."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.experiments.upgrade import adaptation as adaptation_module
from facebridge.experiments.upgrade.shifted import shifted_study
from facebridge.maps import make_map
from facebridge.maps.adapt import DeploymentAlign, Moments, SNorm
from facebridge.protocols.shifted import DomainSplit, domain_split
from tests.experiments.shifted_toys import toy_faces, toy_models


@pytest.fixture(scope="module")
def toy():
    ids, latent = toy_faces(n_people=80)
    return ids, toy_models(ids, latent), toy_models(ids, latent, camera=0.6), domain_split(ids)


def test_the_camera_costs_more_than_clean_and_centring_wins_some_back(toy) -> None:
    _, clean, camera, split = toy
    out = shifted_study(
        clean, {"cam": camera}, split, [("toy-a", "toy-b")], lambda: make_map("affine"), method="affine"
    )
    run = out["runs"][0]
    loss = {v: s["identification"]["loss"] for v, s in run["variants"].items()}
    assert loss["cam"]["none"] > loss["clean"]["none"] > 0
    assert loss["cam"]["centre"] < loss["cam"]["none"]
    assert run["ratio"]["clean"]["none"] == {"penalty": 1.0, "loss": 1.0}
    assert run["ratio"]["cam"]["none"]["loss"] == pytest.approx(loss["cam"]["none"] / loss["clean"]["none"])
    assert out["split"]["n_eval_images_scored"] == len(split.eval_ids)


def test_adaptation_reads_no_test_fold_identity(toy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spy on every adaptation fit: its inputs are float rows only (no ids, people or pairs); the S-norm cohorts hold
    no row of the probes a fold scores, and in 1:N neither do the B statistics (other people's templates)."""
    _, clean, camera, split = toy
    calls: list[tuple[str, tuple[np.ndarray, ...]]] = []

    def spy(cls, name):
        real = cls.fit

        def fit(self, *rows, **kwargs):
            assert not kwargs
            calls.append((name, rows))
            return real(self, *rows)

        monkeypatch.setattr(cls, "fit", fit)

    spy(DeploymentAlign, "align")
    spy(SNorm, "snorm")
    scored: list[tuple[str, object, np.ndarray]] = []  # (1:1 or 1:N, the fold's deployment, the probes it scored)
    migration = adaptation_module.AdaptedMigration
    real_fit, real_scores, real_pairs = migration.fit, migration.scores, migration.pair_scores

    def fit_and_note(self, deployment):
        self.noted_ = deployment
        return real_fit(self, deployment)

    def scores(self, probes_b, migrated):
        scored.append(("1:N", self.noted_, probes_b))
        return real_scores(self, probes_b, migrated)

    def pair_scores(self, probes_b, migrated):
        scored.append(("1:1", self.noted_, probes_b))
        return real_pairs(self, probes_b, migrated)

    monkeypatch.setattr(migration, "fit", fit_and_note)
    monkeypatch.setattr(migration, "scores", scores)
    monkeypatch.setattr(migration, "pair_scores", pair_scores)
    shifted_study(
        clean,
        {"cam": camera},
        split,
        [("toy-a", "toy-b")],
        lambda: make_map("affine"),
        method="affine",
        adaptations=("coral+snorm",),
    )
    assert {name for name, _ in calls} == {"align", "snorm"}
    for _, rows in calls:
        for r in rows:
            r = r.rows if isinstance(r, Moments) else r  # a side's moments hold its rows, nothing else
            assert isinstance(r, np.ndarray) and r.dtype.kind == "f"

    def rows(x: np.ndarray) -> set:
        return {tuple(np.round(v, 9)) for v in x}

    assert {kind for kind, _, _ in scored} == {"1:1", "1:N"}
    for kind, deployment, probes in scored:
        assert not rows(deployment.cohort_b) & rows(probes)
        if kind == "1:N":
            assert not rows(deployment.probes_b) & rows(probes)


def test_halves_that_share_people_are_refused(toy) -> None:
    _, clean, _, split = toy
    bad = DomainSplit(split.fit_ids + split.eval_ids[:1], split.eval_ids, 0)
    with pytest.raises(InvalidInputError, match="share people"):
        shifted_study(clean, {}, bad, [("toy-a", "toy-b")], lambda: make_map("affine"), method="affine")
