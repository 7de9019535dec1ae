"""A migration adapted to its deployment: the LFW-fitted map between a before- and an after-map
:class:`~facebridge.maps.adapt.DeploymentAlign`, and optionally S-norm of the cross scores.

The variants (:data:`ADAPTATIONS`):

- ``none``: the map alone, plain cosine.
- ``centre``: before the map, the deployment's A templates are re-centred on the map's training inputs' mean; after
  it, the mapped gallery is re-centred on the deployment's B probes' mean.
- ``coral-after``: after the map only, the mapped gallery moved onto the probes' mean and covariance (CORAL): what
  ``migrate --adapt-source --adapt-target`` does without ``--adapt-reference``.
- ``coral``: before and after the map, with means and covariances (``migrate`` with ``--adapt-reference``).
- ``coral+snorm``: ``coral``, then adaptive S-norm with cohorts of other deployment templates (other people's).

Everything is fitted on unlabelled template rows (:class:`Deployment`): no id, person or pairing is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps import DeploymentAlign, Moments, SNorm
from facebridge.vectors import cosine_matrix, unit_rows

ADAPTATIONS = ("none", "centre", "coral-after", "coral", "coral+snorm")


@dataclass(frozen=True, eq=False)
class Deployment:
    """Unlabelled templates of one deployment.

    Parameters
    ----------
    gallery_a : (n, da) the old gallery's templates (model A).
    probes_b : (m, db) the new probes' templates (model B).
    cohort_a, cohort_b : other people's templates on each side, for S-norm (None: S-norm unavailable).
    """

    gallery_a: np.ndarray
    probes_b: np.ndarray
    cohort_a: np.ndarray | None = None
    cohort_b: np.ndarray | None = None
    _moments: dict[str, Moments] = field(default_factory=dict, repr=False)

    def moments(self, side: str) -> Moments:
        """:class:`~facebridge.maps.adapt.Moments` of ``gallery_a`` or ``probes_b``, computed once per deployment
        (every adaptation compared on it shares them)."""
        if side not in self._moments:
            self._moments[side] = Moments(getattr(self, side))
        return self._moments[side]


class AdaptedMigration:
    """An LFW-fitted map ``fitted`` (A -> B) adapted to a deployment by ``adaptation`` (:data:`ADAPTATIONS`).

    ``reference_a``: rows of the map's training inputs (A), the before-map alignment's target, or their
    :class:`~facebridge.maps.adapt.Moments` (shared by every fold's migration); only their moments are used.
    """

    def __init__(self, fitted: object, adaptation: str, reference_a: np.ndarray | Moments) -> None:
        if adaptation not in ADAPTATIONS:
            raise InvalidInputError(f"unknown adaptation {adaptation!r}; known: {', '.join(ADAPTATIONS)}")
        self.fitted, self.adaptation, self.reference_a = fitted, adaptation, reference_a

    def _mapped(self, rows_a: np.ndarray) -> np.ndarray:
        return np.asarray(self.fitted.transform(rows_a), dtype=np.float64)  # type: ignore[attr-defined]

    def fit(self, deployment: Deployment) -> Self:
        """Learn the alignments (and the S-norm cohorts) from the deployment's unlabelled templates."""
        self.pre_ = self.post_ = self.snorm_ = None
        if self.adaptation != "none":
            mode = "centre" if self.adaptation == "centre" else "coral"
            if self.adaptation != "coral-after":
                self.pre_ = DeploymentAlign(mode).fit(deployment.moments("gallery_a"), self.reference_a)
            mapped = self._mapped(self._before(deployment.gallery_a))
            self.post_ = DeploymentAlign(mode).fit(mapped, deployment.moments("probes_b"))
        if self.adaptation.endswith("snorm"):
            if deployment.cohort_a is None or deployment.cohort_b is None:
                raise InvalidInputError("S-norm needs cohorts of the deployment's templates on both sides")
            self.snorm_ = SNorm().fit(self.migrate(deployment.cohort_a), deployment.cohort_b)
        return self

    def _before(self, rows_a: np.ndarray) -> np.ndarray:
        return rows_a if self.pre_ is None else self.pre_.transform(rows_a)

    def migrate(self, gallery_a: np.ndarray) -> np.ndarray:
        """The gallery's templates in B's space, adapted."""
        mapped = self._mapped(self._before(gallery_a))
        return mapped if self.post_ is None else self.post_.transform(mapped)

    def scores(self, probes_b: np.ndarray, migrated: np.ndarray) -> np.ndarray:
        """(n_probes, n_gallery) cross scores of native B probes against a migrated gallery (S-normed if chosen)."""
        s = cosine_matrix(probes_b, migrated)
        return s if self.snorm_ is None else self.snorm_.normalise(s, probes_b, migrated)

    def pair_scores(self, probes_b: np.ndarray, migrated: np.ndarray) -> np.ndarray:
        """(n,) cross scores of row-aligned pairs (1:1): probe ``i`` against migrated template ``i``."""
        s = np.einsum("ij,ij->i", unit_rows(probes_b), unit_rows(migrated))
        return s if self.snorm_ is None else self.snorm_.normalise_pairs(s, probes_b, migrated)
