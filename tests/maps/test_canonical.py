"""Canonical spaces on planted data: every model a known linear image of one latent space plus noise."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.errors import InvalidInputError, NotFoundError
from facebridge.maps.canonical import CANON_METHODS, CanonicalSpace, JointStats

LATENT = 6


def planted(n: int = 600, widths=(8, 10, 12, 7), noise: float = 0.01, seed: int = 0):
    """Latent rows L (n, LATENT) and per model X_i = L Q_i + noise, Q_i semi-orthogonal (LATENT, d_i) times a scale."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, LATENT))
    sets = {}
    for i, d in enumerate(widths):
        q, _ = np.linalg.qr(rng.standard_normal((d, LATENT)))
        sets[f"m{i}"] = (1 + 0.3 * i) * latent @ q.T + noise * rng.standard_normal((n, d)) + rng.standard_normal(d)
    return latent, sets


def subspace_fit(t: np.ndarray, latent: np.ndarray) -> float:
    """R^2 of the latent regressed on centred ``t``: 1 when ``t`` holds the latent up to an invertible linear map."""
    tc, lc = t - t.mean(0), latent - latent.mean(0)
    coef = np.linalg.lstsq(tc, lc, rcond=None)[0]
    return 1 - float(((lc - tc @ coef) ** 2).sum() / (lc**2).sum())


@pytest.mark.parametrize(("method", "pca"), [(m, None) for m in CANON_METHODS] + [("maxvar", LATENT)])
def test_every_method_recovers_the_latent_space_up_to_rotation(method: str, pca: int | None) -> None:
    latent, sets = planted()
    space = CanonicalSpace(method=method, dim=LATENT, alpha=1e-6, pca=pca, normalize=False).fit(sets)
    encoded = {m: space.encode(x, m) for m, x in sets.items()}
    for m, t in encoded.items():
        assert subspace_fit(t, latent) > 0.999, m
        # up to rotation: the canonical Gram equals a scaled latent Gram (no shear), shared by all models
        tc, lc = t - t.mean(0), latent - latent.mean(0)
        rot = np.linalg.lstsq(lc, tc, rcond=None)[0]
        s = np.linalg.svd(rot, compute_uv=False)
        if method != "maxvar":  # maxvar whitens, which for an isotropic latent is also a scaled rotation
            assert s.max() / s.min() < 1.1, (m, s)
    ref = encoded["m0"]
    for m, t in encoded.items():
        assert np.abs(t - ref).max() < 0.1 * np.abs(ref).max(), m


@pytest.mark.parametrize("method", CANON_METHODS)
def test_route_through_the_space_maps_one_model_onto_another(method: str) -> None:
    _, sets = planted()
    space = CanonicalSpace(method=method, dim=LATENT, alpha=1e-6, normalize=False).fit(sets)
    mapped = space.route("m1", "m3").transform(sets["m1"])
    residual = ((mapped - sets["m3"]) ** 2).sum() / ((sets["m3"] - sets["m3"].mean(0)) ** 2).sum()
    assert residual < 1e-3


