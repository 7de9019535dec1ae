"""The canonical space estimator: one shared space of dimension ``d`` for N models, an encoder into it and a
decoder out of it per model, and later members that join with one map without moving the space."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np

from facebridge.checks import check_alpha, check_flag
from facebridge.errors import InvalidInputError, NotFittedError, NotFoundError
from facebridge.maps._checks import as_matrix
from facebridge.maps._estimator import MapEstimator
from facebridge.maps.affine import AffineMap
from facebridge.maps.canonical import solve
from facebridge.maps.canonical.stats import JointStats
from facebridge.maps.stats import SufficientStats
from facebridge.vectors import l2_normalize_rows


def affine(coef: np.ndarray, intercept: np.ndarray, normalize: bool, n: int) -> AffineMap:
    """A fitted ``AffineMap`` with these arrays: encoders, decoders and routes are ordinary maps (files, ONNX)."""
    attrs = {"n_features_in_": int(coef.shape[0]), "n_samples_seen_": int(n)}
    return AffineMap.from_fitted({"normalize": normalize}, {"coef": coef, "intercept": intercept}, attrs)


class CanonicalSpace(MapEstimator):
    """A shared embedding space for several models, fitted on images every model embedded (rows matched by id).

    Parameters
    ----------
    method : ``hub``, ``gpa`` or ``maxvar`` (see :mod:`facebridge.maps.canonical.solve`).
    dim : the canonical width ``d``; None: the hub's width (hub) or the smallest member's width.
    hub : the hub model's name (hub only); None: the first model.
    alpha : ridge penalty >= 0 on every ridge encoder and decoder (and MAXVAR's within-model scatter), on sums over
        the fitted rows, as ``RidgeMap``'s.
    pca : maxvar only: keep each model's top-``pca`` principal axes (None: all); regularises the shared directions
        and makes the eigenproblem ``sum min(d_i, pca)`` wide instead of ``sum d_i``.
    normalize : L2-normalise each model's rows before fitting and encoding (decoders output unnormalised rows).
    max_iter, tol : GPA's iterations and relative change of the mean's spread at which it stops.

    Attributes (after fitting)
    --------------------------
    models_ : member names, founders first, then members that joined, in order.
    enc_coef_, enc_bias_ : model -> (d_model, d), (d,): ``encode(x) = unit(x) @ enc_coef + enc_bias``.
    dec_coef_, dec_bias_ : model -> (d, d_model), (d_model,): ``decode(t) = t @ dec_coef + dec_bias``.
    via_ : model -> the members a joined model was fitted against, comma-separated (None for founders).
    dim_, n_samples_seen_, n_iter_ : canonical width, founding rows, GPA iterations (0 otherwise).
    """

    def __init__(
        self,
        *,
        method: str = "maxvar",
        dim: int | None = None,
        hub: str | None = None,
        alpha: float = 1.0,
        pca: int | None = None,
        normalize: bool = True,
        max_iter: int = 100,
        tol: float = 1e-6,
    ) -> None:
        self.method = method  # type: ignore[misc]  # this space's solver (hub/gpa/maxvar), not a registry name
        self.dim = dim
        self.hub = hub
        self.alpha = alpha
        self.pca = pca
        self.normalize = normalize
        self.max_iter = max_iter
        self.tol = tol

    # --- fitting --------------------------------------------------------------------------------------------------

    def _checked(self, models: tuple[str, ...], dims: tuple[int, ...]) -> dict[str, Any]:
        owner = type(self).__name__
        if self.method not in solve.METHODS:
            raise InvalidInputError(f"{owner}: method must be one of {', '.join(solve.METHODS)}, got {self.method!r}")
        hub = models[0] if self.hub is None else self.hub
        if self.method == "hub" and hub not in models:
            raise InvalidInputError(f"{owner}: hub {hub!r} is not among the models {', '.join(models)}")
        widest = dims[models.index(hub)] if self.method == "hub" else sum(dims)
        if self.method == "maxvar" and isinstance(self.pca, int) and self.pca >= 1:
            widest = sum(min(d, self.pca) for d in dims)
        default = dims[models.index(hub)] if self.method == "hub" else min(dims)
        dim = default if self.dim is None else self.dim
        if isinstance(dim, bool) or not isinstance(dim, int | np.integer) or not 1 <= dim <= widest:
            raise InvalidInputError(f"{owner}: dim must be an integer in [1, {widest}] for {self.method}, got {dim!r}")
        if self.pca is not None and (isinstance(self.pca, bool) or not isinstance(self.pca, int) or self.pca < 1):
            raise InvalidInputError(f"{owner}: pca must be an integer >= 1 or None, got {self.pca!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise InvalidInputError(f"{owner}: max_iter must be an integer >= 1, got {self.max_iter!r}")
        return {
            "dim": dim,
            "hub": models.index(hub) if self.method == "hub" else None,
            "alpha": check_alpha(self.alpha, owner),
            "normalize": check_flag(self.normalize, "normalize", owner),
        }

    def fit(self, X: object, y: object = None) -> Self:
        """Fit on ``X``: model name -> (n, d_model) rows of the same n images in the same order."""
        if not isinstance(X, Mapping):
            raise InvalidInputError("CanonicalSpace.fit takes a mapping of model name -> (n, d) row-matched rows")
        normalize = check_flag(self.normalize, "normalize", type(self).__name__)
        return self.fit_stats(JointStats.from_arrays(X, normalize=normalize))

    def fit_stats(self, stats: JointStats) -> Self:
        """Fit from joint statistics accumulated elsewhere (streamed, merged, or summed over people's groups)."""
        p = self._checked(stats.models, stats.dims)
        if stats.normalize != p["normalize"]:
            raise InvalidInputError(
                f"statistics were accumulated with normalize={stats.normalize}, this space has {p['normalize']}"
            )
        if stats.n < 2:
            raise InvalidInputError(f"a canonical space needs at least 2 shared images, got {stats.n}")
        d, alpha = p["dim"], p["alpha"]
        fixed: list[np.ndarray | None] = [None] * len(stats.models)
        self.n_iter_ = 0
        if self.method == "hub":
            a, ca, fixed = solve.hub_weights(stats, d, p["hub"])
        elif self.method == "gpa":
            a, ca, fixed, self.n_iter_ = solve.gpa_weights(stats, d, self.max_iter, self.tol)
        else:
            a, ca = solve.maxvar_weights(stats, d, alpha, self.pca)
        encoders = solve.ridge_encoders(stats, ca, alpha, fixed)
        decoders = solve.ridge_decoders(stats, a, ca, alpha)
        self.models_ = list(stats.models)
        self.enc_coef_, self.enc_bias_, self.dec_coef_, self.dec_bias_ = {}, {}, {}, {}
        for i, model in enumerate(stats.models):
            mu = stats.mean(i)
            self.enc_coef_[model], self.enc_bias_[model] = encoders[i], -mu @ encoders[i]
            self.dec_coef_[model], self.dec_bias_[model] = decoders[i], mu.copy()
        self.via_ = dict.fromkeys(stats.models)
        self.dim_, self.n_samples_seen_ = d, stats.n
        return self

    def join(self, model: str, X: object, via: Mapping[str, object]) -> Self:
        """Add ``model`` with one ridge encoder (and decoder) fitted on images it shares with members.

        ``X`` (n, d_model) and each ``via[member]`` (n, d_member) are the same n images; the target is the mean of
        those members' canonical coordinates (one member's, or a consensus of several), so nothing already in the
        space changes (galleries stay valid).
        """
        self._require_fitted()
        if model in self.models_:
            raise InvalidInputError(f"{model!r} is already a member of this canonical space")
        if not via:
            raise InvalidInputError(f"{model} needs at least one member's rows of the same images to join through")
        X = as_matrix(X, f"embeddings of {model}")
        target = np.zeros((len(X), self.dim_))
        for member, rows in via.items():
            coords = self.encode(rows, member)
            if len(coords) != len(X):
                raise InvalidInputError(f"{model} has {len(X)} rows but {member} has {len(coords)}; match them by id")
            target += coords / len(via)
        x = l2_normalize_rows(X) if self.normalize else X
        alpha = check_alpha(self.alpha, type(self).__name__)
        enc = AffineMap(alpha=alpha, normalize=False).fit_stats(SufficientStats.from_arrays(x, target))
        dec = AffineMap(alpha=alpha, normalize=False).fit_stats(SufficientStats.from_arrays(target, x))
        self.models_.append(model)
        self.enc_coef_[model], self.enc_bias_[model] = enc.coef_, enc.intercept_
        self.dec_coef_[model], self.dec_bias_[model] = dec.coef_, dec.intercept_
        self.via_[model] = ",".join(via)
        return self

    # --- use ------------------------------------------------------------------------------------------------------

    def _require_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise NotFittedError("this CanonicalSpace is not fitted yet; call fit or fit_stats first")

    def _member(self, model: str) -> str:
        self._require_fitted()
        if model not in self.models_:
            raise NotFoundError(f"{model!r} is not a member of this canonical space ({', '.join(self.models_)})")
        return model

    def encoder(self, model: str) -> AffineMap:
        """Model -> canonical, as a fitted map (normalises its input like the fit)."""
        m = self._member(model)
        return affine(self.enc_coef_[m], self.enc_bias_[m], self.normalize, self.n_samples_seen_)

    def decoder(self, model: str) -> AffineMap:
        """Canonical -> model, as a fitted map."""
        m = self._member(model)
        return affine(self.dec_coef_[m], self.dec_bias_[m], False, self.n_samples_seen_)

    def route(self, source: str, target: str | None = None) -> AffineMap:
        """``source`` -> canonical (``target`` None) or -> canonical -> ``target``, folded into one affine map."""
        if target is None:
            return self.encoder(source)
        enc, dec = self.encoder(source), self.decoder(target)
        coef = enc.coef_ @ dec.coef_
        return affine(coef, enc.intercept_ @ dec.coef_ + dec.intercept_, self.normalize, self.n_samples_seen_)

    def encode(self, X: object, model: str) -> np.ndarray:
        """(n, d) canonical coordinates of ``model``'s rows."""
        return self.encoder(model).transform(X)

    def decode(self, T: object, model: str) -> np.ndarray:
        """(n, d_model) ``model``'s rows for canonical coordinates ``T``."""
        return self.decoder(model).transform(T)

    def transform(self, X: object, model: str | None = None) -> np.ndarray:
        """``encode(X, model)``; ``model`` is required (a space has one encoder per member)."""
        if model is None:
            raise InvalidInputError("CanonicalSpace.transform needs the model the rows come from")
        return self.encode(X, model)

    def dims(self) -> dict[str, int]:
        """Member -> its embedding width."""
        self._require_fitted()
        return {m: int(self.enc_coef_[m].shape[0]) for m in self.models_}
