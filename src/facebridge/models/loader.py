"""``load_model``: a name, spec file or ModelSpec in, a verified, ready EmbeddingModel out."""

from __future__ import annotations

import os
from typing import Any

from facebridge.errors import InvalidInputError
from facebridge.models.base import EmbeddingModel
from facebridge.models.registry import get_spec
from facebridge.models.runtimes import adapter_class, unknown_option
from facebridge.models.spec import ModelSpec
from facebridge.models.weights import resolve_models_dir, verify_weights

#: Crops per runtime call for a model whose spec names no ``batch_size``.
DEFAULT_BATCH = 32


def load_model(
    name_or_spec: str | os.PathLike[str] | ModelSpec,
    models_dir: str | os.PathLike[str] | None = None,
    *,
    num_threads: int = 2,
    batch_size: int | None = None,
    **options: Any,
) -> EmbeddingModel:
    """Resolve a model, check its weights' sha256 and open it on its runtime.

    Parameters
    ----------
    name_or_spec : registry name (``"edgeface-xs"``), path to a spec TOML, or a ModelSpec.
    models_dir : where weight paths are relative to; None resolves as :func:`resolve_models_dir`.
    num_threads : intra-op threads for the runtime (OpenCV's setting is process-wide).
    batch_size : most crops per runtime call (None: the spec's ``batch_size``, else ``DEFAULT_BATCH``); fixed-batch
        graphs are looped transparently.
    **options : runtime-specific options overriding the spec's ``[options]`` (e.g. ``num_jitters=1`` for dlib).

    Raises NotFoundError, MissingFileError, IntegrityError, MissingDependencyError or InvalidInputError.
    """
    spec = name_or_spec if isinstance(name_or_spec, ModelSpec) else get_spec(name_or_spec)
    batch_size = batch_size if batch_size is not None else spec.batch_size or DEFAULT_BATCH
    for key, value in (("num_threads", num_threads), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInputError(f"{key} must be an int >= 1, got {value!r}")
    problem = unknown_option(spec.runtime, options)
    if problem:
        raise InvalidInputError(problem)
    cls = adapter_class(spec.runtime)
    root = resolve_models_dir(models_dir)
    paths = verify_weights(spec, root)
    return cls(
        spec,
        [paths[f.path] for f in spec.files],
        spec.fingerprint(root),
        num_threads=num_threads,
        batch_size=batch_size,
        options={**spec.options, **options},
    )
