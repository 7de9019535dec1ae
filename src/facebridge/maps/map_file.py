"""What a map file holds besides its arrays: the loaded map, its provenance, and the digests of its tensors and
header."""

from __future__ import annotations

import hashlib
import json
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from facebridge.errors import DataFormatError
from facebridge.fingerprint import Fingerprint

#: The safetensors metadata key that holds facebridge's JSON header (map and canonical-space files alike).
META_KEY = "facebridge"


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise DataFormatError(f"provenance {key!r} must be an integer >= 0, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Provenance:
    """Where a map was trained: how many ids (corresponding pairs) and people, and on which dataset.

    Zero and ``""`` mean unknown (files written before format version 2 record only the pair count).
    """

    n_ids: int = 0
    n_people: int = 0
    dataset: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Provenance:
        """Type-checked; raises DataFormatError naming the bad field."""
        if not isinstance(data, Mapping):
            raise DataFormatError(f"provenance must be a mapping, got {type(data).__name__}")
        dataset = data.get("dataset", "")
        if not isinstance(dataset, str):
            raise DataFormatError(f"provenance 'dataset' must be a string, got {dataset!r}")
        return cls(_count(data, "n_ids"), _count(data, "n_people"), dataset)


@dataclass(frozen=True)
class MapFile:
    """A loaded map and where it comes from.

    Parameters
    ----------
    estimator : the fitted map (any registered family).
    source, target : fingerprints of the spaces it maps from and to.
    source_dim, target_dim : input and output widths.
    provenance : what it was trained on.
    view : the target-space view carried with the map (apply it to both sides before cosine), or None.
    tensors_sha256 : digest of the stored tensors ("" for format version 1, which has none).
    format_version, facebridge_version : what wrote the file.
    """

    estimator: Any
    source: Fingerprint
    target: Fingerprint
    source_dim: int
    target_dim: int
    provenance: Provenance
    view: Any | None
    tensors_sha256: str
    format_version: int
    facebridge_version: str

    @property
    def n_train(self) -> int:
        """Corresponding pairs the map was fitted on."""
        return self.provenance.n_ids

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data about the map (no arrays): what a mapped embedding set records."""
        return {
            "method": self.estimator.method,
            "params": self.estimator.get_params(),
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "provenance": self.provenance.to_dict(),
            "view": None if self.view is None else self.view.get_params(),
            "tensors_sha256": self.tensors_sha256,
        }


def tensors_digest(tensors: Mapping[str, np.ndarray]) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order: a flipped bit changes it."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        digest.update(f"{name}\0{arr.dtype.str}\0{arr.shape}\0".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def read_header(data: bytes, path: object, what: str) -> dict[str, Any]:
    """The JSON header facebridge keeps in a safetensors file's metadata (:data:`META_KEY`), read from the file's
    bytes before any tensor is decoded; it must carry an integer ``format_version`` >= 1. ``what`` names the kind of
    file in the one-line DataFormatError (``"facebridge map file"``, ``"canonical-space file"``)."""
    if len(data) < 8:
        raise DataFormatError(f"{path}: not a {what} (only {len(data)} bytes)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise DataFormatError(f"{path}: truncated or not a safetensors file (header says {size} bytes)")
    try:
        header = json.loads(json.loads(data[8 : 8 + size])["__metadata__"][META_KEY])
        version = header["format_version"]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise DataFormatError(f"{path}: not a {what} (unreadable header: {type(exc).__name__})") from None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DataFormatError(f"{path}: not a {what} (format_version {version!r})")
    return header


#: The header field holding :func:`header_digest` (format version 3 on).
HEADER_DIGEST = "header_sha256"


def header_digest(header: Mapping[str, Any]) -> str:
    """sha256 of every header field but :data:`HEADER_DIGEST` itself, as canonical JSON (sorted keys, no spaces).

    The header holds ``tensors_sha256``, so this one digest covers the whole file: an edited parameter (``gamma``
    0.25 -> 0.35, ``normalize`` true -> false) changes it as a flipped tensor bit does. Values must be
    JSON-serialisable (numpy scalars already converted).
    """
    body = {k: v for k, v in header.items() if k != HEADER_DIGEST}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
