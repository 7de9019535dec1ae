"""YouTube Faces: the 10-split ``splits.txt`` protocol, frame listing and frame-to-video aggregation.

Frames live in the official layout ``aligned_images_DB/<Person>/<video>/aligned_detect_<video>.<frame>.jpg``; their
ids are relative to ``aligned_images_DB`` (``"Sadie_Frost/1/aligned_detect_1.12.jpg"``) and a video's id is its
folder, ``"Sadie_Frost/1"``, as in ``splits.txt``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.errors import DataFormatError, InvalidInputError, MissingFileError, NotFoundError
from facebridge.protocols._lines import line_error, parse_int, read_lines
from facebridge.protocols.pairs import PairList
from facebridge.vectors import l2_normalize_rows

FRAMES_DIR = "aligned_images_DB"
VIDEO_AGGREGATIONS = ("mean", "mean_normalized")
#: The study's video template (every frame weighs the same under cosine), the default of every command too.
VIDEO_AGGREGATION = "mean_normalized"


def _video_id(path: Path, lineno: int, token: str) -> str:
    person, sep, video = token.partition("/")
    if not (person and sep and video) or "/" in video:
        raise line_error(path, lineno, f"video must look like 'Person/video', got {token!r}")
    return token


def parse_ytf_splits(path: str | os.PathLike[str]) -> PairList:
    """Parse the YTF ``splits.txt``: lines ``split, pair_no, Person/video1, Person/video2, same``.

    Split ``s`` (1-based) becomes fold ``s - 1``; ``same`` is 0 or 1. Spaces around fields are ignored and an
    optional first header line (``split number, pair number, ...``: first field not a number) is skipped; the
    copy in ``shared/data`` has none. Raises MissingFileError when absent, DataFormatError naming ``file:line``
    for a malformed line or a pair number repeated within a split.
    """
    path = Path(path)
    lines = read_lines(path)
    if not lines[0][1].split(",")[0].strip().isdigit():
        lines = lines[1:]
    seen: set[tuple[int, int]] = set()
    id_a, id_b, same, fold = [], [], [], []
    for lineno, line in lines:
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 5:
            raise line_error(path, lineno, f"expected 'split, pair_no, video1, video2, same', got {len(fields)} fields")
        split = parse_int(fields[0], path, lineno, "split", 1)
        key = (split, parse_int(fields[1], path, lineno, "pair number", 1))
        if key in seen:
            raise line_error(path, lineno, f"pair {key[1]} of split {split} appears twice")
        seen.add(key)
        if fields[4] not in ("0", "1"):
            raise line_error(path, lineno, f"same must be 0 or 1, got {fields[4]!r}")
        id_a.append(_video_id(path, lineno, fields[2]))
        id_b.append(_video_id(path, lineno, fields[3]))
        same.append(fields[4] == "1")
        fold.append(split - 1)
    return PairList(np.array(id_a, dtype=object), np.array(id_b, dtype=object), np.array(same), np.array(fold), "ytf")


def list_ytf_frames(root: str | os.PathLike[str]) -> list[str]:
    """Sorted ids ``"Person/video/file.jpg"`` of every frame under ``root``.

    ``root`` is the ``aligned_images_DB`` folder or the folder that contains it. Only ``*.jpg`` files exactly two
    folders deep count. Raises MissingFileError when ``root`` is absent, DataFormatError when it holds no frames.
    """
    root = Path(root)
    if (root / FRAMES_DIR).is_dir():
        root = root / FRAMES_DIR
    if not root.is_dir():
        raise MissingFileError(f"YTF frame folder not found: {root}")
    frames = sorted(p.relative_to(root).as_posix() for p in root.glob("*/*/*.jpg") if p.is_file())
    if not frames:
        raise DataFormatError(f"{root}: no frames in the layout <Person>/<video>/*.jpg")
    return frames


def _video_of(frame_id: str) -> str:
    parts = frame_id.split("/")
    if len(parts) < 3 or not all(parts):
        raise InvalidInputError(f"frame id {frame_id!r} is not a file under 'Person/video/'")
    return f"{parts[0]}/{parts[1]}"


def video_embeddings(frames: EmbeddingSet, how: str = "mean") -> EmbeddingSet:
    """One vector per video from its frames' vectors.

    Parameters
    ----------
    frames : embeddings of frame ids ``"Person/video/<file>"`` (n frames, d).
    how : ``"mean"`` averages the frame vectors; ``"mean_normalized"`` averages the L2-normalised frame vectors
        (so every frame weighs the same under cosine scoring).

    Returns
    -------
    EmbeddingSet of the m videos, ids ``"Person/video"`` sorted, vectors (m, d), the frames' fingerprint, and a
    meta column ``n_frames`` (m,) int64. Sums run in float64.
    """
    if how not in VIDEO_AGGREGATIONS:
        raise NotFoundError(f"unknown video aggregation {how!r}; use one of {', '.join(VIDEO_AGGREGATIONS)}")
    if frames.n == 0:
        raise InvalidInputError("no frames to aggregate")
    videos, inverse = np.unique(np.array([_video_of(f) for f in frames.ids], dtype=str), return_inverse=True)
    vectors = frames.vectors
    if how == "mean_normalized":
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if (norms == 0).any():
            raise InvalidInputError(f"frame {frames.ids[np.argmin(norms[:, 0])]!r} has a zero vector")
        vectors = l2_normalize_rows(vectors)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=len(videos))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.add.reduceat(vectors[order], starts, axis=0, dtype=np.float64)
    meta = {"n_frames": counts.astype(np.int64)}
    return EmbeddingSet(videos.astype(object), sums / counts[:, None], frames.fingerprint, meta)
