"""Each distinct image of a fold is mapped once: the positions point back at every pair's images, the deduplicated
scores equal scoring each pair's own rows, and the study's shared work on threads equals it on one."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.experiments.shared.data import StudyData, study_data
from facebridge.experiments.shared.scoring import FoldScores, scores_against, unit_view, view_scores
from facebridge.experiments.verification.methods import DEFAULT_METHODS, get_method
from facebridge.experiments.verification.moments import GroupMoments, joint_moments, model_offsets
from facebridge.experiments.verification.penalty import fold_galleries, native_in_views, score_fold, target_views
from facebridge.experiments.verification.task import FoldTask
from tests.experiments.toy_studies import toy_study


@pytest.fixture(scope="module")
def moments() -> GroupMoments:
    sets, pairs = toy_study()
    return GroupMoments(study_data(sets, pairs))


def _fold(data: StudyData, k: int) -> tuple[np.ndarray, np.ndarray]:
    rows = data.pairs.fold == k
    return data.row_a[rows], data.row_b[rows]


def test_fold_images_are_distinct_and_point_back_at_every_pair(moments: GroupMoments) -> None:
    data = moments.data
    shared = 0
    for k in data.fold_ids:
        a, b = _fold(data, k)
        both, first = data.fold_images(k), data.fold_images(k, second=False)
        assert np.array_equal(both.rows, np.unique(np.concatenate([a, b])))
        assert np.array_equal(both.rows[both.a], a) and np.array_equal(both.rows[both.b], b)
        assert np.array_equal(first.rows, np.unique(a)) and first.b is None
        assert np.array_equal(first.rows[first.a], a)
        shared += 2 * len(a) - len(both.rows)
    assert shared > 0  # the toy protocol reuses images, so the sharing is exercised


@pytest.mark.parametrize("key", ["affine_whitened", "procrustes", "kernel_whitened"])
def test_scores_of_distinct_images_equal_scoring_each_pairs_rows(moments: GroupMoments, key: str) -> None:
    data, k = moments.data, 2
    method = get_method(key, quick=True)
    task = FoldTask(moments, "m0", "m1", k)
    view = method.view(FoldTask(moments, "m1", "m1", k))
    cross, both, _ = score_fold(task, method, view)
    a, b = _fold(data, k)
    fitted = method.fit(task)
    mapped_a, mapped_b = fitted.transform(data.vectors["m0"][a]), fitted.transform(data.vectors["m0"][b])
    np.testing.assert_allclose(cross, view_scores(mapped_a, data.vectors["m1"][b], view), atol=1e-12)
    np.testing.assert_allclose(both, view_scores(mapped_a, mapped_b, view), atol=1e-12)


def test_views_galleries_and_natives_on_threads_equal_one_thread() -> None:
    sets, pairs = toy_study()
    data = study_data(sets, pairs)
    methods = [get_method(key, quick=True) for key in DEFAULT_METHODS]
    runs = []
    for workers in (1, 3):
        moments = GroupMoments(data, threads=workers)
        views = target_views(moments, methods, workers)
        galleries = fold_galleries(data, views, workers)
        runs.append((moments, views, galleries, native_in_views(data, methods, views, galleries, workers)))
    (m1, v1, g1, n1), (m3, v3, g3, n3) = runs
    assert list(v1) == list(v3) and list(g1) == list(g3) and list(n1) == list(n3)
    for key, view in v1.items():
        other = v3[key]
        assert (view is None) == (other is None)
        if view is not None:
            for mine, theirs in zip(view.parts(), other.parts(), strict=True):
                assert (mine is None and theirs is None) or np.array_equal(mine, theirs)
        assert np.array_equal(g1[key], g3[key])
    for key, result in n1.items():
        assert result.mean == n3[key].mean
    offset, width = model_offsets(data)
    assert np.array_equal(
        m1.stats_where("m0", "m2", lambda g: True).xty, m3.stats_where("m0", "m2", lambda g: True).xty
    )
    np.testing.assert_allclose(
        m3.stats_where("m1", "m2", lambda g: True).xty,
        joint_moments(data, offset, np.arange(data.n), width)[offset["m1"], offset["m2"]],
        atol=1e-10,
    )
    # natives are the target against itself in the method's view: as scoring both sides' rows directly
    key = ("affine_whitened", "m2", 1)
    a, b = _fold(data, 1)
    y = data.vectors["m2"]
    np.testing.assert_allclose(scores_against(y[a], g1[key], v1[key]), view_scores(y[a], y[b], v1[key]), atol=1e-12)
    np.testing.assert_allclose(g1[key], unit_view(y[b], v1[key]), atol=1e-12)
    direct = FoldScores(data.pairs)
    for k in data.fold_ids:
        fa, fb = _fold(data, k)
        direct.put(k, view_scores(y[fa], y[fb], v1[("affine_whitened", "m2", k)]))
    assert direct.result().mean == n1[("affine_whitened", "m2")].mean
