"""A migration adapted to its deployment: the LFW-fitted map between a before- and an after-map
:class:`~facebridge.maps.adapt.DeploymentAlign`, and optionally S-norm of the cross scores.

Each move is learnt between two sets of one model's native templates, so that a deployment that looks like the
map's training data leaves the migration unchanged:

- before the map: the deployment's A templates (raw, as the map reads them) onto the map's training inputs;
- after the map: the move that takes the map's training targets (B, unit rows) onto the deployment's B templates
  (unit rows), applied to the mapped gallery's unit rows.

The variants (:data:`ADAPTATIONS`):

- ``none``: the map alone, plain cosine.
- ``centre``: before and after the map, means only.
- ``coral-before``: before the map only, means and covariances (CORAL).
- ``coral-after``: after the map only, means and covariances (``migrate --adapt-target`` with
  ``--adapt-reference-target``).
- ``coral``: both (``migrate`` with all four ``--adapt-*`` files).
- ``snorm``: the map alone, then adaptive S-norm with cohorts of other deployment templates (other people's).
- ``coral+snorm``: ``coral``, then that S-norm.

Everything is fitted on unlabelled template rows (:class:`Deployment`, :class:`Reference`): no id, person or
pairing is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np

from facebridge.errors import InvalidInputError
from facebridge.maps import DeploymentAlign, Moments, SNorm
from facebridge.vectors import cosine_matrix, unit_rows

ADAPTATIONS = ("none", "centre", "coral-before", "coral-after", "coral", "snorm", "coral+snorm")
#: The upgrade path's default adaptation, chosen on the shifted-domain protocol only
#: (``scripts/choose_adaptation.py``, recorded in ``selection_adaptation_shifted.json``; a test checks they agree).
UPGRADE_ADAPTATION = "none"
#: Adaptations with a move before / after the map.
BEFORE_MAP = ("centre", "coral-before", "coral", "coral+snorm")
AFTER_MAP = ("centre", "coral-after", "coral", "coral+snorm")


@dataclass(frozen=True, eq=False)
class Deployment:
    """Unlabelled templates of one deployment.

    Parameters
    ----------
    gallery_a : (n, da) the old gallery's templates (model A): the before-map move's statistics.
    probes_b : (m, db) templates the new model (B) makes in the deployment: the after-map move's statistics. Their
        mix of people should be broad (many people, not a few seen many times), or the mean and covariance say who
        was seen rather than how the camera sees.
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
            self._moments[side] = Moments(getattr(self, side), normalize=side == "probes_b")
        return self._moments[side]


@dataclass(frozen=True)
class Reference:
    """The map's training data, summarised: ``a`` the moments of its inputs (raw rows, as the map reads them), ``b``
    those of its targets (unit rows). Built once and shared by every fold's and variant's migration."""

    a: Moments
    b: Moments

    @classmethod
    def of_rows(cls, inputs_a: np.ndarray, targets_b: np.ndarray) -> Reference:
        return cls(Moments(inputs_a), Moments(targets_b, normalize=True))


class AdaptedMigration:
    """An LFW-fitted map ``fitted`` (A -> B) adapted to a deployment by ``adaptation`` (:data:`ADAPTATIONS`), with
    ``reference`` the map's training data summarised (:class:`Reference`); only its moments are used."""

    def __init__(self, fitted: object, adaptation: str, reference: Reference) -> None:
        if adaptation not in ADAPTATIONS:
            raise InvalidInputError(f"unknown adaptation {adaptation!r}; known: {', '.join(ADAPTATIONS)}")
        self.fitted, self.adaptation, self.reference = fitted, adaptation, reference

    def _mapped(self, rows_a: np.ndarray) -> np.ndarray:
        return np.asarray(self.fitted.transform(rows_a), dtype=np.float64)  # type: ignore[attr-defined]

    def fit(self, deployment: Deployment) -> Self:
        """Learn the moves (and the S-norm cohorts) from the deployment's unlabelled templates."""
        self.pre_ = self.post_ = self.snorm_ = None
        mode = "centre" if self.adaptation == "centre" else "coral"
        if self.adaptation in BEFORE_MAP:
            self.pre_ = DeploymentAlign(mode).fit(deployment.moments("gallery_a"), self.reference.a)
        if self.adaptation in AFTER_MAP:
            self.post_ = DeploymentAlign(mode, normalize=True).fit(self.reference.b, deployment.moments("probes_b"))
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
