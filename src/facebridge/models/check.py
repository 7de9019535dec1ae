"""A loaded model's smoke test: a few synthetic crops in, finite vectors of the declared dim out."""

from __future__ import annotations

import numpy as np

from facebridge.errors import MismatchError
from facebridge.models.base import EmbeddingModel

N_PROBES = 3


def check_model(model: EmbeddingModel, seed: int = 0) -> EmbeddingModel:
    """Run ``model`` on :data:`N_PROBES` random crops of its input size and return it when the output is sane.

    Catches a spec that does not fit its network (layout, input size, dtype, output dim) before any real work.
    Raises ModelRuntimeError when the network fails to run, MismatchError when the output has another dim or
    is not finite.
    """
    w, h = model.spec.input_size
    crops = np.random.default_rng(seed).integers(0, 256, size=(N_PROBES, h, w, 3), dtype=np.uint8)
    out = model.embed(crops)  # checks the shape against spec.dim
    if not np.isfinite(out).all():
        raise MismatchError(f"model '{model.spec.name}' returned non-finite values (NaN or inf) on random crops")
    return model
