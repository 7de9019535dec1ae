"""The methods of a canonical space, all closed-form (or iterated) functions of the joint centred scatter ``C``.

Each method defines the canonical coordinates of an image seen by every model as a linear function of its
centred rows, ``t = sum_j (x_j - mu_j) A_j`` (the consensus weights ``A``, (D, d)), and, where the method fixes
them, each model's encoder ``W_i`` (d_i, d). Everything else follows from ``C``:

- ``Cov(x_i, t) = (C A)_i`` and ``Cov(t, t) = A^T C A``;
- an encoder the method leaves free is the ridge map ``(C_ii + alpha I)^-1 (C A)_i`` onto the consensus;
- every decoder is the ridge map ``(A^T C A + alpha I)^-1 (C A)_i^T`` from the consensus back to model ``i``.

hub: the canonical space is one model's (PCA-reduced to ``d`` when ``d`` is smaller than its width).
gpa: generalised Procrustes: each model PCA-reduced (or zero-padded) to ``d`` and scaled to the same total
    variance (so that no model dominates the mean by its scale), rotated onto the mean of all the
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
from facebridge.maps.stats import psd_eigh

METHODS = ("hub", "gpa", "maxvar")


def _blocks(dims: Sequence[int]) -> list[slice]:
    o = np.concatenate([[0], np.cumsum(dims)])
    return [slice(int(o[i]), int(o[i + 1])) for i in range(len(dims))]


def pca_basis(c_ii: np.ndarray, d: int) -> np.ndarray:
    """(d_i, d) the top-``d`` principal axes of a scatter block, zero-padded when ``d`` exceeds its width."""
    w, v = psd_eigh(c_ii)
    top = v[:, ::-1][:, : min(d, len(w))]
    return np.hstack([top, np.zeros((len(w), d - top.shape[1]))])


def _unit_variance(p: np.ndarray, c_ii: np.ndarray) -> np.ndarray:
    """``p`` scaled so that the projected model's total scatter is 1."""
    return p / np.sqrt(max(float(np.trace(p.T @ c_ii @ p)), np.finfo(np.float64).tiny))


def polar(m: np.ndarray) -> np.ndarray:
    """The orthogonal matrix nearest to ``m`` (d, d): ``U V^T`` of its SVD, the Procrustes rotation."""
    u, _, vt = np.linalg.svd(m)
    return u @ vt


def hub_weights(c: np.ndarray, dims: Sequence[int], d: int, hub: int) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Consensus = the hub's top-``d`` principal coordinates; the hub's encoder is that projection."""
    blocks = _blocks(dims)
    p = pca_basis(c[blocks[hub], blocks[hub]], d)
    a = np.zeros((c.shape[0], d))
    a[blocks[hub]] = p
    encoders: list[np.ndarray | None] = [None] * len(dims)
    encoders[hub] = p
    return a, encoders


def gpa_weights(
    c: np.ndarray, dims: Sequence[int], d: int, max_iter: int, tol: float
) -> tuple[np.ndarray, list[np.ndarray | None], int]:
    """Generalised Procrustes on PCA-reduced models; returns consensus weights, encoders and iterations run.

    With ``Z_i = X_i P_i`` and rotations ``R_i``, the mean is ``M = sum_j Z_j R_j / N`` and each update is
    ``R_i = polar(Z_i^T M) = polar(sum_j P_i^T C_ij P_j R_j / N)``: only scatter blocks are read.
    """
    blocks = _blocks(dims)
    n_models = len(dims)
    p = [_unit_variance(pca_basis(c[b, b], d), c[b, b]) for b in blocks]
    # The reduced models' joint scatter (N d, N d), block (i, j) = P_i^T C_ij P_j, and the rotations stacked (N d, d)
    cz = np.block([[p[i].T @ c[blocks[i], blocks[j]] @ p[j] for j in range(n_models)] for i in range(n_models)])
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
    rot_i = [rot[i * d : (i + 1) * d] for i in range(n_models)]
    encoders: list[np.ndarray | None] = [p[i] @ rot_i[i] for i in range(n_models)]
    a = np.vstack([e / n_models for e in encoders])
    return a, encoders, n_iter


def maxvar_weights(c: np.ndarray, dims: Sequence[int], d: int, alpha: float, n: int) -> np.ndarray:
    """MAXVAR consensus weights (D, d): ``t = X_c A`` has unit variance per column and uncorrelated columns."""
    blocks = _blocks(dims)
    inv_sqrt = []
    for b in blocks:
        w, v = psd_eigh(c[b, b])
        inv_sqrt.append((v / np.sqrt(w + alpha)) @ v.T)
    # D^-1/2 C D^-1/2 block by block (D is block-diagonal): O(D sum d_i^2) instead of O(D^3)
    cw = np.empty_like(c)
    for i, bi in enumerate(blocks):
        left = inv_sqrt[i] @ c[bi]
        for j, bj in enumerate(blocks):
            cw[bi, bj] = left[:, bj] @ inv_sqrt[j]
    size = cw.shape[0]
    lam, vec = scipy.linalg.eigh(cw, subset_by_index=[size - d, size - 1])
    lam, vec = lam[::-1], vec[:, ::-1]
    if lam[-1] <= 1e-12 * max(lam[0], 1e-300):
        raise InvalidInputError(f"maxvar: the models share fewer than {d} directions; choose a smaller dim")
    a = np.vstack([inv_sqrt[i] @ vec[b] for i, b in enumerate(blocks)])
    return a * np.sqrt(n / lam)


def ridge_encoders(
    c: np.ndarray, a: np.ndarray, dims: Sequence[int], alpha: float, fixed: Sequence[np.ndarray | None]
) -> list[np.ndarray]:
    """(d_i, d) each model's encoder: the method's own where it fixes one, else ridge onto the consensus."""
    ca = c @ a
    out = []
    for b, own in zip(_blocks(dims), fixed, strict=True):
        if own is not None:
            out.append(own)
            continue
        w, v = psd_eigh(c[b, b])
        out.append(v @ ((v.T @ ca[b]) / (w + alpha)[:, None]) if alpha > 0 else np.linalg.lstsq(c[b, b], ca[b])[0])
    return out


def ridge_decoders(c: np.ndarray, a: np.ndarray, dims: Sequence[int], alpha: float) -> list[np.ndarray]:
    """(d, d_i) each model's decoder: ridge from the consensus coordinates back to the model's centred rows."""
    ca = c @ a
    tt = a.T @ ca
    lhs = tt + alpha * np.eye(tt.shape[0])
    return [np.linalg.lstsq(lhs, ca[b].T, rcond=None)[0] for b in _blocks(dims)]
