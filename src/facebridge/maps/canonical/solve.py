"""The methods of a canonical space, all closed-form (or iterated) functions of the joint centred scatter ``C``.

Each method defines the canonical coordinates of an image seen by every model as a linear function of its
centred rows, ``t = sum_j (x_j - mu_j) A_j`` (the consensus weights ``A``, (D, d)), and, where the method fixes
them, each model's encoder ``W_i`` (d_i, d). Everything else follows from ``C``:

- ``Cov(x_i, t) = (C A)_i`` and ``Cov(t, t) = A^T C A``;
- an encoder the method leaves free is the ridge map ``(C_ii + alpha I)^-1 (C A)_i`` onto the consensus;
- every decoder is the ridge map ``(A^T C A + alpha I)^-1 (C A)_i^T`` from the consensus back to model ``i``.

hub: the canonical space is one model's (PCA-reduced to ``d`` when ``d`` is smaller than its width).
gpa: generalised Procrustes: each model PCA-reduced (or zero-padded) to ``d`` and scaled to unit mean squared
    norm (so that no model dominates the mean by its scale), rotated onto the mean of all the
    rotated models, iterated until the mean stops moving; encoders are those orthogonal maps.
maxvar: multi-set CCA (MAXVAR): the ``d`` directions ``g`` that ridge maps from all models predict best together,
    i.e. the top eigenvectors of ``D^-1/2 C D^-1/2`` with ``D = blockdiag(C_ii + alpha I)``, whitened; the fixed
    point of alternating least squares between ``g`` and ridge encoders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg

from facebridge.errors import InvalidInputError
from facebridge.maps.canonical.stats import JointStats

METHODS = ("hub", "gpa", "maxvar")


def pca_basis(stats: JointStats, i: int, d: int) -> np.ndarray:
    """(d_i, d) the top-``d`` principal axes of model ``i``, zero-padded when ``d`` exceeds its width."""
    w, v = stats.block_eigh(i)
    top = v[:, ::-1][:, : min(d, len(w))]
    return np.hstack([top, np.zeros((len(w), d - top.shape[1]))])


def _unit_variance(p: np.ndarray, c_ii: np.ndarray, n: int) -> np.ndarray:
    """``p`` scaled so that the projected model's rows have a mean squared norm of 1 (total scatter ``n``), like
    unit embeddings: the ridge penalties, on sums over the rows, then weigh as much as on the models' own rows."""
    return p * np.sqrt(n / max(float(np.trace(p.T @ c_ii @ p)), np.finfo(np.float64).tiny))


def polar(m: np.ndarray) -> np.ndarray:
    """The orthogonal matrix nearest to ``m`` (d, d): ``U V^T`` of its SVD, the Procrustes rotation."""
    u, _, vt = np.linalg.svd(m)
    return u @ vt


Weights = tuple[np.ndarray, np.ndarray, list[np.ndarray | None]]


def hub_weights(stats: JointStats, d: int, hub: int) -> Weights:
    """Consensus = the hub's top-``d`` principal coordinates; the hub's encoder is that projection.

    Returns the consensus weights ``A`` (D, d), ``C A`` (D, d) (read from the hub's columns only) and the encoders.
    """
    c, b = stats.scatter(), stats.block(hub)
    p = pca_basis(stats, hub, d)
    a = np.zeros((c.shape[0], d))
    a[b] = p
    encoders: list[np.ndarray | None] = [None] * len(stats.dims)
    encoders[hub] = p
    return a, c[:, b] @ p, encoders


def gpa_weights(stats: JointStats, d: int, max_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray, list, int]:
    """Generalised Procrustes on PCA-reduced models; returns ``A``, ``C A``, the encoders and iterations run.

    With ``Z_i = X_i P_i`` and rotations ``R_i``, the mean is ``M = sum_j Z_j R_j / N`` and each update is
    ``R_i = polar(Z_i^T M) = polar(sum_j P_i^T C_ij P_j R_j / N)``: only scatter blocks are read.
    """
    c, n_models = stats.scatter(), len(stats.dims)
    blocks = [stats.block(i) for i in range(n_models)]
    p = [_unit_variance(pca_basis(stats, i, d), c[b, b], stats.n) for i, b in enumerate(blocks)]
    cp = np.hstack([c[:, b] @ p[i] for i, b in enumerate(blocks)])  # (D, N d): column block j is C[:, j] P_j
    # The reduced models' joint scatter (N d, N d), block (i, j) = P_i^T C_ij P_j, and the rotations stacked (N d, d)
    cz = np.vstack([p[i].T @ cp[b] for i, b in enumerate(blocks)])
    rot = np.vstack([np.eye(d)] + [polar(cz[i * d : (i + 1) * d, :d]) for i in range(1, n_models)])
    previous, n_iter = None, 0
    while n_iter < max_iter:
        n_iter += 1
        pulled = cz @ rot  # block i: sum_j Cz_ij R_j, proportional to Z_i^T M
        # The mean's scatter tr(M^T M) = tr(R^T Cz R) / N^2 rises monotonically; stop when it settles.
        spread = float((rot * pulled).sum())
        rot = np.vstack([polar(pulled[i * d : (i + 1) * d]) for i in range(n_models)])
        if previous is not None and abs(spread - previous) <= tol * abs(spread):
            break
        previous = spread
    encoders = [p[i] @ rot[i * d : (i + 1) * d] for i in range(n_models)]
    a = np.vstack(encoders) / n_models
    return a, cp @ rot / n_models, encoders, n_iter


