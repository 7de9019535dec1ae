"""embed --corrupt / --ids: the shifted-domain protocol's corrupted stores are built by the extraction pipeline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facebridge.embeddings import read_embeddings
from facebridge.errors import InvalidInputError, MismatchError
from facebridge.extraction.detect import decode
from facebridge.extraction.extract import embed_folder
from facebridge.images import load_image
from facebridge.images.corruptions import Corruption
from tests.extraction.test_extract import lfw_copy

pytestmark = pytest.mark.models
MODEL = ["edgeface-xxs"]


@pytest.mark.parametrize("c", [Corruption("downscale", 3), Corruption("flip", 0)])
def test_decode_applies_the_corruption_to_the_decoded_pixels(tmp_path, c: Corruption) -> None:
    ids = lfw_copy(tmp_path, per_person=1)
    np.testing.assert_array_equal(decode(tmp_path, ids[0], c).rgb, c.apply(load_image(tmp_path / ids[0]).rgb, ids[0]))
    np.testing.assert_array_equal(decode(tmp_path, ids[0]).rgb, load_image(tmp_path / ids[0]).rgb)


def test_a_corrupted_store_of_listed_ids_differs_from_the_clean_one_and_records_its_corruption(tmp_path) -> None:
    root = tmp_path / "images"
    ids = lfw_copy(root, per_person=2)
    listed = ids[::2]
    clean = embed_folder(tmp_path / "clean", MODEL, root, ids=listed, workers=1)
    corrupt = Corruption("jpeg", 3)
    embed_folder(tmp_path / "jpeg", MODEL, root, ids=listed, corrupt=corrupt, workers=1)
    a, b = (read_embeddings(tmp_path / s / "edgeface-xxs.parquet") for s in ("clean", "jpeg"))
    assert clean.n_images == len(listed) and sorted(a.ids) == sorted(b.ids) == sorted(listed)
    cos = np.sum(a.vectors * b.vectors_of(a.ids), axis=1) / (
        np.linalg.norm(a.vectors, axis=1) * np.linalg.norm(b.vectors_of(a.ids), axis=1)
    )
    assert (cos < 0.9999).all()  # every image changed ...
    assert (cos > 0.3).all()  # ... but it is still the same face
    settings = json.loads((tmp_path / "jpeg" / "settings.json").read_text())
    assert settings["corruption"] == corrupt.key
    with pytest.raises(MismatchError, match="corruption"):
        embed_folder(tmp_path / "jpeg", MODEL, root, ids=listed, corrupt=Corruption("blur", 1), workers=1)
    with pytest.raises(InvalidInputError, match="not images"):
        embed_folder(tmp_path / "x", MODEL, root, ids=["Nobody/Nobody_0001.jpg"], workers=1)
