"""An adapted migration on hand-checkable cases: a deployment that looks like the map's training data leaves the
migration unchanged, and a known shift of the deployment's cameras is undone."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.experiments.upgrade.adaptation import ADAPTATIONS, AdaptedMigration, Deployment, Reference
from facebridge.maps import fit_rows, make_map
from facebridge.vectors import unit_rows


def _world(seed: int = 0, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """A (6 dims) and B (5 dims) templates of the same faces: B is a linear view of A plus much noise, so a
    regression map's outputs have a visibly smaller spread than native B templates."""
    world, rng = np.random.default_rng(0), np.random.default_rng(seed)  # one world; ``seed`` draws its faces
    mix, view = np.eye(6) + 0.3 * world.normal(size=(6, 6)), world.normal(size=(6, 5))
    a = rng.normal(size=(n, 6)) @ mix + 2.0
    b = a @ view + 1.5 * rng.normal(size=(n, 5)) + 3.0
    return a, b


@pytest.fixture(scope="module")
def fitted():
    a, b = _world()
    return fit_rows(make_map("affine_fixed"), a, b), a, b


def _cosines(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", unit_rows(x), unit_rows(y))


@pytest.mark.parametrize("adaptation", ["centre", "coral-before", "coral-after", "coral"])
def test_the_training_data_as_deployment_leaves_the_migration_unchanged(fitted, adaptation: str) -> None:
    """The old code aligned the *mapped* gallery onto native B templates: a regression's outputs are less spread than
    the templates it predicts, so even this deployment (the map's own training data) was moved (cosine to the
    unadapted migration down to 0.81 here; on LFW it halved rank-1)."""
    estimator, a, b = fitted
    deployment = Deployment(a, b)
    migration = AdaptedMigration(estimator, adaptation, Reference.of_rows(a, b)).fit(deployment)
    gallery = a[:200]
    np.testing.assert_allclose(_cosines(migration.migrate(gallery), estimator.transform(gallery)), 1.0, atol=1e-9)


def test_a_known_camera_shift_on_either_side_is_undone(fitted) -> None:
    """Deployment cameras that scale and offset each model's templates (A: x -> 0.5 x + 4 per dimension; B: a
    per-dimension scale and offset): CORAL before and after the map brings the migrated gallery onto the deployment's
    own B templates of the same faces nearly as well as the map does without any shift (the after-map move is learnt
    on unit rows, where a per-dimension scale is only nearly linear)."""
    estimator, _, _ = fitted
    a, b = _world(seed=1)  # new faces of the same world
    a_cam = 0.5 * a + 4.0
    b_cam = b * np.array([2.0, 0.5, 1.0, 3.0, 1.0]) - 2.0
    reference = Reference.of_rows(*_world(seed=0))
    gallery = slice(0, 500)
    clean = _cosines(estimator.transform(a[gallery]), b[gallery]).mean()
    shifted = _cosines(estimator.transform(a_cam[gallery]), b_cam[gallery]).mean()
    migration = AdaptedMigration(estimator, "coral", reference).fit(Deployment(a_cam[500:], b_cam[500:]))
    adapted = _cosines(migration.migrate(a_cam[gallery]), b_cam[gallery]).mean()
    assert shifted < clean - 0.2  # the shift costs ...
    assert adapted > shifted + 0.8 * (clean - shifted)  # ... and adapting wins most of it back


def test_snorm_needs_cohorts_and_unknown_adaptations_are_refused(fitted) -> None:
    estimator, a, b = fitted
    reference = Reference.of_rows(a, b)
    with pytest.raises(InvalidInputError, match="cohorts"):
        AdaptedMigration(estimator, "snorm", reference).fit(Deployment(a, b))
    with pytest.raises(InvalidInputError, match="unknown adaptation"):
        AdaptedMigration(estimator, "zca", reference)
    assert {"none", "coral-before", "coral-after", "coral", "snorm"} <= set(ADAPTATIONS)