def _maxvar_eigen(
    stats: JointStats, d: int, alpha: float, pca: int | None
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Each model's whitening ``B_i = V_i (W_i + alpha I)^-1/2`` on its top-``pca`` principal axes (all of them for
    None), and the top-``d`` eigenpairs of ``B^T C B``, largest first; cached on ``stats`` by ``(alpha, pca)`` so
    that a smaller ``d`` reuses a larger one's. With every axis, ``B^T C B`` is ``D^-1/2 C D^-1/2`` in each block's
    eigenbasis: the same eigenvalues, and the same weights ``A = B vec``."""
    key = ("maxvar", alpha, pca)
    cached = stats.cache.get(key)
    if cached is not None and cached[1].size >= d:
        whiten, lam, vec = cached
        return whiten, lam[:d], vec[:, :d]
    c, blocks = stats.scatter(), [stats.block(i) for i in range(len(stats.dims))]
    whiten = []
    for i in range(len(blocks)):
        w, v = stats.block_eigh(i)
        keep = len(w) if pca is None else min(pca, len(w))
        whiten.append(v[:, -keep:] / np.sqrt(w[-keep:] + alpha))
    # B^T C B block by block (B is block-diagonal): C is read once per block column
    cb = np.hstack([c[:, b] @ whiten[j] for j, b in enumerate(blocks)])
    cw = np.vstack([whiten[i].T @ cb[b] for i, b in enumerate(blocks)])
    size = cw.shape[0]
    if d > size:
        raise InvalidInputError(f"maxvar: dim {d} exceeds the {size} axes kept (pca={pca}); choose a smaller dim")
    lam, vec = scipy.linalg.eigh(cw, subset_by_index=[size - d, size - 1], overwrite_a=True)
    lam, vec = lam[::-1], vec[:, ::-1]
    stats.cache[key] = (whiten, lam, vec)
    return whiten, lam, vec


def maxvar_weights(stats: JointStats, d: int, alpha: float, pca: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MAXVAR consensus weights ``A`` (D, d) and ``C A``: ``t = X_c A`` has unit variance per column and
    uncorrelated columns."""
    whiten, lam, vec = _maxvar_eigen(stats, d, alpha, pca)
    if lam[-1] <= 1e-12 * max(lam[0], 1e-300):
        raise InvalidInputError(f"maxvar: the models share fewer than {d} directions; choose a smaller dim")
    offsets = np.concatenate([[0], np.cumsum([b.shape[1] for b in whiten])])
    a = np.vstack([b @ vec[offsets[i] : offsets[i + 1]] for i, b in enumerate(whiten)]) * np.sqrt(stats.n / lam)
    return a, stats.scatter() @ a


def ridge_encoders(stats: JointStats, ca: np.ndarray, alpha: float, fixed: Sequence[np.ndarray | None]) -> list:
    """(d_i, d) each model's encoder: the method's own where it fixes one, else ridge onto the consensus,
    ``(C_ii + alpha I)^+ (C A)_i``."""
    out = []
    for i, own in enumerate(fixed):
        if own is not None:
            out.append(own)
            continue
        w, v = stats.block_eigh(i)
        scale = w + alpha
        kept = np.where(scale > 1e-12 * max(float(scale.max()), 0.0), scale, np.inf)
        out.append(v @ ((v.T @ ca[stats.block(i)]) / kept[:, None]))
    return out


def ridge_decoders(stats: JointStats, a: np.ndarray, ca: np.ndarray, alpha: float) -> list[np.ndarray]:
    """(d, d_i) each model's decoder: ridge from the consensus coordinates back to the model's centred rows."""
    tt = a.T @ ca
    lhs = tt + alpha * np.eye(tt.shape[0])
    return [np.linalg.lstsq(lhs, ca[stats.block(i)].T, rcond=None)[0] for i in range(len(stats.dims))]
