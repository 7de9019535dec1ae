"""No fold's map, penalty or view ever sees that fold's people, and the study's constants are chosen on a development
protocol only: instrumented data access (fits, scoring views, the selection), and a poisoning test."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet
from facebridge.experiments.shared.data import StudyData, study_data
from facebridge.experiments.verification import selection
from facebridge.experiments.verification.methods import DEFAULT_METHODS, StudyMethod, get_method
from facebridge.experiments.verification.moments import GroupMoments
from facebridge.experiments.verification.penalty import run_penalty, score_fold, target_views
from facebridge.experiments.verification.selection import Variant
from facebridge.experiments.verification.task import FoldTask
from facebridge.protocols import PairList, person_of
from tests.experiments.toy_studies import toy_study


def _used_rows(task: FoldTask, name: str, args: tuple) -> np.ndarray:
    """(n,) bool: the images a FoldTask accessor reads, recomputed from the groups independently of the task."""
    data = task.data
    groups = [data.groups[g] for g in data.group]
    inner = args[0] if args else frozenset()
    if name == "validation_stats":
        return np.array([bool(g & inner) and task.fold not in g for g in groups])
    if name == "train_rows":
        inner = frozenset()
    return np.array([not (g & (inner | {task.fold})) for g in groups])


def _spy_fold_tasks(monkeypatch: pytest.MonkeyPatch, data: StudyData) -> list[tuple]:
    """Make every FoldTask accessor (and every method's scoring view) assert it reads no person of its fold;
    returns the (accessor, fold, images read) calls seen, filled as they happen."""
    seen: list[tuple] = []
    # Eigendecompositions ride on the statistics train_stats returns, and the scoring views read train_stats too.
    for name in ("train_stats", "validation_stats", "train_rows"):
        original = getattr(FoldTask, name)

        def spy(self: FoldTask, *args: object, _name: str = name, _original: object = original, **kwargs: object):
            used = _used_rows(self, _name, args)
            people = {person_of(i) for i in data.ids[used]}
            assert not people & data.pairs.people_of_fold(self.fold), f"{_name} of fold {self.fold} leaks"
            seen.append((_name, self.fold, int(used.sum())))
            return _original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(FoldTask, name, spy)
    _spy_views(monkeypatch, seen)
    return seen


def _spy_views(monkeypatch: pytest.MonkeyPatch, seen: list[tuple]) -> None:
    """The scoring views read GroupMoments directly: while a method's ``view`` of fold k runs, every pool it sums
    must leave out every fold group that holds k. Views are learnt on several threads: each has its own stack."""
    local = threading.local()

    def folds() -> list[int]:
        """The folds whose view this thread is learning, innermost last."""
        if not hasattr(local, "folds"):
            local.folds = []
        return local.folds

    stats_where, pool_mean = GroupMoments.stats_where, GroupMoments.pool_mean

    def spy_view(original):
        def view(self, task: FoldTask):
            folds().append(task.fold)
            try:
                viewed = original(self, task)
            finally:
                folds().pop()
            if viewed is not None:  # None is plain cosine, learnt from nothing
                used = _used_rows(task, "train_stats", ())
                seen.append(("view", task.fold, int(used.sum()), task.target))
            return viewed

        return view

    def spy_stats(self: GroupMoments, source: str, target: str, keep, **kwargs):
        if folds():
            kept = [g for g in self.data.groups if keep(g)]
            assert all(folds()[-1] not in g for g in kept), f"the scoring view of fold {folds()[-1]} leaks"
        return stats_where(self, source, target, keep, **kwargs)

    def spy_mean(self: GroupMoments, model: str, exclude: frozenset[int]):
        assert not folds() or folds()[-1] in exclude, f"the scoring view of fold {folds()[-1]} leaks"
        return pool_mean(self, model, exclude)

    monkeypatch.setattr(GroupMoments, "stats_where", spy_stats)
    monkeypatch.setattr(GroupMoments, "pool_mean", spy_mean)
    for cls in {type(get_method(k)) for k in DEFAULT_METHODS} | {StudyMethod, Variant}:
        if "view" in vars(cls):
            monkeypatch.setattr(cls, "view", spy_view(vars(cls)["view"]))


def test_every_fit_reads_only_people_outside_its_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    sets, pairs = toy_study()
    data = study_data(sets, pairs)
    seen = _spy_fold_tasks(monkeypatch, data)
    run_penalty(GroupMoments(data), [get_method(k) for k in DEFAULT_METHODS])
    names = {s[0] for s in seen}
    assert {"train_stats", "validation_stats", "train_rows"} <= names
    assert {s[1] for s in seen} == set(data.fold_ids)
    validation = [s for s in seen if s[0] == "validation_stats"]
    assert validation and all(0 < n < data.n for _, _, n in validation)
    views = [s for s in seen if s[0] == "view"]  # centred and whitened views, each of one (target, fold)
    assert {(t, k) for _, k, _, t in views} == {(t, k) for t in data.models for k in data.fold_ids}
    assert all(0 < n < data.n for _, _, n, _ in views)


def _view1_like(pairs: PairList) -> PairList:
    """A development protocol on the toy's training-only images (5th and 6th of each person), two folds by person:
    disjoint in images from ``pairs`` (the toy's "View 2"), as LFW's View 1 is in pairs."""
    people = sorted({person_of(i) for i in pairs.ids()})
    id_a, id_b, same, fold = [], [], [], []
    for j, p in enumerate(people):
        q = people[(j + 2) % len(people)]  # same parity: the same fold
        id_a += [f"{p}/{p}_0005.jpg"] * 2
        id_b += [f"{p}/{p}_0006.jpg", f"{q}/{q}_0006.jpg"]
        same += [True, False]
        fold += [j % 2] * 2
    return PairList(np.array(id_a, object), np.array(id_b, object), np.array(same), np.array(fold), "dev")


def test_selection_never_scores_a_view2_pair_and_fits_outside_its_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The constants are chosen on the development protocol only: no pair the selection scores uses a "View 2"
    (test protocol) pair image, and every fit and view of a development fold reads only people outside it."""
    sets, view2 = toy_study()
    view1 = _view1_like(view2)
    view2_images = set(view2.ids())
    data = study_data(sets, view1)
    received: list[PairList] = []

    def spy_data(s, p: PairList) -> StudyData:
        received.append(p)
        assert not set(p.ids()) & view2_images, "the selection received a View 2 pair image"
        return study_data(s, p)

    monkeypatch.setattr(selection, "study_data", spy_data)
    seen = _spy_fold_tasks(monkeypatch, data)
    record = selection.select_constants(
        sets, view1, grids=selection.Grids(shrinks=(1.0, 0.1), gammas=(0.5,), landmarks=(16,), start_landmarks=16)
    )
    assert received == [view1] and record["WHITEN_SHRINK"]["value"] in (1.0, 0.1)
    assert {s[1] for s in seen} == {0, 1} and {"train_rows", "view", "validation_stats"} <= {s[0] for s in seen}


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
                if k == 0:  # to rounding: a fold's kernel moments are the total minus its own images' (1e-7 at the
                    # grid's 1e-8 penalties, which GCV picks on this toy data); a leak of the x10 noise moves far more
                    np.testing.assert_allclose(a[0], b[0], atol=1e-6, err_msg=str(key))
                    np.testing.assert_allclose(a[1], b[1], atol=1e-6, err_msg=str(key))
                    assert a[2] == b[2]
                    parts = [(None, None) if v is None else v.parts() for v in (clean_views[key], dirty_views[key])]
                    for pa, pb in zip(*parts, strict=True):
                        assert (pa is None) == (pb is None) and (pa is None or np.allclose(pa, pb, atol=1e-9))
                else:
                    moved.append(not np.allclose(a[0], b[0], atol=1e-6))
    assert all(moved)
