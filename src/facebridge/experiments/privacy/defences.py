"""Template protections a deployment can apply before storing templates, each keyed by a secret seed.

Each defence maps (n, d) unit templates to protected templates compared by cosine, so the protected system's own
verification and the attacker's map both run unchanged on them:

- ``rotation``: a secret random orthogonal matrix. Cosines are unchanged (no accuracy lost), and a map fitted on
  pairs absorbs it: the expected "security by obscurity" baseline.
- ``noise``: additive Gaussian noise of relative norm ``level`` (per-dimension sigma = level / sqrt(d)), one draw per
  stored template.
- ``pca``: projection onto the top ``level`` principal directions of the deployment's own data.
- ``biohash``: BioHashing (Jin, Ling and Goh, "Biohashing: two factor authentication featuring fingerprint data and
  tokenised random numbers", Pattern Recognition 2004): projection onto ``level`` keyed random orthonormal
  directions, then the sign, giving a ±1 code whose cosine is 1 - 2 x (normalised Hamming distance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.vectors import l2_normalize_rows

DEFENCES = ("none", "rotation", "noise", "pca", "biohash")


@dataclass(frozen=True)
class DefenceSpec:
    """A defence by name and strength (``level``: noise relative norm, PCA dims or BioHash bits; 0 otherwise)."""

    kind: str
    level: float = 0.0

    @property
    def label(self) -> str:
        return self.kind if self.kind in ("none", "rotation") else f"{self.kind} {self.level:g}"


def _orthonormal(rng: np.random.Generator, d: int, m: int) -> np.ndarray:
    """(d, m) with orthonormal columns drawn uniformly (QR of a Gaussian matrix with the signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(d, m)))
    return q * np.sign(np.diag(r))


def protect(spec: DefenceSpec, vectors: np.ndarray, key: int, reference: np.ndarray | None = None) -> np.ndarray:
    """``vectors`` (n, d) protected by ``spec`` under secret ``key``; ``reference`` (m, d) is the deployment's own
    data for ``pca`` (its principal directions). Rows come back L2-normalised, as float64."""
    if spec.kind not in DEFENCES:
        raise NotFoundError(f"unknown defence {spec.kind!r}; use one of {', '.join(DEFENCES)}")
    v = l2_normalize_rows(np.asarray(vectors, dtype=np.float64))
    d = v.shape[1]
    rng = np.random.default_rng([key, DEFENCES.index(spec.kind)])
    if spec.kind == "none":
        return v
    if spec.kind == "rotation":
        return v @ _orthonormal(rng, d, d)
    if spec.kind == "noise":
        if spec.level <= 0:
            raise InvalidInputError(f"noise level must be > 0, got {spec.level}")
        return l2_normalize_rows(v + spec.level / np.sqrt(d) * rng.normal(size=v.shape))
    m = int(spec.level)
    if m != spec.level or not 1 <= m <= d:
        raise InvalidInputError(f"{spec.kind} level must be an integer in [1, {d}], got {spec.level}")
    if spec.kind == "biohash":
        return np.where(v @ _orthonormal(rng, d, m) >= 0, 1.0, -1.0) / np.sqrt(m)
    if reference is None:
        raise InvalidInputError("the pca defence needs the deployment's reference data")
    ref = l2_normalize_rows(np.asarray(reference, dtype=np.float64))
    mean = ref.mean(axis=0)
    _, _, vt = np.linalg.svd(ref - mean, full_matrices=False)
    return l2_normalize_rows((v - mean) @ vt[:m].T)
