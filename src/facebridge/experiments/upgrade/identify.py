"""1:N identification on one photo folder's embedding set: enrol one photo per person, search with the rest.

The split is :func:`~facebridge.protocols.identification.identification_split` with a single fold (seeded): an
``open_fraction`` of the people with two or more photos is not enrolled (their photos are non-mated probes, for
open-set DIR at FPIR); every other such person is enrolled with one photo and searched for with the others
(mated probes); one-photo people are enrolled as distractors. Probes are searched in the gallery with FAISS
(:func:`~facebridge.embeddings.search.search_arrays`, every gallery entry returned) and scored by
:func:`~facebridge.protocols.identification_metrics.identify`. The gallery's vectors may come from another set
in the same space (a gallery migrated from an old model): only the split's ids are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.embeddings import EmbeddingSet
from facebridge.embeddings.search import check_same_space, search_arrays
from facebridge.errors import InvalidInputError
from facebridge.experiments.shared.advice import unresolved_rate_warnings
from facebridge.protocols.identification import identification_split
from facebridge.protocols.identification_metrics import FPIRS, IdentificationResult, identify

RANKS = (1, 5)


@dataclass(frozen=True)
class SetIdentification:
    """The metrics, the counts behind them, and how the split was drawn."""

    result: IdentificationResult
    rank_hits: dict[int, int]
    n_enrolled: int
    n_distractors: int
    n_open_people: int
    n_left_out: int
    seed: int
    open_fraction: float
    gallery_model: str
    probe_model: str

    def warnings(self) -> list[str]:
        """DIR at an FPIR that the non-mated probes cannot resolve (fewer than 1/FPIR of them)."""
        r = self.result
        counts = f"{r.n_mated}/{r.n_nonmated} mated/non-mated probes"
        return unresolved_rate_warnings(
            r.dir_open, r.n_nonmated, counts, figure="DIR @ FPIR", trials="non-mated probes"
        )

    def to_dict(self) -> dict:
        return {
            **self.result.to_dict(),
            "rank_hits": {str(k): v for k, v in self.rank_hits.items()},
            "n_enrolled_people": self.n_enrolled,
            "n_distractors": self.n_distractors,
            "n_open_people": self.n_open_people,
            "n_left_out": self.n_left_out,
            "seed": self.seed,
            "open_fraction": self.open_fraction,
            "gallery_model": self.gallery_model,
            "probe_model": self.probe_model,
            "warnings": self.warnings(),
        }


def _score_matrix(gallery: np.ndarray, probes: np.ndarray, index: str) -> np.ndarray:
    """(n_probes, n_gallery) cosine scores from a FAISS search asked for every gallery entry."""
    out = np.full((len(probes), len(gallery)), -np.inf, dtype=np.float32)
    if len(probes):
        scores, rows = search_arrays(gallery, probes, len(gallery), index)
        found = rows >= 0  # an approximate index may return fewer than asked (row -1): those entries stay -inf
        out[np.nonzero(found)[0], rows[found]] = scores[found]
    return out


def identify_set(
    probes: EmbeddingSet,
    gallery: EmbeddingSet | None = None,
    *,
    seed: int = 0,
    open_fraction: float = 0.25,
    index: str = "exact",
    fpirs: tuple[float, ...] = FPIRS,
) -> SetIdentification:
    """Rank-1/rank-5 and DIR at ``fpirs`` of ``probes``' photos searched among one enrolled photo per person.

    ``gallery``: the set the enrolled photos' vectors are read from (default ``probes``); it must be in the same
    space and hold every enrolled id. Ids without a person folder are left out (counted). Raises InvalidInputError
    when the split leaves no mated or no non-mated probe.
    """
    gallery = probes if gallery is None else gallery
    check_same_space(gallery, probes)
    ids = [str(i) for i in probes.ids]
    usable = [i for i in ids if all(i.partition("/"))]  # a person folder, a separator and a file name
    split = identification_split(np.array(usable, dtype=object), n_folds=1, seed=seed, open_fraction=open_fraction)
    counts = split.counts(0)
    if not counts["mated"] or not counts["nonmated"]:
        raise InvalidInputError(
            f"{counts['mated']} mated and {counts['nonmated']} non-mated probes: identification needs people with "
            "two or more photos, some enrolled and (--open-fraction > 0) some not"
        )
    g = gallery.vectors_of(split.gallery(0))
    mated = _score_matrix(g, probes.vectors_of(split.mated(0)), index)
    nonmated = _score_matrix(g, probes.vectors_of(split.nonmated(0)), index)
    result = identify(mated, split.mate_index(0), nonmated, ranks=RANKS, fpirs=fpirs)
    return SetIdentification(
        result=result,
        rank_hits={r: round(rate * result.n_mated) for r, rate in result.cmc.items()},
        n_enrolled=counts["enrolled_people"],
        n_distractors=counts["distractor"],
        n_open_people=len({i.split("/")[0] for i in split.nonmated(0)}),
        n_left_out=len(ids) - len(usable),
        seed=seed,
        open_fraction=open_fraction,
        gallery_model=gallery.fingerprint.model,
        probe_model=probes.fingerprint.model,
    )
