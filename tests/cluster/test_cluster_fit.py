"""A map fitted on the cluster equals the one-process fit of every family fitted from statistics; the others and bad
input are refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from distributed import get_task_stream

from facebridge.cluster import fit_distributed
from facebridge.embeddings import join_sets, read_embeddings
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.maps import make_map
from facebridge.protocols import person_of
from tests.cluster.conftest import DX, write_set

FAMILIES = [("ridge", {}), ("affine_fixed", {}), ("affine", {}), ("rrr", {"rank": 6}), ("procrustes", {})]


def local_fit(method: str, params: dict, sets: dict[str, Path], target: str = "b"):
    """What ``facebridge fit`` does in one process."""
    ids, x, y = join_sets(read_embeddings(sets["a"]), read_embeddings(sets[target]))
    est = make_map(method, **params)
    if method == "affine":
        return est.fit(x, y, groups=[person_of(i) for i in ids]), ids
    return est.fit(x, y), ids


@pytest.mark.parametrize(("method", "params"), FAMILIES, ids=[m for m, _ in FAMILIES])
def test_distributed_fit_equals_the_local_fit(client, sets, method: str, params: dict) -> None:
    done = fit_distributed(client, make_map(method, **params), sets["a"], sets["b"], batch_rows=300)
    expected, ids = local_fit(method, params, sets)
    np.testing.assert_allclose(done.estimator.coef_, expected.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(done.estimator.intercept_, expected.intercept_, rtol=1e-6, atol=1e-6)
    assert (done.n_ids, done.n_people) == (len(ids), len({person_of(i) for i in ids}))
    assert (done.source.model, done.target.model, done.source_dim) == ("model-a", "model-b", DX)
    if method == "affine":
        assert done.estimator.alpha_ == expected.alpha_
        np.testing.assert_allclose(done.estimator.cv_errors_, expected.cv_errors_, rtol=1e-6)


@pytest.mark.parametrize("method", ["ridge", "affine"])
def test_sets_in_the_same_order_are_fitted_without_a_shuffle(client, sets, method: str) -> None:
    with get_task_stream(client) as tasks:
        done = fit_distributed(client, make_map(method), sets["a"], sets["c"], batch_rows=300)
    expected, ids = local_fit(method, {}, sets, "c")
    np.testing.assert_allclose(done.estimator.coef_, expected.coef_, rtol=1e-6, atol=1e-6)
    assert done.n_ids == len(ids) == 1200
    ran = {t["key"].split("-")[0] if isinstance(t["key"], str) else str(t["key"]) for t in tasks.data}
    assert any("_aligned_stats" in k for k in ran) and not any("_bucket_stats" in k for k in ran)


def test_families_fitted_from_rows_are_refused(client, sets) -> None:
    with pytest.raises(InvalidInputError, match="kernel is fitted from the rows themselves"):
        fit_distributed(client, make_map("kernel"), sets["a"], sets["b"])
    for method in ("affine_mean", "softmax"):  # linear, but fitted from each person's rows, not pooled statistics
        with pytest.raises(InvalidInputError, match=f"{method} is fitted from the rows themselves"):
            fit_distributed(client, make_map(method), sets["a"], sets["b"])


def test_duplicate_ids_and_disjoint_sets_are_refused(client, sets, tmp_path: Path) -> None:
    es = read_embeddings(sets["a"])
    twice = write_set(tmp_path / "twice.parquet", np.concatenate([es.ids, es.ids[:1]]),
                      np.concatenate([es.vectors, es.vectors[:1]]), "model-a", 500)  # fmt: skip
    with pytest.raises(InvalidInputError, match=r"source set has duplicate ids, e\.g\. 'person00/00000\.jpg'"):
        fit_distributed(client, make_map("ridge"), twice, sets["b"])
    other = write_set(tmp_path / "other.parquet", np.array(["x/1", "x/2"], dtype=object), es.vectors[:2], "m", 2)
    with pytest.raises(MismatchError, match="share 0 ids, need at least 2"):
        fit_distributed(client, make_map("ridge"), sets["a"], other)
    flat = write_set(tmp_path / "flat.parquet", np.array(["1.jpg", "2.jpg"], dtype=object), es.vectors[:2], "m", 2)
    with pytest.raises(InvalidInputError, match="has no person folder"):
        fit_distributed(client, make_map("ridge"), flat, flat)


def test_npz_input_is_refused_before_any_work(client, sets, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="a cluster reads Parquet embedding sets"):
        fit_distributed(client, make_map("ridge"), tmp_path / "a.npz", sets["b"])
