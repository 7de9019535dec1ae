"""Adapting an LFW-fitted map to a deployment without pairs: only each side's own unlabelled templates are used.

An operator has the old gallery (model A) and new probes (model B), never the same faces under both, and no labels
worth trusting. Two tools use those templates alone:

- :class:`DeploymentAlign` (CORAL with means; Sun, Feng, Saenko, AAAI 2016): rows of a deployment are moved onto a
  reference's first two moments, ``x -> (x - m_d) C_d^{-1/2} C_r^{1/2} + m_r`` (``coral``), or re-centred only,
  ``x -> x - m_d + m_r`` (``centre``). Covariances are shrunk towards a multiple of the identity by the
  Ledoit-Wolf rule (no setting to choose), so that a few hundred templates in 512 dimensions give a usable matrix.
  Each move is learnt between two sets of the *same* model's native templates, so that it is the identity when the
  deployment looks like the reference: before the map it moves the deployment's A templates onto the map's training
  inputs (A); after the map it moves the mapped gallery by the move that takes the map's training targets (B) onto
  the deployment's B templates. (Aligning the mapped gallery itself onto the B templates, as an earlier version did,
  compares a regression's outputs, whose spread is shrunk in every direction the map predicts poorly, with native
  templates: it inflated those directions and halved rank-1 on clean data.)
- :class:`SNorm` (adaptive symmetric score normalisation; Matějka et al., Interspeech 2017): a score ``s(p, g)``
  becomes ``((s - mu_p) / sd_p + (s - mu_g) / sd_g) / 2`` where ``mu_p, sd_p`` are the mean and spread of probe
  ``p``'s ``top_k`` highest scores against a cohort of gallery-side templates, and ``mu_g, sd_g`` those of ``g``
  against a cohort of probe-side templates, cohorts drawn from the deployment's own templates.

Neither takes ids, labels or correspondences: ``fit`` accepts numeric arrays only, and both are invariant to the
order of the rows they are fitted on.
"""

from __future__ import annotations

import hashlib
from typing import Any, Self

import numpy as np

from facebridge.checks import check_flag
from facebridge.errors import InvalidInputError, NotFittedError
from facebridge.maps._checks import as_matrix
from facebridge.vectors import l2_normalize_rows, unit_rows

ALIGN_MODES = ("centre", "coral")


def shrunk_covariance(rows: np.ndarray) -> tuple[np.ndarray, float]:
    """The covariance of ``rows`` (n, d) shrunk by the Ledoit-Wolf rule towards ``trace / d`` times the identity,
    and the shrinkage used. (scikit-learn, imported here: ``facebridge.maps`` loads without it.)"""
    from sklearn.covariance import ledoit_wolf_shrinkage

    centred = rows - rows.mean(axis=0)
    cov = centred.T @ centred / len(rows)
    shrink = float(ledoit_wolf_shrinkage(centred, assume_centered=True))
    target = np.trace(cov) / cov.shape[0]
    return (1 - shrink) * cov + shrink * target * np.eye(cov.shape[0]), shrink


def _sym_power(cov: np.ndarray, power: float) -> np.ndarray:
    """``cov ** power`` of a symmetric positive semi-definite matrix (eigenvalues floored at 1e-12 of the largest)."""
    w, v = np.linalg.eigh(cov)
    w = np.maximum(w, 1e-12 * max(float(w.max()), 1e-300))
    return (v * w**power) @ v.T


class Moments:
    """One side's mean and shrunk covariance, with the covariance's square root and inverse square root computed
    once: a reference shared by many fits (every test fold aligns onto the same training rows) is summarised once.
    With ``normalize`` the rows are L2-normalised first (the moments of unit rows)."""

    def __init__(self, rows: np.ndarray, *, normalize: bool = False) -> None:
        x = as_matrix(rows, "rows").astype(np.float64)
        if len(x) < 2:
            raise InvalidInputError(f"need two or more rows for a mean and covariance, got {len(x)}")
        self.normalize = check_flag(normalize, "normalize", "Moments")
        x = l2_normalize_rows(x) if self.normalize else x
        self.n, self.mean = len(x), x.mean(axis=0)
        self.rows = x
        self._cov: tuple[np.ndarray, float] | None = None
        self._powers: dict[float, np.ndarray] = {}

    @property
    def shrinkage(self) -> float:
        return self._covariance()[1]

    def _covariance(self) -> tuple[np.ndarray, float]:
        if self._cov is None:
            self._cov = shrunk_covariance(self.rows)
        return self._cov

    def power(self, p: float) -> np.ndarray:
        """The shrunk covariance to the power ``p`` (cached)."""
        if p not in self._powers:
            self._powers[p] = _sym_power(self._covariance()[0], p)
        return self._powers[p]


