"""Maps trained for search: person-mean targets and the softmax-over-people map, against direct formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from facebridge.errors import InvalidInputError
from facebridge.maps import STATS_METHODS, AffineRidgeCV, PersonMeanRidgeCV, SoftmaxMap, make_map
from facebridge.maps.person_mean import person_means
from facebridge.maps.softmax import softmax_loss
from facebridge.vectors import l2_normalize_rows


def people_rows(n_people: int = 12, per: int = 4, dx: int = 6, dy: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    people = np.repeat(np.arange(n_people), per)
    centre_x = rng.normal(size=(n_people, dx))
    X = centre_x[people] + 0.3 * rng.normal(size=(len(people), dx))
    Y = np.tanh(centre_x @ rng.normal(size=(dx, dy)))[people] + 0.3 * rng.normal(size=(len(people), dy))
    return X, Y, people


def test_person_means_are_each_persons_mean_of_unit_rows() -> None:
    y = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])
    got = person_means(y, ["p", "q", "p"], normalize=True)
    want_p = (np.array([0.6, 0.8]) + np.array([1.0, 0.0])) / 2
    np.testing.assert_allclose(got, [want_p, [0.0, 1.0], want_p])
    np.testing.assert_allclose(person_means(y, ["p", "q", "p"], normalize=False)[0], [2.0, 2.0])
    with pytest.raises(InvalidInputError, match="one label per row"):
        person_means(y, [1, 2], normalize=True)


@pytest.mark.parametrize("normalize", [False, True])
def test_person_mean_map_is_affine_cv_on_person_means(normalize: bool) -> None:
    X, Y, people = people_rows()
    got = PersonMeanRidgeCV(normalize=normalize).fit(X, Y, groups=people)
    want = AffineRidgeCV(normalize=normalize).fit(X, person_means(Y, people, normalize), groups=people)
    assert got.alpha_ == want.alpha_
    np.testing.assert_allclose(got.coef_, want.coef_, atol=1e-10)
    np.testing.assert_allclose(got.intercept_, want.intercept_, atol=1e-10)
    many = PersonMeanRidgeCV(normalize=normalize).fit_many(X, [Y, Y[:, :2]], groups=people)
    np.testing.assert_allclose(many[0].coef_, got.coef_, atol=1e-10)
    one = PersonMeanRidgeCV(normalize=normalize).fit(X, Y[:, :2], groups=people)
    np.testing.assert_allclose(many[1].coef_, one.coef_, atol=1e-10)
    # Without people each row is its own: affine_cv's map.
    plain = PersonMeanRidgeCV(normalize=normalize).fit(X, Y)
    np.testing.assert_allclose(plain.coef_, AffineRidgeCV(normalize=normalize).fit(X, Y).coef_, atol=1e-10)
    assert "affine_mean" not in STATS_METHODS and "softmax" not in STATS_METHODS and "affine_fixed" in STATS_METHODS


def direct_loss(w, b, X, prototypes, label, scale, alpha, start) -> float:
    """The softmax loss written out row by row."""
    total = 0.0
    for i, x in enumerate(X):
        z = x @ w + b
        logits = [scale * float(z @ c) / float(np.linalg.norm(z)) for c in prototypes]
        total += -(logits[label[i]] - np.log(np.sum(np.exp(logits))))
    return total / len(X) + 0.5 * alpha * float(((w - start) ** 2).sum())


def test_softmax_loss_equals_direct_formula_and_its_gradient_is_exact() -> None:
    rng = np.random.default_rng(1)
    X, prototypes = rng.normal(size=(7, 4)), l2_normalize_rows(rng.normal(size=(3, 5)))
    label, start = rng.integers(0, 3, 7), rng.normal(size=(4, 5))
    theta = rng.normal(size=4 * 5 + 5)
    args = (X, prototypes, label, 5.0, 0.3, start)
    value, _ = softmax_loss(theta, *args)
    assert value == pytest.approx(direct_loss(theta[:20].reshape(4, 5), theta[20:], *args), rel=1e-12)
    err = optimize.check_grad(lambda t: softmax_loss(t, *args)[0], lambda t: softmax_loss(t, *args)[1], theta)
    assert err < 1e-5 * np.linalg.norm(softmax_loss(theta, *args)[1])


def test_softmax_map_improves_its_loss_and_ranks_each_row_to_its_person() -> None:
    X, Y, people = people_rows()
    fitted = SoftmaxMap(scale=8.0, alpha=1e-3, max_iter=60).fit(X, Y, groups=people)
    start = PersonMeanRidgeCV().fit(X, Y, groups=people)
    protos = l2_normalize_rows(person_means(Y, people, True)[::4])
    Xn = l2_normalize_rows(X)
    theta0 = np.concatenate([start.coef_.ravel(), start.intercept_])
    args = (Xn, protos, people, 8.0, 1e-3, start.coef_)
    assert fitted.loss_ < softmax_loss(theta0, *args)[0]
    assert fitted.loss_ == pytest.approx(softmax_loss(np.r_[fitted.coef_.ravel(), fitted.intercept_], *args)[0])
    top = np.argmax(l2_normalize_rows(fitted.transform(X)) @ protos.T, axis=1)
    assert (top == people).mean() >= (np.argmax(start.transform(X) @ protos.T, axis=1) == people).mean()
    assert (top == people).mean() > 0.8 and fitted.n_people_ == 12 and fitted.start_alpha_ == start.alpha_
    again = SoftmaxMap(scale=8.0, alpha=1e-3, max_iter=60).fit(X, Y, groups=people)
    np.testing.assert_array_equal(again.coef_, fitted.coef_)


def test_softmax_map_with_a_huge_penalty_stays_at_its_start_and_caps_its_people() -> None:
    X, Y, people = people_rows()
    stiff = SoftmaxMap(alpha=1e9, max_people=5).fit(X, Y, groups=people)
    start = PersonMeanRidgeCV().fit(X, Y, groups=people)
    np.testing.assert_allclose(stiff.coef_, start.coef_, atol=1e-6)
    assert stiff.n_people_ == 5
    with pytest.raises(InvalidInputError, match="scale"):
        make_map("softmax", scale=0).fit(X, Y)
    with pytest.raises(InvalidInputError, match="from rows"):
        SoftmaxMap().fit_stats(None)


def test_kernel_fit_many_equals_one_fit_per_target() -> None:
    from facebridge.maps import LandmarkKernelMap

    X, Y, people = people_rows()
    many = LandmarkKernelMap(n_landmarks=10).fit_many(X, [Y, Y[:, :2]], groups=people)
    for fitted, y in zip(many, [Y, Y[:, :2]], strict=True):
        one = LandmarkKernelMap(n_landmarks=10).fit(X, y)
        assert fitted.alpha_ == one.alpha_
        np.testing.assert_allclose(fitted.transform(X), one.transform(X), atol=1e-10)
