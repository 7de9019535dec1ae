"""Extra corresponding pairs (the mirrored images): each fit takes those of its own fitting images, never an
evaluation person's."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import InvalidInputError
from facebridge.experiments.upgrade.extra_pairs import fitting_rows, method_label
from facebridge.experiments.upgrade.study import upgrade_study
from facebridge.maps import AffineMap
from facebridge.protocols.pairs import person_of
from tests.helpers import synthetic_study


def _mirror(es: EmbeddingSet, seed: int) -> EmbeddingSet:
    """Every image's 'mirror': another vector under the same id, none equal to any original row."""
    rng = np.random.default_rng(seed)
    return EmbeddingSet(es.ids, (es.vectors + rng.normal(size=es.vectors.shape)).astype(np.float32), es.fingerprint)


def test_no_evaluation_persons_mirror_enters_a_fit() -> None:
    _, a, b = synthetic_study(n_people=30, per_person=3, dim=8)
    ea, eb = _mirror(a, 1), _mirror(b, 2)
    originals = {row.tobytes(): i for i, row in zip(a.ids, a.vectors, strict=True)}
    mirrors = {row.tobytes(): i for i, row in zip(ea.ids, ea.vectors, strict=True)}
    fits: list[np.ndarray] = []

    class Recording(AffineMap):
        def fit(self, X, y):
            fits.append(np.asarray(X, dtype=np.float32).copy())
            return super().fit(X, y)

    result = upgrade_study({"a": a, "b": b}, [("a", "b")], Recording, method="rec", n_folds=3, seed=0,
                           extra={"a": ea, "b": eb})  # fmt: skip
    assert result["split"]["n_extra"] == len(a.ids)
    assert len(fits) == 6  # each test fold's map and each pair of left-out folds' (calibration)
    everyone = {person_of(i) for i in a.ids}
    for X in fits:
        seen = [originals[r.tobytes()] for r in X if r.tobytes() in originals]
        mirrored = [mirrors[r.tobytes()] for r in X if r.tobytes() in mirrors]
        assert len(seen) + len(mirrored) == len(X)
        left_out = everyone - {person_of(i) for i in seen}
        assert left_out  # the fit leaves people out to score them ...
        assert not left_out & {person_of(i) for i in mirrored}  # ... and none of their mirrors is in it
        assert sorted(mirrored) == sorted(seen)  # every fitting image's mirror is


def test_fitting_rows_append_the_held_mirrors_of_the_given_ids_only() -> None:
    _, a, b = synthetic_study(n_people=4, per_person=2, dim=3)
    ea, eb = _mirror(a, 1), _mirror(b, 2).subset(b.ids[1:])  # the target lacks one image's mirror
    ids = a.ids[:5]
    X, (Y,), groups = fitting_rows(ids, a, [b], [ea, eb])
    np.testing.assert_array_equal(X, np.vstack([a.vectors_of(ids), ea.vectors_of(ids[1:])]))
    np.testing.assert_array_equal(Y, np.vstack([b.vectors_of(ids), eb.vectors_of(ids[1:])]))
    assert groups == [person_of(i) for i in (*ids, *ids[1:])]
    X0, _, _ = fitting_rows(ids, a, [b])
    np.testing.assert_array_equal(X0, a.vectors_of(ids))
    with pytest.raises(InvalidInputError, match="one for the source and each"):
        fitting_rows(ids, a, [b], [ea])
    with pytest.raises(InvalidInputError, match="no extra set for b"):
        upgrade_study({"a": a, "b": b}, [("a", "b")], AffineMap, method="x", n_folds=2, extra={"a": ea})


def test_method_labels() -> None:
    assert method_label("kernel+flip") == ("kernel", {}, True)
    assert method_label("ensemble:members=kernel/affine_cv:weighting=cv") == (
        "ensemble", {"members": ("kernel", "affine_cv"), "weighting": "cv"}, False
    )
    assert method_label("kernel:gamma=0.5+flip") == ("kernel", {"gamma": 0.5}, True)
    with pytest.raises(InvalidInputError, match="NAME:KEY=VALUE"):
        method_label("kernel:gamma")
