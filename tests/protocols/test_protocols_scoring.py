"""Pair scores and the lookup of pair ids in embedding sets."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.errors import InvalidInputError, MismatchError, NotFoundError
from facebridge.protocols import PairList, pair_scores, score_pairs


def test_pair_scores_reference() -> None:
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    cos = [a @ b / np.sqrt((a @ a) * (b @ b)) for a, b in zip(A, B, strict=True)]
    np.testing.assert_allclose(pair_scores(A, B), cos, rtol=1e-12)
    np.testing.assert_allclose(
        pair_scores(A, B, "euclidean"), [-np.sqrt((a - b) @ (a - b)) for a, b in zip(A, B, strict=True)]
    )
    np.testing.assert_allclose(pair_scores(A, 3 * A), 1.0)
    assert pair_scores(A.astype(np.float32), B).dtype == np.float64


def test_pair_scores_errors() -> None:
    A = np.ones((2, 3))
    with pytest.raises(NotFoundError, match="unknown metric 'dot'; use one of cosine, euclidean"):
        pair_scores(A, A, "dot")
    with pytest.raises(InvalidInputError, match="same shape"):
        pair_scores(A, np.ones((2, 4)))
    with pytest.raises(InvalidInputError, match="zero vector"):
        pair_scores(A, np.array([[1.0, 0, 0], [0, 0, 0]]))


def test_score_pairs_looks_up_both_sides() -> None:
    rng = np.random.default_rng(1)
    ids = np.array(["A/1.jpg", "A/2.jpg", "B/1.jpg"])
    a = EmbeddingSet(ids, rng.normal(size=(3, 4)), Fingerprint("m1"))
    b = EmbeddingSet(ids[::-1], rng.normal(size=(3, 4)), Fingerprint("m2"))
    pairs = PairList(ids[[0, 0]], ids[[1, 2]], np.array([True, False]), np.array([0, 1]), "toy")
    np.testing.assert_allclose(score_pairs(pairs, a), pair_scores(a.vectors[[0, 0]], a.vectors[[1, 2]]))
    np.testing.assert_allclose(
        score_pairs(pairs, a, b, "euclidean"), pair_scores(a.vectors[[0, 0]], b.vectors[[1, 0]], "euclidean")
    )
    missing = PairList(ids[[0]], np.array(["C/9.jpg"]), np.array([False]), np.array([0]), "toy")
    with pytest.raises(NotFoundError, match=r"pair list 'toy', id_b: 1 ids not in the m1 set, e\.g\. C/9\.jpg"):
        score_pairs(missing, a)
    with pytest.raises(MismatchError, match="m1 \\(4-d\\) with m3 \\(2-d\\)"):
        score_pairs(pairs, a, EmbeddingSet(ids, np.ones((3, 2)), Fingerprint("m3")))
