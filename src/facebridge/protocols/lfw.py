"""LFW pair files: the official View 2 ``pairs.txt`` (10 folds) and the View 1 ``pairsDevTrain/DevTest.txt``.

Format (fields separated by tabs or spaces, image numbers 1-based)::

    10 300                      View 2 header: folds, matched pairs per fold
    Abel_Pacheco 1 4            matched pair: name i j
    Abdel_Madi_Shabneh 1 Dean_Barker 1   mismatched pair: name1 i name2 j

View 2 holds, per fold, the matched lines then as many mismatched lines. View 1 files start with a single number,
the count of matched pairs, followed by the matched then as many mismatched lines, and form one fold (0).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from facebridge.errors import DataFormatError
from facebridge.protocols._lines import line_error, parse_int, read_lines
from facebridge.protocols.pairs import PairList


def lfw_image_id(name: str, number: int) -> str:
    """The id of LFW image ``number`` (1-based) of ``name``: ``"Name/Name_0004.jpg"``."""
    return f"{name}/{name}_{number:04d}.jpg"


def _header(path: Path, lineno: int, line: str) -> tuple[int, int]:
    tokens = line.split()
    if len(tokens) == 2:
        return parse_int(tokens[0], path, lineno, "fold count", 1), parse_int(tokens[1], path, lineno, "pairs", 1)
    if len(tokens) == 1:
        return 1, parse_int(tokens[0], path, lineno, "matched pair count", 1)
    raise line_error(
        path, lineno, f"header must be 'folds matched_per_fold' (View 2) or 'matched_count' (View 1), got {line!r}"
    )


def _pair(path: Path, lineno: int, line: str, matched: bool) -> tuple[str, str]:
    tokens = line.split()
    want = 3 if matched else 4
    if len(tokens) != want:
        shape = "matched pair 'name i j'" if matched else "mismatched pair 'name1 i name2 j'"
        raise line_error(path, lineno, f"expected a {shape}, got {len(tokens)} fields: {line!r}")
    if matched:
        name_a, i, j = tokens
        name_b = name_a
    else:
        name_a, i, name_b, j = tokens
    a = parse_int(i, path, lineno, "image number", 1)
    b = parse_int(j, path, lineno, "image number", 1)
    return lfw_image_id(name_a, a), lfw_image_id(name_b, b)


def parse_lfw_pairs(path: str | os.PathLike[str]) -> PairList:
    """Parse an LFW pair file, View 2 or View 1 (detected from the header).

    Returns a PairList named ``"lfw"`` (View 2, folds 0..9) or ``"lfw-view1:<file stem>"`` (View 1, fold 0), with
    ids ``"Name/Name_0004.jpg"``. Raises MissingFileError when absent and DataFormatError naming ``file:line`` when
    a line is malformed or the pair count disagrees with the header.
    """
    path = Path(path)
    (head_no, head), *body = read_lines(path)
    n_folds, per_fold = _header(path, head_no, head)
    expected = n_folds * 2 * per_fold
    if len(body) > expected:
        raise line_error(path, body[expected][0], f"extra line: the header (line {head_no}) announces {expected} pairs")
    if len(body) < expected:
        raise DataFormatError(f"{path}: {len(body)} pair lines, the header (line {head_no}) announces {expected}")
    pos = np.arange(expected)
    fold, same = pos // (2 * per_fold), pos % (2 * per_fold) < per_fold
    ids = [_pair(path, lineno, line, bool(m)) for (lineno, line), m in zip(body, same, strict=True)]
    id_a = np.array([a for a, _ in ids], dtype=object)
    id_b = np.array([b for _, b in ids], dtype=object)
    name = "lfw" if len(head.split()) == 2 else f"lfw-view1:{path.stem}"
    return PairList(id_a, id_b, same, fold, name)
