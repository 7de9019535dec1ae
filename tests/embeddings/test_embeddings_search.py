"""FAISS search against numpy brute force; the approximate index's recall; fingerprints must agree."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.embeddings.search import recall_at_k, search_arrays, search_sets
from facebridge.errors import MismatchError


def _brute(gallery: np.ndarray, probes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    p = probes / np.linalg.norm(probes, axis=1, keepdims=True)
    s = p.astype(np.float64) @ g.T.astype(np.float64)
    rows = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(s, rows, axis=1), rows


@pytest.mark.parametrize("k", [1, 5, 40])
def test_exact_search_equals_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    gallery, probes = rng.normal(size=(300, 24)), rng.normal(size=(50, 24))
    scores, rows = search_arrays(gallery, probes, k)
    ref_scores, ref_rows = _brute(gallery, probes, k)
    np.testing.assert_allclose(scores, ref_scores, atol=1e-5)
    assert (rows == ref_rows).mean() > 0.999  # float32 vs float64 may swap near-exact ties only


def test_k_beyond_gallery_is_clamped() -> None:
    _, rows = search_arrays(np.eye(3), np.eye(3), 10)
    assert rows.shape == (3, 3) and rows[:, 0].tolist() == [0, 1, 2]


def test_hnsw_recall_against_exact() -> None:
    rng = np.random.default_rng(0)
    gallery, probes = rng.normal(size=(2000, 32)), rng.normal(size=(100, 32))
    _, exact = search_arrays(gallery, probes, 10)
    _, approx = search_arrays(gallery, probes, 10, "hnsw", ef_search=256)
    assert recall_at_k(approx, exact) > 0.9
    assert recall_at_k(exact, exact) == 1.0


def test_search_sets_ids_ranks_and_fingerprints() -> None:
    fp = Fingerprint("b", "ab" * 32)
    gallery = EmbeddingSet(np.array(["x/1", "y/1"], dtype=object), np.array([[1.0, 0], [0, 1.0]]), fp)
    probes = EmbeddingSet(np.array(["y/2"], dtype=object), np.array([[0.1, 1.0]]), fp)
    hits = search_sets(gallery, probes, 2)
    assert hits.gallery_id.tolist() == ["y/1", "x/1"] and hits.rank.tolist() == [1, 2]
    assert hits.probe_id.tolist() == ["y/2", "y/2"] and hits.score[0] > hits.score[1]
    other = EmbeddingSet(probes.ids, probes.vectors, Fingerprint("a"))
    with pytest.raises(MismatchError, match="migrate"):
        search_sets(gallery, other, 1)
