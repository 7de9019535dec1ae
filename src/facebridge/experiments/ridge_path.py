"""Ridge over a grid of penalties from one eigen-decomposition: validation error by cross-validation on sufficient
statistics, and generalised cross-validation (GCV) on a small sample of rows.

Both choose the penalty ``alpha`` of an affine ridge map ``y ≈ (x - mean_x) W + mean_y`` with
``W = (Sxx_c + alpha I)^-1 Sxy_c``. In the eigenbasis ``Sxx_c = V diag(w) V^T`` every penalty costs O(d^2) once the
O(d^3) products are shared, which is what makes choosing ``alpha`` per map, per fold affordable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg

from facebridge.errors import InvalidInputError
from facebridge.maps import SufficientStats

#: Penalty grid for L2-normalised embeddings: 1e-4 .. 1e3 in half decades (the centred scatter of thousands of unit
#: rows has eigenvalues from ~1e-3 to ~1e3, so the grid spans "no penalty" to "most directions shrunk away").
ALPHAS: tuple[float, ...] = tuple(float(a) for a in 10.0 ** np.arange(-4.0, 3.01, 0.5))


def coef_from_eigh(w: np.ndarray, v: np.ndarray, xy: np.ndarray, alpha: float) -> np.ndarray:
    """(dx, dy) ``V diag(1 / (w + alpha)) V^T xy``: the ridge coefficients for centred cross-scatter ``xy``."""
    if alpha <= 0:
        raise InvalidInputError(f"alpha must be > 0 on an eigenbasis path, got {alpha}")
    return v @ ((v.T @ xy) / (w + alpha)[:, None])


def affine_from_eigh(
    stats: SufficientStats, w: np.ndarray, v: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """``coef`` (dx, dy) and ``intercept`` (dy,) of the affine ridge map on ``stats`` (``w``, ``v`` from its
    centred ``Sxx``); equal to ``AffineMap(alpha=alpha).fit_stats(stats)``."""
    coef = coef_from_eigh(w, v, stats.scatter(centered=True).xy, alpha)
    return coef, stats.mean_y - stats.mean_x @ coef


def shifted_source_quad(val: SufficientStats, mean_x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(dx, dx) ``V^T Sxx' V``: the validation rows' source scatter about ``mean_x`` (the training mean), in the
    training eigenbasis ``v``. It depends on the source only, so callers share it across targets."""
    n, sx = val.n, val.sum_x
    xx = val.xtx - np.outer(sx, mean_x) - np.outer(mean_x, sx) + n * np.outer(mean_x, mean_x)
    return v.T @ xx @ v


def validation_sse(
    train: SufficientStats,
    val: SufficientStats,
    w: np.ndarray,
    v: np.ndarray,
    alphas: tuple[float, ...] = ALPHAS,
    quad: np.ndarray | None = None,
) -> np.ndarray:
    """(len(alphas),) summed squared error on the ``val`` rows of the affine ridge map fitted on ``train``.

    ``w``, ``v``: eigen-decomposition of ``train``'s centred ``Sxx``; ``quad``: ``shifted_source_quad(val,
    train.mean_x, v)`` when already computed. With ``x' = x - mean_x``, ``y' = y - mean_y`` (train means), the
    error is ``ssq' - 2 tr(W^T Sxy') + tr(W^T Sxx' W)`` over the validation sums; with ``W = V D P``
    (``P = V^T Sxy_c``, ``D = diag(1/(w+alpha))``) both traces are O(d) per alpha.
    """
    mx, my, n = train.mean_x, train.mean_y, val.n
    sx, sy = val.sum_x, val.sum_y
    if quad is None:
        quad = shifted_source_quad(val, mx, v)
    xy = val.xty - np.outer(sx, my) - np.outer(mx, sy) + n * np.outer(mx, my)
    ssq = float(val.ssq_y.sum() - 2 * my @ sy + n * my @ my)
    p = v.T @ train.scatter(centered=True).xy
    cross = np.einsum("ij,ij->i", p, v.T @ xy)
    quad = quad * (p @ p.T)
    out = np.empty(len(alphas))
    for i, alpha in enumerate(alphas):
        d = 1.0 / (w + alpha)
        out[i] = ssq - 2 * d @ cross + d @ quad @ d
    return out


