"""Map-file fixtures: a fitted map of every registered family, and a version 1 file as facebridge 0.x wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import safetensors.numpy

from facebridge.embeddings import Fingerprint
from facebridge.maps import make_map
from facebridge.maps.map_file import HEADER_DIGEST, header_digest

SRC = Fingerprint("edgeface-xs", "ab" * 32, "arc112", "1")
TGT = Fingerprint("dlib-resnet", "cd" * 32, "dlib150", "1")


def training_data(n: int = 60, dx: int = 6, dy: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-norm source rows, their noisy linear images, and people ids (``p{k}/{i}.jpg``, 3 images each)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, dx))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = X @ rng.normal(size=(dx, dy)) + 0.05 * rng.normal(size=(n, dy))
    ids = np.array([f"p{i // 3}/{i}.jpg" for i in range(n)], dtype=object)
    return X, Y, ids


def fitted(method: str = "ridge", **params):
    """A map of ``method`` fitted on :func:`training_data`, and its training source rows."""
    X, Y, _ = training_data()
    return make_map(method, **params).fit(X, Y), X


def write_v1(path: Path, estimator, *, source: Fingerprint = SRC, target: Fingerprint = TGT) -> Path:
    """A format version 1 file exactly as ``save_map`` wrote it before version 2 (coef/intercept, no digest)."""
    coef, intercept = estimator.coef_, estimator.intercept_
    header = {
        "format_version": 1,
        "facebridge_version": "0.1.0",
        "method": estimator.method,
        "params": estimator.get_params(),
        "source": source.to_dict(),
        "target": target.to_dict(),
        "source_dim": int(coef.shape[0]),
        "target_dim": int(coef.shape[1]),
        "n_train": int(estimator.n_samples_seen_),
    }
    tensors = {"coef": np.ascontiguousarray(coef, np.float64), "intercept": np.ascontiguousarray(intercept, np.float64)}
    path.write_bytes(safetensors.numpy.save(tensors, metadata={"facebridge": json.dumps(header)}))
    return path


def read_header(path: Path) -> dict:
    """The facebridge header of a map file."""
    with open(path, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        return json.loads(json.loads(fh.read(size))["__metadata__"]["facebridge"])


def rewrite(path: Path, edit, *, reseal: bool = True) -> None:
    """Re-save ``path`` with its facebridge header changed by ``edit`` (a function of the header dict).

    ``reseal`` recomputes the header's own digest (version 3), as a deliberate hostile edit would, so that the
    checks behind it are reached; without it the edit is what a flipped bit or a careless hand does.
    """
    tensors = safetensors.numpy.load(path.read_bytes())
    header = read_header(path)
    edit(header)
    if reseal and HEADER_DIGEST in header:
        header[HEADER_DIGEST] = header_digest(header)
    path.write_bytes(safetensors.numpy.save(tensors, metadata={"facebridge": json.dumps(header)}))


def as_v2(path: Path) -> Path:
    """``path`` (a version 3 file) as version 2 wrote it: the same header without its own digest."""
    rewrite(path, lambda h: (h.pop(HEADER_DIGEST), h.update(format_version=2)), reseal=False)
    return path


def tensor_offset(path: Path, name: str) -> int:
    """Byte offset in ``path`` where tensor ``name``'s data begins."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    return 8 + size + json.loads(data[8 : 8 + size])[name]["data_offsets"][0]
