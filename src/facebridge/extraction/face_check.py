"""Check a model on real face pairs: genuine pairs must score above impostor pairs.

A wrong normalisation or channel order still gives finite vectors of the right size (random crops cannot tell), but
their cosine barely separates people. ``models add`` therefore embeds a few real pairs before it writes a spec:
20 pairs of LFW View 1 (the development view, never View 2's test folds) from the data folder when it is there, or
the user's own photos (one folder per person). No face image ships with facebridge.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.errors import InvalidInputError, MissingFileError
from facebridge.faces import Detector, align, choose_face, detect_bounded, fallback_detection
from facebridge.images import list_images, load_image
from facebridge.models import EmbeddingModel
from facebridge.paths import default_data_dir
from facebridge.protocols import pair_scores, parse_lfw_pairs, person_of

#: Pairs of each kind a check uses.
N_EACH = 10
#: The smallest AUC (genuine above impostor) a model passes with: a working face model separates 10 + 10 LFW pairs
#: almost perfectly; a wrong mean/std or channel order leaves them barely apart.
MIN_AUC = 0.9
#: The smallest gap between the median genuine and impostor cosines: a wrong normalisation squeezes every face into
#: one direction (both medians ~0.98), a working model leaves them ~0.6 apart.
MIN_GAP = 0.1
#: The View 1 file the LFW pairs come from.
VIEW1_TRAIN = "pairsDevTrain.txt"

ImagePair = tuple[Path, Path, bool]


@dataclass(frozen=True)
class FaceCheck:
    """Cosine scores of the genuine and impostor pairs, where they came from, and the verdict."""

    genuine: np.ndarray
    impostor: np.ndarray
    source: str

    @property
    def auc(self) -> float:
        """P(genuine score > impostor score), ties counted half."""
        g, i = self.genuine[:, None], self.impostor[None, :]
        return float(((g > i) + 0.5 * (g == i)).mean())

    @property
    def passed(self) -> bool:
        """Genuine pairs outscore impostors: AUC >= ``MIN_AUC`` and median cosines at least ``MIN_GAP`` apart."""
        return self.auc >= MIN_AUC and float(np.median(self.genuine) - np.median(self.impostor)) >= MIN_GAP

    def summary(self) -> str:
        return (
            f"{len(self.genuine)} genuine / {len(self.impostor)} impostor pairs of {self.source}: AUC {self.auc:.2f} "
            f"(needs >= {MIN_AUC}), median cosine {np.median(self.genuine):.2f} genuine vs "
            f"{np.median(self.impostor):.2f} impostor (needs >= {MIN_GAP} apart)"
        )


def _spread(items: Sequence[Any] | np.ndarray, n: int) -> list[Any]:
    """``n`` items spread evenly over ``items`` (all of them when there are fewer)."""
    if len(items) <= n:
        return list(items)
    return [items[int(k)] for k in np.linspace(0, len(items) - 1, n).round()]


def lfw_view1_pairs(lfw_dir: Path, n_each: int = N_EACH) -> list[ImagePair]:
    """``n_each`` genuine and ``n_each`` impostor pairs spread over LFW View 1's ``pairsDevTrain.txt``."""
    pairs = parse_lfw_pairs(lfw_dir / VIEW1_TRAIN)
    images = lfw_dir / "images"
    out = []
    for same in (True, False):
        rows = _spread(np.flatnonzero(pairs.same == same), n_each)
        out += [(images / pairs.id_a[r], images / pairs.id_b[r], same) for r in rows]
    return out


def photo_pairs(folder: Path, n_each: int = N_EACH) -> list[ImagePair]:
    """Pairs from a folder of the user's photos, one subfolder per person: consecutive photos of a person (genuine)
    and first photos of two people (impostor), up to ``n_each`` of each. InvalidInputError when there are not at
    least one genuine and one impostor pair."""
    by_person: dict[str, list[str]] = {}
    for image_id in list_images(folder):
        if "/" in image_id:
            by_person.setdefault(person_of(image_id), []).append(image_id)
    people = sorted(by_person)
    genuine = [pair for p in people for pair in pairwise(by_person[p])]
    impostor = [(by_person[p][0], by_person[q][0]) for p, q in pairwise(people)]
    if not genuine or not impostor:
        raise InvalidInputError(
            f"{folder}: the face check needs one subfolder per person, two people and a person with two photos "
            f"({len(genuine)} genuine, {len(impostor)} impostor pairs found)"
        )
    return [(folder / a, folder / b, same) for same, kind in ((True, genuine), (False, impostor))
            for a, b in _spread(kind, n_each)]  # fmt: skip


def check_on_pairs(model: EmbeddingModel, pairs: Sequence[ImagePair], detector: Detector, source: str) -> FaceCheck:
    """Embed both photos of every pair (detected, the largest central face or the fixed centre region, aligned as
    the model's spec says) and score each pair by cosine."""
    paths = sorted({p for a, b, _ in pairs for p in (a, b)})
    crops = []
    for path in paths:
        decoded = load_image(path)
        if decoded.rgb is None:
            raise InvalidInputError(f"face check: {path}: {decoded.status} ({decoded.note})")
        det = choose_face(detect_bounded(detector, decoded.rgb), decoded.rgb.shape)
        det = det or fallback_detection(decoded.rgb.shape)
        crops.append(align(decoded.rgb, det, model.spec.alignment, **model.spec.alignment_params).crop)
    vectors = dict(zip(paths, model.embed(np.stack(crops)), strict=True))
    scores = pair_scores(np.stack([vectors[a] for a, _, _ in pairs]), np.stack([vectors[b] for _, b, _ in pairs]))
    same = np.array([s for _, _, s in pairs], dtype=bool)
    return FaceCheck(scores[same], scores[~same], source)


def default_pairs(data_dir: str | os.PathLike[str] | None, photos: Path | None) -> tuple[list[ImagePair], str] | None:
    """The pairs a check uses: the user's ``photos`` when given, else LFW View 1 from the data folder; None when
    neither is there (an explicit ``data_dir`` that does not exist is an error)."""
    if photos is not None:
        return photo_pairs(photos), f"your photos in {photos}"
    try:
        lfw = default_data_dir(data_dir) / "lfw"
    except MissingFileError:
        if data_dir is not None:
            raise
        return None
    if not (lfw / VIEW1_TRAIN).is_file() or not (lfw / "images").is_dir():
        return None
    return lfw_view1_pairs(lfw), f"LFW View 1 ({lfw / VIEW1_TRAIN})"