@dataclass(frozen=True, eq=False)
class Spectrum:
    """Ridge on rows ``X`` (n, d) for any targets and penalties, from one eigen-decomposition of the smaller of
    ``Xc Xc^T`` and ``Xc^T Xc``: a fit on 10 images costs a 10 x 10 eigenproblem, one on 8,000 a d x d one.

    With the thin SVD ``Xc = U S V^T`` (``r`` kept components, ``s2 = S^2``), ridge with penalty ``alpha`` maps rows
    ``X'`` to ``project(X') @ G + mean_y``, ``project(X') = (X' - mean_x) V S`` and ``G = U^T Yc / (s2 + alpha)``.
    ``centered=False`` keeps the rows as they are (no bias): the study's ridge.
    """

    s2: np.ndarray
    b: np.ndarray
    mean_x: np.ndarray
    xc: np.ndarray
    left: np.ndarray
    dual: bool
    centered: bool

    @classmethod
    def of(cls, X: np.ndarray, *, centered: bool = True) -> Spectrum:
        mean_x = X.mean(axis=0) if centered else np.zeros(X.shape[1])
        xc = X - mean_x
        n, d = xc.shape
        dual = n <= d
        s2, vecs = linalg.eigh(xc @ xc.T if dual else xc.T @ xc)
        keep = s2 > 1e-10 * max(float(s2.max(initial=0.0)), 1e-300)
        s2, vecs = s2[keep], vecs[:, keep]
        b = xc.T @ vecs if dual else vecs * np.sqrt(s2)  # V S either way
        return cls(s2, b, mean_x, xc, vecs, dual, centered)

    @property
    def n(self) -> int:
        return len(self.xc)

    def _uty(self, yc: np.ndarray) -> np.ndarray:
        """(r, dy) ``U^T Yc``; in the primal case ``U = Xc V / S``, applied without forming U."""
        if self.dual:
            return self.left.T @ yc
        return (self.left.T @ (self.xc.T @ yc)) / np.sqrt(self.s2)[:, None]

    def _gcv(self, uty: np.ndarray, total: float, alphas: tuple[float, ...]) -> np.ndarray:
        c = (uty**2).sum(axis=1)
        out = np.full(len(alphas), np.inf)
        for i, alpha in enumerate(alphas):
            f = self.s2 / (self.s2 + alpha)
            df = 1.0 + f.sum()
            if df < self.n:
                out[i] = (total - ((2 * f - f * f) * c).sum()) / (self.n - df) ** 2
        return out

    def gcv(self, Y: np.ndarray, alphas: tuple[float, ...] = ALPHAS) -> np.ndarray:
        """(len(alphas),) GCV scores ``RSS / (n - df)^2`` of the affine ridge on centred rows (``df`` counts the
        intercept); ``inf`` where ``df >= n``."""
        yc = Y - Y.mean(axis=0)
        return self._gcv(self._uty(yc), float((yc**2).sum()), alphas)

    def solve(
        self, Y: np.ndarray, alpha: float | None = None, *, alphas: tuple[float, ...] = ALPHAS
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Weights ``G`` (r, dy), ``mean_y`` (dy,) and the penalty for targets ``Y`` (n, dy): ``alpha``, or when
        None the one of ``alphas`` with the lowest GCV score (ties to the larger). ``mean_y`` is zero when the
        spectrum was built with ``centered=False``."""
        mean_y = Y.mean(axis=0) if self.centered else np.zeros(Y.shape[1])
        yc = Y - mean_y
        uty = self._uty(yc)
        if alpha is None:
            scores = self._gcv(uty, float((yc**2).sum()), alphas)
            alpha = alphas[int(np.flatnonzero(scores <= scores.min() * (1 + 1e-12))[-1])]
        return uty / (self.s2 + alpha)[:, None], mean_y, float(alpha)

    def project(self, X: np.ndarray) -> np.ndarray:
        """(m, r) ``(X - mean_x) V S`` for rows ``X`` (m, d)."""
        return (X - self.mean_x) @ self.b

    def fit(self, Y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """``coef`` (d, dy) and ``intercept`` (dy,) of ridge with penalty ``alpha`` on targets ``Y`` (n, dy)."""
        g, mean_y, _ = self.solve(Y, alpha)
        coef = self.b @ g
        return coef, mean_y - self.mean_x @ coef