class DeploymentAlign:
    """Move rows of a deployment onto a reference's mean (``centre``) or mean and covariance (``coral``).

    Parameters
    ----------
    mode : ``centre`` or ``coral`` (see the module docstring).
    normalize : L2-normalise rows before learning the moments and before ``transform`` (as the maps and scoring
        views do), so that both sides' statistics are taken at the same scale whatever the models' raw norms.

    Attributes (after ``fit``)
    --------------------------
    deploy_mean_, reference_mean_ : (d,) the two sides' means.
    matrix_ : (d, d) ``C_d^{-1/2} C_r^{1/2}`` (``coral``) or the identity (``centre``).
    shrinkage_ : (deployment, reference) Ledoit-Wolf shrinkage of each covariance (``coral``), else (0, 0).
    n_deploy_, n_reference_ : rows each side was fitted on.
    """

    def __init__(self, mode: str = "coral", *, normalize: bool = False) -> None:
        self.mode = mode
        self.normalize = normalize

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"mode": self.mode, "normalize": self.normalize}

    def fit(self, deploy: np.ndarray | Moments, reference: np.ndarray | Moments) -> Self:
        """Learn the move from ``deploy`` (n, d) to ``reference`` (m, d): unpaired numeric rows (or their
        :class:`Moments`), nothing else."""
        if self.mode not in ALIGN_MODES:
            raise InvalidInputError(f"DeploymentAlign: mode must be one of {', '.join(ALIGN_MODES)}, got {self.mode!r}")
        normalize = check_flag(self.normalize, "normalize", "DeploymentAlign")
        d = deploy if isinstance(deploy, Moments) else Moments(deploy, normalize=normalize)
        r = reference if isinstance(reference, Moments) else Moments(reference, normalize=normalize)
        if d.normalize != normalize or r.normalize != normalize:
            raise InvalidInputError(f"moments have normalize={d.normalize}, {r.normalize}; this alignment {normalize}")
        if len(d.mean) != len(r.mean):
            raise InvalidInputError(f"deploy and reference differ in dimension: {len(d.mean)} and {len(r.mean)}")
        self.deploy_mean_, self.reference_mean_ = d.mean, r.mean
        if self.mode == "coral":
            self.matrix_ = d.power(-0.5) @ r.power(0.5)
            self.shrinkage_ = (d.shrinkage, r.shrinkage)
        else:
            self.matrix_ = np.eye(len(d.mean))
            self.shrinkage_ = (0.0, 0.0)
        self.n_deploy_, self.n_reference_ = d.n, r.n
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "matrix_"):
            raise NotFittedError("DeploymentAlign is not fitted yet; call fit(deploy, reference) first")
        x = as_matrix(X, "X").astype(np.float64)
        if x.shape[1] != len(self.deploy_mean_):
            raise InvalidInputError(f"X has {x.shape[1]} columns, the alignment was fitted on {len(self.deploy_mean_)}")
        x = l2_normalize_rows(x) if self.normalize else x
        return (x - self.deploy_mean_) @ self.matrix_ + self.reference_mean_

    def statistics(self) -> dict[str, Any]:
        """What the fit used, for provenance: mode, counts, shrinkage and a digest of the learnt move."""
        digest = hashlib.sha256(
            np.concatenate([self.deploy_mean_, self.reference_mean_, self.matrix_.ravel()]).tobytes()
        ).hexdigest()
        return {
            "mode": self.mode,
            "normalize": bool(self.normalize),
            "n_deploy": self.n_deploy_,
            "n_reference": self.n_reference_,
            "shrinkage": list(self.shrinkage_),
            "sha256": digest,
        }


def _top_moments(scores: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the mean and standard deviation of its ``top_k`` highest scores (all when fewer)."""
    k = min(top_k, scores.shape[1])
    top = np.partition(scores, scores.shape[1] - k, axis=1)[:, -k:]
    return top.mean(axis=1), np.maximum(top.std(axis=1), 1e-6)


class SNorm:
    """Adaptive S-norm of cosine scores with cohorts of the deployment's own templates (module docstring).

    Parameters
    ----------
    top_k : the highest cohort scores each template's moments are taken over.
    """

    def __init__(self, top_k: int = 100) -> None:
        self.top_k = top_k

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"top_k": self.top_k}

    def fit(self, gallery_cohort: np.ndarray, probe_cohort: np.ndarray) -> Self:
        """Keep the cohorts: gallery-side templates (probes are scored against them) and probe-side ones (gallery
        templates are scored against them), both in the space the scores are computed in; numeric rows only."""
        if not isinstance(self.top_k, int) or isinstance(self.top_k, bool) or self.top_k < 2:
            raise InvalidInputError(f"SNorm: parameter top_k must be an integer >= 2, got {self.top_k!r}")
        g, p = as_matrix(gallery_cohort, "gallery_cohort"), as_matrix(probe_cohort, "probe_cohort")
        if g.shape[1] != p.shape[1] or min(len(g), len(p)) < 2:
            raise InvalidInputError(f"cohorts must share a dimension and hold 2+ rows, got {g.shape}, {p.shape}")
        self.gallery_cohort_, self.probe_cohort_ = unit_rows(g.astype(np.float64)), unit_rows(p.astype(np.float64))
        return self

    def _moments(self, probes: np.ndarray, gallery: np.ndarray) -> tuple[np.ndarray, ...]:
        if not hasattr(self, "gallery_cohort_"):
            raise NotFittedError("SNorm is not fitted yet; call fit(gallery_cohort, probe_cohort) first")
        mu_p, sd_p = _top_moments(unit_rows(np.asarray(probes, np.float64)) @ self.gallery_cohort_.T, self.top_k)
        mu_g, sd_g = _top_moments(unit_rows(np.asarray(gallery, np.float64)) @ self.probe_cohort_.T, self.top_k)
        return mu_p, sd_p, mu_g, sd_g

    def normalise(self, scores: np.ndarray, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """S-normed ``scores`` (n_probes, n_gallery) of ``probes`` against ``gallery`` (their templates' rows)."""
        mu_p, sd_p, mu_g, sd_g = self._moments(probes, gallery)
        s = np.asarray(scores, dtype=np.float64)
        return 0.5 * ((s - mu_p[:, None]) / sd_p[:, None] + (s - mu_g[None, :]) / sd_g[None, :])

    def normalise_pairs(self, scores: np.ndarray, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """S-normed ``scores`` (n,) of row-aligned pairs: probe ``i`` against gallery template ``i`` (1:1)."""
        mu_p, sd_p, mu_g, sd_g = self._moments(probes, gallery)
        s = np.asarray(scores, dtype=np.float64)
        return 0.5 * ((s - mu_p) / sd_p + (s - mu_g) / sd_g)
