"""Align two embedding spaces from unpaired rows only: no image is known to be embedded by both models.

The method is VecMap's fully unsupervised mode (Artetxe, Labaka, Agirre, ACL 2018, "A robust self-learning method
for fully unsupervised cross-lingual mappings of word embeddings"), adapted to spaces of different dimension:

1. each side is L2-normalised, centred and reduced by its own PCA to a common ``dim`` (optionally whitened), then
   re-normalised;
2. initialisation from structure alone: every row's sorted similarity distribution (rows of ``sqrt(Z Z^T)``, sorted)
   does not depend on the basis of its space, so rows whose signatures match across the two spaces seed a dictionary
   of pseudo-pairs (nearest neighbours in both directions under CSLS, Conneau et al. 2018);
3. self-learning: orthogonal Procrustes on the pseudo-pairs, then new pseudo-pairs by CSLS nearest neighbours of the
   mapped rows, with stochastic dictionary induction (similarities dropped with probability ``1 - keep``, ``keep``
   doubling from ``keep_prob`` to 1 over the iterations) so that early mistakes are not locked in.

The result is a linear map ``y ≈ x @ coef_ + intercept_`` into the target space, used like any ``LinearMap``.
Whether it finds anything for a given pair of face models is an empirical question; ``facebridge audit`` measures it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from facebridge.checks import check_flag, check_int, check_seed
from facebridge.errors import InvalidInputError
from facebridge.maps._checks import as_matrix
from facebridge.maps.base import LinearMap
from facebridge.maps.stats import SufficientStats
from facebridge.vectors import l2_normalize_rows


class _Reduction:
    """Centre, PCA to ``dim`` and (optionally) whiten one space: ``z = (x - mean) @ basis / scale``."""

    def __init__(self, rows: np.ndarray, dim: int, whiten: bool) -> None:
        self.mean = rows.mean(axis=0)
        _, s, vt = np.linalg.svd(rows - self.mean, full_matrices=False)
        self.basis = vt[:dim].T
        spread = s[:dim] / np.sqrt(len(rows))
        self.scale = np.where(spread > 0, spread, 1.0) if whiten else np.ones(dim)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return l2_normalize_rows((rows - self.mean) @ self.basis / self.scale).astype(np.float32)


def _signatures(z: np.ndarray) -> np.ndarray:
    """Sorted rows of ``sqrt(Z Z^T)``, normalised (unit, centre, unit) as VecMap does: basis-free row descriptors."""
    u, s, _ = np.linalg.svd(z, full_matrices=False)
    sim = ((u * s) @ u.T).astype(np.float32)
    sim.sort(axis=1)
    sim = l2_normalize_rows(sim)
    sim -= sim.mean(axis=0)
    return l2_normalize_rows(sim)


class _Side:
    """One side of a fit: its subsampled rows reduced to the common dim (``z``) and their signatures; fits of one
    source against several targets share the source's."""

    def __init__(self, rows: np.ndarray, dim: int, whiten: bool) -> None:
        self.reduction = _Reduction(rows, dim, whiten)
        self.z = self.reduction(rows)
        self.signatures = _signatures(self.z)


