"""Face-recognition models: declared specs (TOML), a registry, sha256-checked weights and one adapter per runtime.

Importing this package loads no runtime; :func:`load_model` imports the one a model needs.

>>> model = load_model("edgeface-xs")            # doctest: +SKIP
>>> model.embed(crops)                           # (n, 112, 112, 3) uint8 RGB arc112 crops -> (n, 512) float32
"""

from facebridge.models.base import EmbeddingModel
from facebridge.models.loader import load_model
from facebridge.models.preprocess import preprocess
from facebridge.models.registry import get_spec, list_specs, register_spec_file
from facebridge.models.spec import ALIGNMENT_SIZES, ModelSpec, WeightFile, load_spec, loads_spec, parse_spec
from facebridge.models.weights import missing_weights, resolve_models_dir, verify_weights, weights_status

__all__ = [
    "ALIGNMENT_SIZES",
    "EmbeddingModel",
    "ModelSpec",
    "WeightFile",
    "get_spec",
    "list_specs",
    "load_model",
    "load_spec",
    "loads_spec",
    "missing_weights",
    "parse_spec",
    "preprocess",
    "register_spec_file",
    "resolve_models_dir",
    "verify_weights",
    "weights_status",
]
