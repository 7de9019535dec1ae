"""The study on YouTube Faces: a generated frame tree in the official layout, frame embeddings aggregated per video,
the official splits format, and the YTF section of the results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.experiments.verification.study import run_study, run_ytf_study
from facebridge.protocols import list_ytf_frames, pair_scores, parse_ytf_splits, verify, video_embeddings
from tests.experiments.toy_studies import toy_study

PEOPLE = [f"Person_{i}" for i in range(12)]
VIDEOS, FRAMES = (0, 1, 2), 4
METHODS = ["ridge_study", "affine_cv", "procrustes", "affine_whitened"]


@pytest.fixture(scope="module")
def ytf(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, EmbeddingSet], Path]:
    """A tiny ``aligned_images_DB`` tree of random JPEGs, its ``splits.txt``, and fake frame embeddings of two models
    (identity + video offset + frame noise, seen through two random linear views)."""
    root = tmp_path_factory.mktemp("ytf")
    rng = np.random.default_rng(0)
    for person in PEOPLE:
        for v in VIDEOS:
            folder = root / "aligned_images_DB" / person / str(v)
            folder.mkdir(parents=True)
            for f in range(FRAMES):
                pixels = rng.integers(0, 255, size=(8, 8, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"aligned_detect_{v}.{f + 1}.jpg")
    frames = list_ytf_frames(root)
    identity = {p: rng.normal(size=6) for p in PEOPLE}
    video = {(p, v): 0.3 * rng.normal(size=6) for p in PEOPLE for v in VIDEOS}
    latent = np.array([identity[i.split("/")[0]] + video[(i.split("/")[0], int(i.split("/")[1]))] for i in frames])
    latent += 0.2 * rng.normal(size=latent.shape)
    sets = {
        name: EmbeddingSet(np.array(frames, object), latent @ rng.normal(size=(6, d)) + 0.5, Fingerprint(name))
        for name, d in (("a", 8), ("b", 10))
    }
    lines = ["split number, pair number, first name, second name, is same"]
    for split in (1, 2, 3):
        people = PEOPLE[(split - 1) * 4 : split * 4]
        n = 0
        for i, p in enumerate(people):
            q = people[(i + 1) % 4]
            for a, b, same in (
                (f"{p}/0", f"{p}/1", 1),
                (f"{p}/1", f"{p}/2", 1),
                (f"{p}/0", f"{q}/2", 0),
                (f"{p}/2", f"{q}/1", 0),
            ):
                n += 1
                lines.append(f"{split}, {n}, {a}, {b}, {same}")
    (root / "splits.txt").write_text("\n".join(lines) + "\n")
    return sets, root


def test_ytf_study_runs_on_videos(ytf: tuple[dict[str, EmbeddingSet], Path]) -> None:
    sets, root = ytf
    pairs = parse_ytf_splits(root / "splits.txt")
    assert pairs.n == 48 and pairs.n_folds == 3 and len(sets["a"].ids) == 12 * 3 * FRAMES
    result = run_ytf_study(sets, pairs, quick=True, methods=METHODS)
    meta = result.meta
    assert meta["protocol"] == "ytf" and meta["aggregation"] == "mean_normalized"
    assert meta["n_pool_images"] == 12 * 3  # one sample per video
    videos = video_embeddings(sets["b"], "mean_normalized")
    native = verify(pair_scores(videos.vectors_of(pairs.id_a), videos.vectors_of(pairs.id_b)), pairs.same, pairs.fold)
    row = next(r for r in result.native if r["model"] == "b")
    assert row["mean"] == pytest.approx(100 * native.mean)
    assert {(r["source"], r["target"]) for r in result.penalty} == {("a", "b"), ("b", "a")}
    assert {r["n"] for r in result.sample_size} == {"all"}  # 24 training videos per fold: every quick n is too many


def test_ytf_section_of_the_results(ytf: tuple[dict[str, EmbeddingSet], Path]) -> None:
    sets, root = ytf
    lfw_sets, lfw_pairs = toy_study()
    lfw = run_study(lfw_sets, lfw_pairs, quick=True, methods=["ridge_study", "affine_whitened"])
    ytf_results = run_ytf_study(sets, parse_ytf_splits(root / "splits.txt"), quick=True, methods=METHODS)
    d = lfw.with_ytf(ytf_results).to_dict()
    assert d["meta"]["protocol"] == "toy" and d["ytf"]["meta"]["protocol"] == "ytf"
    assert set(d["ytf"]) == set(d) - {"study_reference", "targets", "ytf", "privacy", "upgrade"}
    assert len(d["ytf"]["penalty"]) == 2 * len(METHODS)