def _topk_mean(sim: np.ndarray, k: int) -> np.ndarray:
    k = min(k, sim.shape[1])
    return np.partition(sim, sim.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


def _dictionary(sim: np.ndarray, csls_k: int, keep: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pseudo-pairs (source rows, target rows): CSLS nearest neighbours in both directions, their union.

    Similarities are dropped with probability ``1 - keep`` before choosing (stochastic dictionary induction); the
    CSLS penalties are computed on the full matrix, as VecMap does.
    """
    r_src, r_tgt = _topk_mean(sim, csls_k), _topk_mean(sim.T, csls_k)
    # In place, the same operations in the same order as ``2 * sim - r_src - r_tgt`` and ``np.where(draw < keep,
    # csls, -inf)`` (the same numbers; np.where with a scalar took 4x the time of the rest of the masking).
    csls = 2 * sim
    csls -= r_src[:, None]
    csls -= r_tgt[None, :]
    if keep < 1:
        np.copyto(csls, -np.inf, where=~(rng.random(csls.shape, dtype=np.float32) < keep))
    forward = np.argmax(csls, axis=1)
    backward = np.argmax(csls, axis=0)
    src = np.concatenate([np.arange(sim.shape[0]), backward])
    tgt = np.concatenate([forward, np.arange(sim.shape[1])])
    return src, tgt


def _procrustes(zx: np.ndarray, zy: np.ndarray) -> np.ndarray:
    u, _, vt = np.linalg.svd((zx.T @ zy).astype(np.float64))
    return u @ vt


class UnpairedAligner(LinearMap):
    """A linear map between two embedding spaces fitted on unpaired rows (see the module docstring).

    ``fit(X, y)`` takes source rows ``X`` (n_x, dx) and target rows ``y`` (n_y, dy) that need not correspond:
    different images, different counts. After fitting: ``coef_`` (dx, dy), ``intercept_`` (dy,),
    ``dictionary_`` (the final pseudo-pairs as (m, 2) row indices into the subsamples), ``objective_`` (mean best
    cosine of the mapped source rows, per iteration).

    Parameters
    ----------
    dim : common PCA dimension (capped at min(dx, dy) and the row counts).
    n_rows : at most this many rows of each side (a seeded subsample, as many on both sides) enter the O(n^2)
        matching.
    n_iter : self-learning iterations.
    keep_prob : initial probability of keeping a similarity in stochastic dictionary induction; doubles at evenly
        spaced iterations up to 1 (the last iterations run with every similarity kept).
    csls_k : neighbourhood size of CSLS.
    whiten : whiten each space after PCA (the map is then de-whitened into the target's spectrum). Off by default:
        VecMap whitens, but on a synthetic LFW-like world (Zipf-like images per person, decaying identity spectrum)
        whitening discarded the spectrum the alignment leans on (rank-1 linking 0.8% whitened vs 2.4% not).
    seed : seeds the subsample and the dropout: the same data and seed give the same map.
    normalize : L2-normalise rows before fitting and mapping.
    """

    method = "unpaired"

    def __init__(
        self,
        *,
        dim: int = 64,
        n_rows: int = 2000,
        n_iter: int = 20,
        keep_prob: float = 0.1,
        csls_k: int = 10,
        whiten: bool = False,
        seed: int = 0,
        normalize: bool = True,
    ) -> None:
        self.dim = dim
        self.n_rows = n_rows
        self.n_iter = n_iter
        self.keep_prob = keep_prob
        self.csls_k = csls_k
        self.whiten = whiten
        self.seed = seed
        self.normalize = normalize

    def _check_params(self, dx: int, dy: int) -> dict[str, Any]:
        keep = self.keep_prob
        if isinstance(keep, bool | np.bool_) or not isinstance(keep, numbers.Real) or not 0 < keep <= 1:
            raise InvalidInputError(f"UnpairedAligner: parameter keep_prob must be in (0, 1], got {keep!r}")
        owner = "UnpairedAligner"
        return {
            "dim": min(check_int(self.dim, "dim", owner, 1), dx, dy),
            "n_rows": check_int(self.n_rows, "n_rows", owner, 2),
            "n_iter": check_int(self.n_iter, "n_iter", owner, 1),
            "keep_prob": float(keep),
            "csls_k": check_int(self.csls_k, "csls_k", owner, 1),
            "whiten": check_flag(self.whiten, "whiten", owner),
            "seed": check_seed(self.seed, "seed", owner),
        }

    def fit_stats(self, stats: SufficientStats) -> Self:
        raise InvalidInputError("UnpairedAligner fits on rows, not on paired statistics; call fit(X, y)")

    def fit(self, X: object, y: object) -> Self:
        """Fit on unpaired source rows ``X`` (n_x, dx) and target rows ``y`` (n_y, dy)."""
        if y is None:
            raise InvalidInputError("UnpairedAligner requires target rows y (n_y, dy); got None")
        return self.fit_many(X, [y])[0]  # type: ignore[return-value]  # fit_many's copies are of type(self)

    def fit_many(self, X: object, targets: Sequence[object], groups: object = None) -> list[UnpairedAligner]:
        """One fitted copy per target rows of ``targets`` ((n_y, dy_t) each), each as ``fit(X, target)`` fits it,
        the source's subsample, reduction and signatures built once for the targets of the same shape (``groups``
        is not used: the rows are unpaired)."""
        X = as_matrix(X, "X").astype(np.float64)
        ys = [as_matrix(y, "y").astype(np.float64) for y in targets]
        if not ys:
            raise InvalidInputError("UnpairedAligner.fit_many needs at least one target")
        X = l2_normalize_rows(X) if check_flag(self.normalize, "normalize", "UnpairedAligner") else X
        sources: dict[tuple[int, int], _Side] = {}
        fitted = []
        for y in ys:
            normalize, p = self._checked(X.shape[1], y.shape[1])
            y = l2_normalize_rows(y) if normalize else y
            rng = np.random.default_rng(p["seed"])
            # as many rows on each side: the signatures compare rows by their sorted similarities to their own side
            m = min(p["n_rows"], len(X), len(y))
            keep_x, keep_y = (np.sort(rng.permutation(len(a))[:m]) for a in (X, y))
            dim = min(p["dim"], m - 1)
            if dim < 1:
                raise InvalidInputError(
                    f"UnpairedAligner needs at least 2 rows on each side, got {len(X)} and {len(y)}"
                )
            if (m, dim) not in sources:  # the source's subsample depends on its rows, the seed and m only
                sources[(m, dim)] = _Side(X[keep_x], dim, p["whiten"])
            estimator = type(self)(**self.get_params())
            fitted.append(estimator._fit_sides(sources[(m, dim)], _Side(y[keep_y], dim, p["whiten"]), p, rng))
        return fitted

    def _fit_sides(self, sx: _Side, sy: _Side, p: dict[str, Any], rng: np.random.Generator) -> Self:
        """Self-learning from the two sides; ``rng`` is the seed's generator after both subsamples were drawn."""
        rx, zx, ry, zy = sx.reduction, sx.z, sy.reduction, sy.z
        src, tgt = _dictionary(sx.signatures @ sy.signatures.T, p["csls_k"], 1.0, rng)
        n_stages = max(1, int(np.ceil(np.log2(1 / p["keep_prob"]))) + 1)
        objective = []
        for it in range(p["n_iter"]):
            rotation = _procrustes(zx[src], zy[tgt])
            sim = (zx @ rotation.astype(np.float32)) @ zy.T
            objective.append(float(sim.max(axis=1).mean()))
            stage = min(n_stages - 1, it * n_stages // p["n_iter"])
            src, tgt = _dictionary(sim, p["csls_k"], min(1.0, p["keep_prob"] * 2**stage), rng)
        rotation = _procrustes(zx[src], zy[tgt])
        coef = (rx.basis / rx.scale) @ rotation @ (ry.scale[:, None] * ry.basis.T)
        self._set_fitted(coef, ry.mean - rx.mean @ coef, len(zx) + len(zy))
        self.dictionary_ = np.stack([src, tgt], axis=1)
        self.objective_ = np.array(objective)
        return self
