"""Score files other tools read, and TAR at every FAR the impostor count supports.

- bob's 5-column format (``bob.bio.base.score.load.five_column``, ``bob.measure``), one comparison per line,
  whitespace-separated: ``claimed_id model_label real_id probe_label score``: claimed = the reference's person,
  model_label = the reference image's id, real = the probe's person, probe_label = the probe image's id (so a
  genuine pair has claimed_id == real_id, and a failing pair names both photos). bob splits on whitespace and reads
  no quotes, so whitespace and ``%`` in a field are percent-encoded (UTF-8, as in URLs: a space is ``%20``).
- pyeer's genuine and impostor files: one score per line each.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from urllib.parse import quote

import numpy as np

from facebridge.protocols.pairs import PairList, person_of
from facebridge.protocols.roc import Roc
from facebridge.storage import atomic_write


def _write_lines(path: Path, lines: list[str]) -> None:
    atomic_write(path, lambda tmp: tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8"))


def pyeer_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The genuine and impostor files written beside ``path``: ``<stem>_genuine.txt``, ``<stem>_impostor.txt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}_genuine.txt"), path.with_name(f"{path.stem}_impostor.txt")


def score_field(text: str) -> str:
    """``text`` (never empty: ids and people are not) as one field of a bob score file: whitespace and ``%``
    percent-encoded, reversible with ``urllib.parse.unquote``."""
    return re.sub(r"[\s%]", lambda m: quote(m.group(), safe=""), text)


def write_score_files(pairs: PairList, scores: np.ndarray, path: str | os.PathLike[str]) -> list[Path]:
    """Write ``scores`` (one per pair) as a bob 5-column file at ``path`` and pyeer files beside it."""
    path = Path(path)
    lines = [
        " ".join(score_field(f) for f in (person_of(a), a, person_of(b), b)) + f" {s:.9g}"
        for a, b, s in zip(pairs.id_a, pairs.id_b, scores, strict=True)
    ]
    _write_lines(path, lines)
    genuine, impostor = pyeer_paths(path)
    _write_lines(genuine, [f"{s:.9g}" for s in scores[pairs.same]])
    _write_lines(impostor, [f"{s:.9g}" for s in scores[~pairs.same]])
    return [path, genuine, impostor]


def supported_fars(n_impostor: int, largest: float = 1e-1) -> list[float]:
    """Decades ``largest``, ``largest / 10``, ... down to the smallest with at least one allowed false accept
    (FAR >= 1 / ``n_impostor``)."""
    if n_impostor < 1:
        return []
    decades = math.floor(math.log10(largest * n_impostor) + 1e-9) + 1
    return [float(f"{largest / 10**j:.3g}") for j in range(decades)]


def tar_at_far_table(roc: Roc) -> list[dict[str, float | int]]:
    """TAR at each of :func:`supported_fars`, with the false accepts that FAR allows."""
    return [
        {"far": far, "tar": roc.tar_at_far(far), "false_accepts_allowed": math.floor(far * roc.n_impostor + 1e-9)}
        for far in supported_fars(roc.n_impostor)
    ]
