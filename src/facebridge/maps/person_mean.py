"""Regression onto each person's mean target: a map fitted for search, not for one photo's embedding.

A gallery template should land near its person's templates in the target space, not on the one photo's target
embedding (which carries that photo's pose, light and noise). Where the person of each row is known, every row's
target becomes the mean of its person's target rows (unit rows averaged, when ``normalize``), and the affine ridge
with its penalty chosen by group cross-validation is fitted on those: the same estimator as ``affine_cv``, with
targets of less noise. Without groups each row is its own person, and the map is ``affine_cv``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from facebridge.checks import check_flag
from facebridge.errors import InvalidInputError
from facebridge.maps._checks import as_matrix, as_target
from facebridge.maps.ridge_cv import AffineRidgeCV
from facebridge.vectors import l2_normalize_rows


def person_means(y: np.ndarray, groups: object, normalize: bool) -> np.ndarray:
    """(n, dy) each row of ``y`` replaced by the mean of its group's rows (rows L2-normalised first when
    ``normalize``); ``groups`` None leaves every row as it is (normalised when ``normalize``)."""
    y = as_matrix(y, "y", finite=False).astype(np.float64, copy=False)
    if normalize:
        y = l2_normalize_rows(y)
    if groups is None:
        return y
    labels = np.asarray(groups)
    if labels.shape != (len(y),):
        raise InvalidInputError(f"groups must have one label per row, shape ({len(y)},), got {labels.shape}")
    _, inverse = np.unique(labels, return_inverse=True)
    sums = np.zeros((int(inverse.max(initial=-1)) + 1, y.shape[1]))
    np.add.at(sums, inverse, y)
    return (sums / np.bincount(inverse)[:, None])[inverse]


class PersonMeanRidgeCV(AffineRidgeCV):
    """``AffineRidgeCV`` fitted onto each person's mean target (see the module); parameters and attributes as
    ``AffineRidgeCV``'s. The person means are taken over the rows passed to ``fit``, so a person's validation rows in
    the cross-validation are scored against the mean of the same rows."""

    method = "affine_mean"

    def fit(self, X: object, y: object, groups: object = None) -> Self:
        """Fit on rows ``X`` (n, dx) onto the person means of ``y`` (n, dy); ``groups`` (n,): the person of each row
        (None: each row its own person, as ``affine_cv``)."""
        return super().fit(X, self._means(y, groups), groups)

    def fit_many(self, X: object, targets: Sequence[object], groups: object = None) -> list[AffineRidgeCV]:
        """``fit`` per target, sharing the source's work (``AffineRidgeCV.fit_many`` on the person means)."""
        return super().fit_many(X, [self._means(y, groups) for y in targets], groups)

    def _means(self, y: object, groups: object) -> np.ndarray:
        owner = type(self).__name__
        return person_means(as_target(y, owner, finite=False), groups, check_flag(self.normalize, "normalize", owner))
