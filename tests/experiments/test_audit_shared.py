"""The audit's shared work gives the numbers of fresh fits: one fit per budget, target and seed, as the audit fitted
before it shared the leaked side's work among the targets and grew statistics along the nested budgets."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.privacy.audit import (
    AuditData,
    AuditSettings,
    AuditTask,
    attack_budgets,
    audit_pair,
    audit_pairs,
    split_people,
)
from facebridge.experiments.privacy.audit_run import audit_all_pairs
from facebridge.maps import AffineMap, SufficientStats, fit_rows, make_map
from facebridge.maps.unpaired import UnpairedAligner
from facebridge.protocols import person_of, roc_curve, tar_at_fars
from facebridge.vectors import l2_normalize_rows
from tests.experiments.toy_studies import toy_study

BUDGETS = (0, 5, 40, 120, 5)  # unsorted, a repeat: reported in the settings' order
UNPAIRED = {"n_iter": 4, "dim": 6}
KERNEL = AuditSettings(budgets=BUDGETS, seeds=(0, 1), unpaired_params=UNPAIRED, map_params={"n_landmarks": 16})
FIXED = AuditSettings(budgets=BUDGETS, seeds=(0, 1), unpaired_params=UNPAIRED, map_method="affine_fixed",
                      map_params={"alpha": 1e-3})  # fmt: skip


@pytest.fixture(scope="module")
def toy() -> dict[str, EmbeddingSet]:
    return toy_study(n_people=64, dims=(12, 16, 8, 10))[0]


def _fresh_linking(data: AuditData, k: int, settings: AuditSettings, seed: int) -> tuple[object, dict[str, float]]:
    """The audit's attack before sharing: a new map fitted on the budget's rows alone, linked through the ROC."""
    task = AuditTask(data, split_people(data.ids, seed, settings.evaluated_fraction))
    if k == 0:
        a, b = task.unpaired_rows()
        fitted = UnpairedAligner(**{"seed": seed, **settings.unpaired_params}).fit(data.x[a], data.y[b])
    else:
        rows = task.paired_rows(k)
        people = [person_of(i) for i in data.ids[rows]]
        fitted = fit_rows(make_map(settings.map_method, **settings.map_params), data.x[rows], data.y[rows], people)
    sims = l2_normalize_rows(fitted.transform(data.x[task.split.leaked])) @ l2_normalize_rows(
        data.y[task.split.gallery]
    ).T
    n = len(sims)
    roc = roc_curve(sims.ravel(), np.eye(n, dtype=bool).ravel())
    out = {"rank1": float(np.mean(np.argmax(sims, axis=1) == np.arange(n)))}
    return fitted, out | {"tar@0.01": roc.tar_at_far(1e-2), "tar@0.001": roc.tar_at_far(1e-3)}


@pytest.mark.parametrize("settings", [KERNEL, FIXED], ids=["kernel", "affine_fixed"])
def test_shared_fits_link_as_fresh_fits_at_every_budget(toy, settings: AuditSettings) -> None:
    datas = [AuditData.join(toy["m0"], toy[b]) for b in ("m1", "m2", "m3")]
    for seed in settings.seeds:
        split = split_people(datas[0].ids, seed, settings.evaluated_fraction)
        shared = attack_budgets(datas, split, settings, seed)
        for data, linked in zip(datas, shared, strict=True):
            assert linked == [_fresh_linking(data, k, settings, seed)[1] for k in settings.budgets]


def test_grown_statistics_give_the_fresh_affine_map_at_every_budget(toy) -> None:
    data = AuditData.join(toy["m0"], toy["m1"])
    rows = AuditTask(data, split_people(data.ids, 0, 0.5)).paired_rows(120)
    grown, added = SufficientStats.zeros(data.x.shape[1], data.y.shape[1], normalize=True), 0
    for k in (5, 40, 120):
        grown.update(data.x[rows[added:k]], data.y[rows[added:k]])
        added = k
        fresh = AffineMap(alpha=1e-3).fit(data.x[rows[:k]], data.y[rows[:k]])
        np.testing.assert_allclose(AffineMap(alpha=1e-3).fit_stats(grown).coef_, fresh.coef_, rtol=1e-9, atol=1e-10)


def test_kernel_maps_shared_across_targets_are_the_fresh_maps_exactly(toy) -> None:
    datas = [AuditData.join(toy["m0"], toy[b]) for b in ("m1", "m2")]
    rows = AuditTask(datas[0], split_people(datas[0].ids, 1, 0.5)).paired_rows(120)
    make = make_map("kernel", n_landmarks=16)
    shared = make.fit_many(datas[0].x[rows], [d.y[rows] for d in datas])
    for fitted, data in zip(shared, datas, strict=True):
        fresh = make_map("kernel", n_landmarks=16).fit(data.x[rows], data.y[rows])
        probe = data.x[:50]
        assert np.array_equal(fitted.transform(probe), fresh.transform(probe))


def test_unpaired_fits_sharing_the_source_side_are_the_fresh_fits_exactly(toy) -> None:
    x, ys = toy["m0"].vectors[:150], [toy[m].vectors[150:] for m in ("m1", "m2", "m3")]
    aligner = UnpairedAligner(seed=3, **UNPAIRED)
    for fitted, y in zip(aligner.fit_many(x, ys), ys, strict=True):
        fresh = UnpairedAligner(seed=3, **UNPAIRED).fit(x, y)
        assert np.array_equal(fitted.coef_, fresh.coef_) and np.array_equal(fitted.dictionary_, fresh.dictionary_)


def test_pairs_audited_together_report_what_each_reports_alone(toy) -> None:
    datas = [AuditData.join(toy["m0"], toy[b]) for b in ("m1", "m2")]
    assert audit_pairs(datas, KERNEL) == [audit_pair(d, KERNEL) for d in datas]
    with pytest.raises(Exception, match="same leaked model"):
        audit_pairs([datas[0], AuditData.join(toy["m1"], toy["m2"])], KERNEL)


@pytest.mark.parametrize("seed", range(6))
def test_tar_at_fars_reads_the_rocs_numbers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_gen, n_imp = int(rng.integers(1, 40)), int(rng.integers(1, 3000))
    levels = int(rng.integers(2, 50))  # few distinct scores: ties between and within the classes
    genuine = rng.integers(0, levels, n_gen) / levels + 0.3
    impostor = rng.integers(0, levels, n_imp) / levels
    fars = (1e-4, 1e-3, 1 / n_imp, 2 / n_imp, 1e-2, 0.1, 0.5, 1.0)
    roc = roc_curve(np.concatenate([genuine, impostor]), np.arange(n_gen + n_imp) < n_gen)
    assert tar_at_fars(genuine, impostor, fars) == [roc.tar_at_far(f) for f in fars]


def test_run_audit_groups_pairs_by_leaked_model_and_its_numbers_do_not_depend_on_threads(toy, tmp_path) -> None:
    pairs = [("m0", "m1"), ("m1", "m0"), ("m0", "m2"), ("m2", "m3")]
    one = audit_all_pairs(toy, pairs, KERNEL)
    assert one == [audit_pair(AuditData.join(toy[a], toy[b]), KERNEL) for a, b in pairs]
    assert audit_all_pairs(toy, pairs, KERNEL, checkpoint=tmp_path, workers=2) == one
    assert audit_all_pairs(toy, pairs[::-1], KERNEL, checkpoint=tmp_path) == one[::-1]  # read back, in order
