"""Map evaluation modes and the people-disjoint training pool, on synthetic identities."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments import evaluate
from facebridge.experiments.verification.evaluate import training_rows
from facebridge.maps import make_map
from facebridge.protocols import pair_scores, person_of, verify
from tests.helpers import synthetic_study as synthetic

N_PEOPLE, PER_PERSON, N_FOLDS = 40, 5, 4


def test_native_equals_direct_scoring() -> None:
    pairs, _, target = synthetic()
    result = evaluate(pairs, target)
    expected = verify(pair_scores(target.vectors_of(pairs.id_a), target.vectors_of(pairs.id_b)), pairs.same, pairs.fold)
    np.testing.assert_array_equal(result.verification.fold_accuracy, expected.fold_accuracy)
    assert result.mode == "native" and result.source is None and result.n_train == ()


def test_exact_affine_relation_costs_nothing_in_cross_and_both_modes() -> None:
    pairs, source, target = synthetic()
    native = evaluate(pairs, target, metric="euclidean")
    for mode in ("cross", "both"):
        mapped = evaluate(
            pairs,
            target,
            source=source,
            mode=mode,
            metric="euclidean",
            fit=lambda: make_map("affine_fixed", alpha=1e-9, normalize=False),
        )
        np.testing.assert_allclose(mapped.verification.fold_accuracy, native.verification.fold_accuracy)
        assert mapped.n_train == (150,) * N_FOLDS  # 30 people of the other folds x 5 images


def test_no_bias_ridge_cannot_model_the_offset_but_affine_can() -> None:
    pairs, source, target = synthetic()
    target = EmbeddingSet(target.ids, target.vectors + 5.0, target.fingerprint)  # a large mean offset
    affine = evaluate(pairs, target, source=source, mode="cross", fit=lambda: make_map("affine_fixed", normalize=False))
    ridge = evaluate(
        pairs, target, source=source, mode="cross", fit=lambda: make_map("ridge", normalize=False, alpha=1e3)
    )
    assert affine.verification.mean > ridge.verification.mean


def test_training_pool_never_contains_the_test_folds_people() -> None:
    pairs, source, _ = synthetic()
    for k in range(N_FOLDS):
        people = {person_of(i) for i in source.ids[training_rows(pairs, source.ids, k, "people")]}
        assert people and not people & pairs.people_of_fold(k)
        pair_rows = training_rows(pairs, source.ids, k, "pairs")
        assert set(pair_rows) <= set(training_rows(pairs, source.ids, k, "people"))
        used = set(pairs.id_a[pairs.fold != k]) | set(pairs.id_b[pairs.fold != k])
        assert set(source.ids[pair_rows]) == used


def test_prefitted_map_is_applied_and_flagged() -> None:
    pairs, source, target = synthetic()
    fitted = make_map("affine_fixed", normalize=False).fit(source.vectors, target.vectors)
    result = evaluate(pairs, target, source=source, mode="cross", fitted=fitted)
    assert result.notes and "leakage" in result.notes[0]
    assert result.verification.mean > 0.9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "sideways"}, "mode must be"),
        ({"mode": "cross"}, "needs a source"),
        ({"mode": "native", "fit": lambda: make_map("ridge")}, "give no map"),
        ({"mode": "cross", "source": "S"}, "exactly one"),
        ({"mode": "cross", "source": "S", "fit": lambda: make_map("ridge"), "pool": "everything"}, "pool must be"),
    ],
)
def test_bad_arguments_are_named(kwargs, message) -> None:
    pairs, source, target = synthetic()
    if kwargs.get("source") == "S":
        kwargs["source"] = source
    with pytest.raises(InvalidInputError, match=message):
        evaluate(pairs, target, **kwargs)


class CentringSpy:
    """A centring view that records the rows each fold fitted it on (the leakage spy for scoring views)."""

    fitted_on: ClassVar[list[np.ndarray]] = []

    def fit(self, Y: np.ndarray) -> CentringSpy:
        CentringSpy.fitted_on.append(np.asarray(Y))
        self.centre_ = Y.mean(axis=0)
        return self

    def transform(self, V: np.ndarray) -> np.ndarray:
        return V - self.centre_

    def get_params(self) -> dict:
        return {"kind": "centred"}


@pytest.mark.parametrize("mode", ["native", "cross"])
def test_view_is_fitted_on_training_people_only_and_applied_to_both_sides(mode: str) -> None:
    pairs, source, target = synthetic()
    CentringSpy.fitted_on = []
    fit = (lambda: make_map("affine_fixed", normalize=False)) if mode == "cross" else None
    result = evaluate(pairs, target, source=source if fit else None, mode=mode, fit=fit, view=CentringSpy)
    assert len(CentringSpy.fitted_on) == N_FOLDS and result.view == {"class": "CentringSpy", "kind": "centred"}
    scores = np.empty(pairs.n)
    for k, rows in zip(pairs.fold_ids, CentringSpy.fitted_on, strict=True):
        expected = training_rows(pairs, target.ids, int(k), "people")
        held_out = pairs.people_of_fold(int(k))
        assert not {person_of(i) for i in target.ids[expected]} & held_out
        np.testing.assert_array_equal(rows, target.vectors[expected])  # exactly the training pool, no test fold
        in_fold = pairs.fold == k
        centre = rows.mean(axis=0)
        a = target.vectors_of(pairs.id_a[in_fold]) - centre
        scores[in_fold] = pair_scores(a, target.vectors_of(pairs.id_b[in_fold]) - centre)
    if mode == "native":
        expected_result = verify(scores, pairs.same, pairs.fold)
        np.testing.assert_allclose(result.verification.fold_accuracy, expected_result.fold_accuracy)
