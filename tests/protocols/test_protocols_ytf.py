"""YTF: the real splits file, malformed lines, frame listing in the official layout, frame-to-video aggregation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.errors import DataFormatError, InvalidInputError, MissingFileError, NotFoundError
from facebridge.protocols import list_ytf_frames, parse_ytf_splits, video_embeddings

FP = Fingerprint("model-a")


def test_real_splits(shared_data: Path) -> None:
    p = parse_ytf_splits(shared_data / "ytf" / "splits.txt")
    assert (p.n, p.n_folds, int(p.same.sum()), p.name) == (5000, 10, 2500, "ytf")
    for k in range(10):
        assert (p.fold == k).sum() == 500
        assert p.same[p.fold == k].sum() == 250
    assert (p.id_a[0], p.id_b[0], p.same[0], p.fold[0]) == ("Sadie_Frost/1", "Sadie_Frost/5", True, 0)
    assert (p.id_a[-1], p.id_b[-1], p.same[-1], p.fold[-1]) == ("Ben_Curtis/0", "Hank_Stram/4", False, 9)
    people = [p.people_of_fold(k) for k in range(10)]
    assert all(not (a & b) for a, b in itertools.combinations(people, 2))


def test_header_line_and_spacing_variants(tmp_path: Path) -> None:
    path = tmp_path / "splits.txt"
    path.write_text("split number, pair number, first name, second name, is same\n1,1,A/0,A/2,1\n 2 , 1 ,A/1, B/3 , 0")
    p = parse_ytf_splits(path)
    assert list(p.id_a) == ["A/0", "A/1"] and list(p.id_b) == ["A/2", "B/3"]
    assert list(p.same) == [True, False] and list(p.fold) == [0, 1]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1, 1, A/0, A/1, 1\n1, 2, A/0, A/1\n", 2, "got 4 fields"),
        ("1, 1, A/0, A/1, 1\n0, 2, A/0, B/1, 0\n", 2, "split must be >= 1"),
        ("1, 1, A/0, A/1, 1\n1, 1, A/0, B/1, 0\n", 2, "pair 1 of split 1 appears twice"),
        ("1, 1, A/0, A/1, yes\n", 1, "same must be 0 or 1"),
        ("1, 1, A/0, A/1, 1\n1, 2, A, B/1, 0\n", 2, "video must look like 'Person/video', got 'A'"),
        ("1, 1, A/0/x.jpg, A/1, 1\n", 1, "video must look like"),
    ],
)
def test_malformed_lines(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "splits.txt"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=rf"splits\.txt:{line}: .*{message}"):
        parse_ytf_splits(path)


def test_missing_splits_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"absent\.txt"):
        parse_ytf_splits(tmp_path / "absent.txt")


videos = st.tuples(st.from_regex(r"[A-Z][a-z]{0,5}(_[A-Z][a-z]{0,5})?", fullmatch=True), st.integers(0, 9))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(videos, videos, st.booleans()), min_size=1, max_size=30), st.integers(1, 4))
def test_generated_splits_round_trip(tmp_path_factory: pytest.TempPathFactory, rows, n_splits: int) -> None:
    lines, expected = [], []
    for no, ((pa, va), (pb, vb), same) in enumerate(rows):
        split = no % n_splits + 1
        lines.append(f"{split}, {no + 1}, {pa}/{va}, {pb}/{vb}, {int(same)}")
        expected.append((f"{pa}/{va}", f"{pb}/{vb}", same, split - 1))
    path = tmp_path_factory.mktemp("ytf") / "splits.txt"
    path.write_text("\n".join(lines))
    p = parse_ytf_splits(path)
    assert list(zip(p.id_a, p.id_b, p.same, p.fold, strict=True)) == expected


LAYOUT = {"Sadie_Frost": {"1": 3, "5": 2}, "Ben_Curtis": {"0": 4}}


def build_layout(root: Path) -> list[str]:
    """The official aligned_images_DB layout with empty frame files; returns the expected sorted ids."""
    ids = []
    for person, vids in LAYOUT.items():
        for video, n_frames in vids.items():
            folder = root / "aligned_images_DB" / person / video
            folder.mkdir(parents=True)
            for frame in range(n_frames):
                (folder / f"aligned_detect_{video}.{frame + 1}.jpg").touch()
                ids.append(f"{person}/{video}/aligned_detect_{video}.{frame + 1}.jpg")
    (root / "aligned_images_DB" / "Ben_Curtis" / "0" / "notes.txt").touch()
    (root / "aligned_images_DB" / "stray.jpg").touch()
    return sorted(ids)


def test_list_frames_official_layout(tmp_path: Path) -> None:
    expected = build_layout(tmp_path)
    assert list_ytf_frames(tmp_path) == expected
    assert list_ytf_frames(tmp_path / "aligned_images_DB") == expected
    assert expected[0] == "Ben_Curtis/0/aligned_detect_0.1.jpg"
    with pytest.raises(MissingFileError):
        list_ytf_frames(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="no frames"):
        list_ytf_frames(tmp_path / "empty")


def test_video_embeddings_exact(tmp_path: Path) -> None:
    build_layout(tmp_path)
    ids = list_ytf_frames(tmp_path)
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(len(ids), 5)).astype(np.float32)
    frames = EmbeddingSet(np.array(ids[::-1], dtype=object), vectors[::-1], FP)  # order must not matter
    by_video: dict[str, list[np.ndarray]] = {}
    for i, v in zip(ids, vectors, strict=True):
        by_video.setdefault("/".join(i.split("/")[:2]), []).append(v.astype(np.float64))
    names = sorted(by_video)

    mean = video_embeddings(frames, "mean")
    assert list(mean.ids) == names == ["Ben_Curtis/0", "Sadie_Frost/1", "Sadie_Frost/5"]
    np.testing.assert_array_equal(mean.meta["n_frames"], [4, 3, 2])
    assert mean.fingerprint == FP
    np.testing.assert_allclose(mean.vectors, [np.mean(by_video[n], axis=0) for n in names], rtol=1e-6)

    norm = video_embeddings(frames, "mean_normalized")
    want = [np.mean([v / np.linalg.norm(v) for v in by_video[n]], axis=0) for n in names]
    np.testing.assert_allclose(norm.vectors, want, rtol=1e-6)


def test_video_embeddings_errors() -> None:
    with pytest.raises(InvalidInputError, match="not a file under"):
        video_embeddings(EmbeddingSet(np.array(["A/1"]), np.ones((1, 2)), FP))
    with pytest.raises(NotFoundError, match="unknown video aggregation 'median'"):
        video_embeddings(EmbeddingSet(np.array(["A/1/f.jpg"]), np.ones((1, 2)), FP), "median")
    with pytest.raises(InvalidInputError, match="zero vector"):
        video_embeddings(EmbeddingSet(np.array(["A/1/f.jpg"]), np.zeros((1, 2)), FP), "mean_normalized")
