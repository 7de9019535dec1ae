"""No fold's map, penalty or view ever sees that fold's people: instrumented data access, and a poisoning test."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.data import study_data
from facebridge.experiments.methods import DEFAULT_METHODS, get_method
from facebridge.experiments.moments import GroupMoments
from facebridge.experiments.penalty import run_penalty, score_fold, target_views
from facebridge.experiments.task import FoldTask
from facebridge.protocols import person_of
from tests.experiments.toy_studies import toy_study


def _used_rows(task: FoldTask, name: str, args: tuple) -> np.ndarray:
    """(n,) bool: the images a FoldTask accessor reads, recomputed from the groups independently of the task."""
    data = task.data
    groups = [data.groups[g] for g in data.group]
    inner = args[0] if args else frozenset()
    if name == "validation_stats":
        return np.array([bool(g & inner) and task.fold not in g for g in groups])
    if name == "train_rows" or name == "train_arrays":
        inner = frozenset()
    return np.array([not (g & (inner | {task.fold})) for g in groups])


def test_every_fit_reads_only_people_outside_its_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    sets, pairs = toy_study()
    data = study_data(sets, pairs)
    seen: list[tuple[str, int, int]] = []
    # Eigendecompositions ride on the statistics train_stats returns, and the scoring views read train_stats too.
    for name in ("train_stats", "validation_stats", "train_rows", "train_arrays"):
        original = getattr(FoldTask, name)

        def spy(self: FoldTask, *args: object, _name: str = name, _original: object = original, **kwargs: object):
            used = _used_rows(self, _name, args)
            people = {person_of(i) for i in data.ids[used]}
            assert not people & data.pairs.people_of_fold(self.fold), f"{_name} of fold {self.fold} leaks"
            seen.append((_name, self.fold, int(used.sum())))
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(FoldTask, name, spy)
    run_penalty(GroupMoments(data), [get_method(k) for k in DEFAULT_METHODS])
    names = {s[0] for s in seen}
    assert {"train_stats", "validation_stats", "train_arrays"} <= names
    assert {s[1] for s in seen} == set(data.fold_ids)
    validation = [s for s in seen if s[0] == "validation_stats"]
    assert validation and all(0 < n < data.n for _, _, n in validation)


def test_inner_splits_never_hold_the_test_fold() -> None:
    sets, pairs = toy_study(n_folds=6)
    moments = GroupMoments(study_data(sets, pairs))
    for k in range(6):
        splits = FoldTask(moments, "m0", "m1", k).inner_splits(3)
        assert len(splits) == 3 and k not in frozenset().union(*splits)
        assert sorted(f for s in splits for f in s) == [f for f in range(6) if f != k]


def test_a_folds_scores_ignore_its_peoples_training_only_images() -> None:
    """Scramble every vector of fold 0's people's images that no pair uses: fold 0's scores (every method, model pair
    and mode) and views must not move, while another fold's must (those images are in its pool)."""
    sets, pairs = toy_study()
    used = set(pairs.id_a) | set(pairs.id_b)
    fold0 = pairs.people_of_fold(0)
    rng = np.random.default_rng(1)
    poisoned = {}
    for name, es in sets.items():
        mask = np.array([person_of(i) in fold0 and i not in used for i in es.ids])
        assert mask.sum() == 2 * len(fold0)  # two training-only images per person
        vectors = es.vectors.copy()
        vectors[mask] = rng.normal(size=(int(mask.sum()), es.dim)) * 10
        poisoned[name] = EmbeddingSet(es.ids, vectors, es.fingerprint)
    methods = [get_method(k) for k in DEFAULT_METHODS]
    clean, dirty = GroupMoments(study_data(sets, pairs)), GroupMoments(study_data(poisoned, pairs))
    clean_views, dirty_views = target_views(clean, methods), target_views(dirty, methods)
    moved = []
    for source, target in [("m0", "m1"), ("m2", "m0")]:
        for method in methods:
            for k in (0, 1):
                key = (method.info.key, target, k)
                a = score_fold(FoldTask(clean, source, target, k), method, clean_views[key])
                b = score_fold(FoldTask(dirty, source, target, k), method, dirty_views[key])
                if k == 0:
                    np.testing.assert_allclose(a[0], b[0], atol=1e-9, err_msg=str(key))
                    np.testing.assert_allclose(a[1], b[1], atol=1e-9, err_msg=str(key))
                    assert a[2] == b[2]
                    parts = [(None, None) if v is None else v.parts() for v in (clean_views[key], dirty_views[key])]
                    for pa, pb in zip(*parts, strict=True):
                        assert (pa is None) == (pb is None) and (pa is None or np.allclose(pa, pb, atol=1e-9))
                else:
                    moved.append(not np.allclose(a[0], b[0], atol=1e-6))
    assert all(moved)