def test_route_equals_encoder_then_decoder_by_hand() -> None:
    _, sets = planted()
    space = CanonicalSpace(method="maxvar", dim=4).fit(sets)
    x = sets["m2"][:50]
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    by_hand = (unit @ space.enc_coef_["m2"] + space.enc_bias_["m2"]) @ space.dec_coef_["m0"] + space.dec_bias_["m0"]
    np.testing.assert_allclose(space.route("m2", "m0").transform(x), by_hand, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(space.decode(space.encode(x, "m2"), "m0"), by_hand, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(space.route("m2").transform(x), space.encode(x, "m2"), rtol=1e-12)


def test_streamed_and_merged_statistics_give_the_same_space() -> None:
    _, sets = planted()
    half = {m: x[:300] for m, x in sets.items()}
    rest = {m: x[300:] for m, x in sets.items()}
    merged = JointStats.from_arrays(half).merge(JointStats.from_arrays(rest, chunk_size=64))
    a = CanonicalSpace(method="gpa", dim=5).fit(sets)
    b = CanonicalSpace(method="gpa", dim=5).fit_stats(merged)
    np.testing.assert_allclose(a.enc_coef_["m1"], b.enc_coef_["m1"], atol=1e-8)


def test_join_leaves_every_member_bit_identical_and_lands_the_newcomer_in_the_space() -> None:
    _, sets = planted(widths=(8, 10, 12, 7, 9))
    founders = {m: x for m, x in sets.items() if m != "m4"}
    space = CanonicalSpace(method="maxvar", dim=LATENT, alpha=1e-6, normalize=False).fit(founders)
    before = {k: {m: a.copy() for m, a in getattr(space, k).items()} for k in ("enc_coef_", "enc_bias_", "dec_coef_")}
    space.join("m4", sets["m4"][:400], {"m1": sets["m1"][:400]})
    for k, arrays in before.items():
        for m, arr in arrays.items():
            assert np.array_equal(getattr(space, k)[m], arr), (k, m)
    assert space.models_ == ["m0", "m1", "m2", "m3", "m4"] and space.via_["m4"] == "m1"
    held_out = slice(400, None)
    t_new, t_old = space.encode(sets["m4"][held_out], "m4"), space.encode(sets["m0"][held_out], "m0")
    assert np.abs(t_new - t_old).max() < 0.1 * np.abs(t_old).max()
    with pytest.raises(InvalidInputError, match="already a member"):
        space.join("m4", sets["m4"], {"m1": sets["m1"]})


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"method": "cca"}, "method must be one of"),
        ({"dim": 0}, "dim must be an integer"),
        ({"method": "hub", "dim": 9}, "dim must be an integer"),
        ({"method": "hub", "hub": "nope"}, "hub 'nope' is not among"),
        ({"alpha": -1}, "alpha"),
        ({"pca": 0}, "pca must be"),
        ({"pca": 1, "dim": 5}, r"dim must be an integer in \[1, 4\]"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(params: dict, message: str) -> None:
    _, sets = planted(n=50)
    with pytest.raises(InvalidInputError, match=message):
        CanonicalSpace(**params).fit(sets)


def test_unknown_member_and_unfitted_space_are_clear_errors() -> None:
    _, sets = planted(n=50)
    with pytest.raises(Exception, match="not fitted"):
        CanonicalSpace().encoder("m0")
    space = CanonicalSpace(dim=3).fit(sets)
    with pytest.raises(NotFoundError, match="not a member"):
        space.encoder("zz")
    assert space.get_params()["dim"] == 3 and CanonicalSpace().set_params(dim=4).dim == 4


def test_subset_pair_and_without_equal_statistics_accumulated_afresh() -> None:
    from facebridge.maps.stats import SufficientStats

    _, sets = planted(n=120)
    full = JointStats.from_arrays(sets)
    sub = full.subset(["m2", "m0"])
    fresh = JointStats.from_arrays({"m2": sets["m2"], "m0": sets["m0"]})
    np.testing.assert_allclose(sub.scatter(), fresh.scatter(), atol=1e-10)
    assert sub.dims == (12, 8)
    pair = full.pair("m1", "m3")
    direct = SufficientStats.from_arrays(sets["m1"], sets["m3"], normalize=True, track_yy=True)
    for name in ("sum_x", "sum_y", "xtx", "xty", "ssq_y", "yty"):
        np.testing.assert_allclose(getattr(pair, name), getattr(direct, name), atol=1e-10)
    rest = full.without(JointStats.from_arrays({m: x[:40] for m, x in sets.items()}))
    fresh = JointStats.from_arrays({m: x[40:] for m, x in sets.items()})
    assert rest.n == 80
    np.testing.assert_allclose(rest.scatter(), fresh.scatter(), atol=1e-9)


def test_spaces_fitted_on_shared_statistics_equal_spaces_fitted_alone() -> None:
    _, sets = planted()
    shared = JointStats.from_arrays(sets)
    for method, dims in (("maxvar", (6, 3)), ("gpa", (6, 3)), ("hub", (None, None))):
        for dim in dims:
            reused = CanonicalSpace(method=method, dim=dim).fit_stats(shared)
            alone = CanonicalSpace(method=method, dim=dim).fit_stats(JointStats.from_arrays(sets))
            for m in sets:
                np.testing.assert_allclose(reused.enc_coef_[m], alone.enc_coef_[m], atol=1e-10)
                np.testing.assert_allclose(reused.dec_coef_[m], alone.dec_coef_[m], atol=1e-10)


def test_joining_through_several_members_targets_their_mean_coordinates() -> None:
    _, sets = planted(widths=(8, 10, 12, 7, 9), noise=0.05)
    founders = {m: x for m, x in sets.items() if m != "m4"}
    one = CanonicalSpace(method="maxvar", dim=LATENT, normalize=False).fit(founders)
    many = CanonicalSpace(method="maxvar", dim=LATENT, normalize=False).fit(founders)
    one.join("m4", sets["m4"][:300], {"m1": sets["m1"][:300]})
    many.join("m4", sets["m4"][:300], {m: founders[m][:300] for m in founders})
    assert many.via_["m4"] == "m0,m1,m2,m3"
    consensus = np.mean([many.encode(founders[m][300:], m) for m in founders], axis=0)
    err_one = np.abs(one.encode(sets["m4"][300:], "m4") - consensus).mean()
    err_many = np.abs(many.encode(sets["m4"][300:], "m4") - consensus).mean()
    assert err_many < err_one


@pytest.mark.parametrize("method", CANON_METHODS)
def test_default_ridge_penalty_keeps_routes_on_unit_embeddings(method: str) -> None:
    """alpha=1 on sums over the rows is light for every method: GPA's reduced models once had a total scatter of 1,
    so the penalty crushed their decoders and a route returned little more than the target's mean."""
    _, sets = planted(n=2000, noise=0.05)
    space = CanonicalSpace(method=method, dim=LATENT).fit(sets)
    target = sets["m3"] / np.linalg.norm(sets["m3"], axis=1, keepdims=True)
    mapped = space.route("m1", "m3").transform(sets["m1"])
    cos = np.einsum("ij,ij->i", mapped / np.linalg.norm(mapped, axis=1, keepdims=True), target)
    assert cos.mean() > 0.95, cos.mean()
