"""The camera-corruption set: deterministic bytes per (seed, level), levels that differ, shapes and dtypes kept."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from facebridge.errors import InvalidInputError
from facebridge.images.corruptions import CORRUPTIONS, LEVELS, VERSION, Corruption, image_seed, parse_corruption


def _face(seed: int = 0, shape: tuple[int, int] = (61, 47)) -> np.ndarray:
    """A smooth gradient with texture: every corruption changes it visibly."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    base = np.stack([x * 4, y * 3, (x + y) * 2], axis=-1) % 256
    return np.clip(base + rng.integers(-40, 40, size=(*shape, 3)), 0, 255).astype(np.uint8)


def _digest(rgb: np.ndarray) -> str:
    return hashlib.sha256(rgb.tobytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_level_is_deterministic_keeps_shape_and_dtype_and_changes_the_image(name: str) -> None:
    img = _face()
    outs = {}
    for level in LEVELS:
        c = Corruption(name, level, seed=3)
        a, b = c.apply(img, "P/P_0001.jpg"), Corruption(name, level, seed=3).apply(img.copy(), "P/P_0001.jpg")
        assert a.shape == img.shape and a.dtype == np.uint8
        assert _digest(a) == _digest(b)
        assert not np.array_equal(a, img)
        outs[level] = _digest(a)
    assert len(set(outs.values())) == len(LEVELS)  # every level is another image
    assert np.array_equal(img, _face())  # pure: the input is untouched


def test_random_corruptions_follow_seed_and_image_id_and_others_ignore_them() -> None:
    img = _face()
    noisy = [Corruption("noise", 2, seed).apply(img, i) for seed, i in [(0, "a/1.jpg"), (1, "a/1.jpg"), (0, "a/2.jpg")]]
    assert len({_digest(n) for n in noisy}) == 3
    assert _digest(Corruption("jpeg", 2, 0).apply(img, "a/1.jpg")) == _digest(Corruption("jpeg", 2, 9).apply(img, "b"))
    assert image_seed(0, "a/1.jpg") == image_seed(0, "a/1.jpg") != image_seed(1, "a/1.jpg")


def test_stronger_levels_lose_more_detail() -> None:
    img = _face()
    for name in ("downscale", "jpeg", "blur", "exposure", "noise"):
        err = [np.abs(Corruption(name, lv).apply(img, "x").astype(float) - img).mean() for lv in LEVELS]
        assert err[0] < err[1] < err[2], (name, err)


def test_grayscale_level_two_has_equal_channels() -> None:
    out = Corruption("grayscale", 2).apply(_face(), "x")
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])


def test_parse_and_key_name_the_version() -> None:
    c = parse_corruption("JPEG:3", seed=2)
    assert (c.name, c.level, c.seed) == ("jpeg", 3, 2)
    assert c.key == f"jpeg:3@{VERSION}/seed2"
    for bad in ("jpeg", "jpeg:x", "fog:1", "blur:4"):
        with pytest.raises(InvalidInputError):
            parse_corruption(bad)
    with pytest.raises(InvalidInputError):
        Corruption("blur", 1).apply(np.zeros((4, 4), dtype=np.uint8))


def test_flip_is_the_exact_mirror_deterministic_and_levelless() -> None:
    img = _face()
    c = parse_corruption("Flip")
    assert (c.name, c.level) == ("flip", 0) and c.key == f"flip@{VERSION}"
    a, b = c.apply(img, "P/P_0001.jpg"), Corruption("flip", 0, seed=7).apply(img.copy(), "Q/Q_0002.jpg")
    assert _digest(a) == _digest(b)  # same bytes for the same input, whatever the seed or id
    assert a.shape == img.shape and a.dtype == np.uint8 and a.flags.c_contiguous
    np.testing.assert_array_equal(a[:, 0], img[:, -1])  # column j is column W - 1 - j
    np.testing.assert_array_equal(a[:, 5], img[:, img.shape[1] - 6])
    np.testing.assert_array_equal(c.apply(a), img)  # twice is the original
    assert "flip" not in CORRUPTIONS  # not a camera corruption: the shifted protocol's levels do not apply
    for bad in ("flip:1", "flip:x"):
        with pytest.raises(InvalidInputError):
            parse_corruption(bad)
    with pytest.raises(InvalidInputError, match="no level"):
        Corruption("flip", 2)
