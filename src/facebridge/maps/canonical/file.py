"""Canonical-space files (``.fbcanon``): one safetensors file, no pickle, the same safety rules as map files.

The tensors are each member's encoder and decoder (``enc.<i>.coef``, ``enc.<i>.bias``, ``dec.<i>.coef``,
``dec.<i>.bias``, ``i`` the member's position). The safetensors metadata key ``facebridge`` holds a JSON header:
format and facebridge versions, the space's ``params``, its members (name, fingerprint, width, the member a joined
model was fitted against), founding sample counts and provenance, and ``sha256``: a digest of the whole header
(every other field, canonical JSON) and of every tensor (``maps.map_file.tensors_digest``), checked before anything
in the file is used. A bit changed anywhere a reader looks is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

import facebridge
from facebridge.errors import DataFormatError, FacebridgeError, MismatchError, MissingFileError, NotFoundError
from facebridge.fingerprint import Fingerprint
from facebridge.maps._checks import check_bounded
from facebridge.maps.canonical.space import CanonicalSpace
from facebridge.maps.map_file import META_KEY, Provenance, read_header, tensors_digest
from facebridge.storage import atomic_write

CANON_SUFFIX = ".fbcanon"
FORMAT_VERSION = 1
_KIND = "canonical_space"


@dataclass(frozen=True)
class CanonFile:
    """A loaded canonical space: the fitted space, each member's fingerprint, provenance, and the file's digest."""

    space: CanonicalSpace
    members: dict[str, Fingerprint]
    provenance: Provenance
    sha256: str

    @property
    def fingerprint(self) -> Fingerprint:
        """The canonical space's own fingerprint (for sets mapped into it): named by the file's digest."""
        return Fingerprint(model=f"canonical:{self.sha256[:12]}", weights_sha256=self.sha256)

    def member_of(self, fingerprint: Fingerprint) -> str:
        """The member whose space ``fingerprint`` names; MismatchError naming both when none (or a retrained model)."""
        for name, fp in self.members.items():
            if fp.same_space(fingerprint):
                return name
        raise MismatchError(
            f"{fingerprint.model} embeddings (weights {fingerprint.weights_sha256[:12] or 'unknown'}) are not in this "
            f"canonical space; its members are {', '.join(self.members)}"
        )

    def fingerprint_of(self, member: str) -> Fingerprint:
        if member not in self.members:
            raise NotFoundError(f"{member!r} is not a member of this canonical space ({', '.join(self.members)})")
        return self.members[member]


def header_digest(header: Mapping[str, Any], tensors_sha256: str) -> str:
    """sha256 of the header's canonical JSON (without its own ``sha256``) and of the tensors' digest."""
    body = {k: v for k, v in header.items() if k != "sha256"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    digest.update(tensors_sha256.encode())
    return digest.hexdigest()


def _tensors(space: CanonicalSpace) -> dict[str, np.ndarray]:
    out = {}
    for i, m in enumerate(space.models_):
        arrays = {"enc": (space.enc_coef_[m], space.enc_bias_[m]), "dec": (space.dec_coef_[m], space.dec_bias_[m])}
        for side, (coef, bias) in arrays.items():
            out[f"{side}.{i}.coef"] = np.ascontiguousarray(coef, dtype=np.float64)
            out[f"{side}.{i}.bias"] = np.ascontiguousarray(bias, dtype=np.float64)
    return out


def save_space(
    space: CanonicalSpace,
    path: str | os.PathLike[str],
    *,
    members: Mapping[str, Fingerprint],
    provenance: Provenance | None = None,
) -> Path:
    """Write a fitted space; ``members`` gives every member's fingerprint (by member name)."""
    space._require_fitted()
    missing = [m for m in space.models_ if m not in members]
    if missing:
        raise MismatchError(f"no fingerprint for members {', '.join(missing)}")
    tensors = _tensors(space)
    header: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": _KIND,
        "facebridge_version": facebridge.__version__,
        "params": space.get_params(),
        "members": [
            {"name": m, "fingerprint": members[m].to_dict(), "dim": d, "via": space.via_[m]}
            for m, d in space.dims().items()
        ],
        "dim": int(space.dim_),
        "n_samples_seen": int(space.n_samples_seen_),
        "n_iter": int(space.n_iter_),
        "provenance": (provenance or Provenance(n_ids=int(space.n_samples_seen_))).to_dict(),
    }
    header["sha256"] = header_digest(header, tensors_digest(tensors))
    metadata = {META_KEY: json.dumps(header)}
    path = Path(path)
    atomic_write(path, lambda tmp: safetensors.numpy.save_file(tensors, tmp, metadata=metadata))
    return path


def _header(data: bytes, path: Path) -> dict[str, Any]:
    header = read_header(data, path, "canonical-space file")
    kind, version = header.get("kind"), header["format_version"]
    if kind != _KIND:
        raise DataFormatError(f"{path}: not a canonical-space file (kind {kind!r}, format_version {version!r})")
    if version > FORMAT_VERSION:
        raise DataFormatError(f"{path}: canonical-space format {version} is newer than this facebridge supports")
    return header


def _space(header: Mapping[str, Any], tensors: Mapping[str, np.ndarray]) -> CanonicalSpace:
    """The space the (already verified) header and tensors describe, with every shape checked."""
    space = CanonicalSpace().set_params(**header["params"])
    dim = int(header["dim"])
    space.models_, space.via_ = [], {}
    space.enc_coef_, space.enc_bias_, space.dec_coef_, space.dec_bias_ = {}, {}, {}, {}
    for i, member in enumerate(header["members"]):
        name, width = str(member["name"]), int(member["dim"])
        shapes = {"enc": ((width, dim), (dim,)), "dec": ((dim, width), (width,))}
        for side, (coef_shape, bias_shape) in shapes.items():
            coef, bias = tensors[f"{side}.{i}.coef"], tensors[f"{side}.{i}.bias"]
            if coef.shape != coef_shape or bias.shape != bias_shape:
                raise DataFormatError(f"{side}.{i} of {name} has shapes {coef.shape}, {bias.shape}")
            getattr(space, f"{side}_coef_")[name] = check_bounded(coef.astype(np.float64), f"{side}.{i}.coef", name)
            getattr(space, f"{side}_bias_")[name] = check_bounded(bias.astype(np.float64), f"{side}.{i}.bias", name)
        space.models_.append(name)
        space.via_[name] = member["via"]
    if len(tensors) != 4 * len(space.models_):
        raise DataFormatError("the file holds tensors of no member")
    space.dim_, space.n_samples_seen_, space.n_iter_ = dim, int(header["n_samples_seen"]), int(header["n_iter"])
    return space


def load_space(path: str | os.PathLike[str]) -> CanonFile:
    """Read a canonical-space file; every way it can be wrong is a DataFormatError naming it."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"canonical-space file not found: {path}")
    data = path.read_bytes()
    header = _header(data, path)
    try:
        tensors = safetensors.numpy.load(data)
        if header.get("sha256") != header_digest(header, tensors_digest(tensors)):
            raise DataFormatError("header or tensors do not match their sha256: the file is corrupted or was edited")
        space = _space(header, tensors)
        members = {str(m["name"]): Fingerprint.from_dict(m["fingerprint"]) for m in header["members"]}
        provenance = Provenance.from_dict(header.get("provenance"))
    except (SafetensorError, FacebridgeError, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise DataFormatError(f"{path}: corrupt or inconsistent canonical-space file ({exc})") from None
    return CanonFile(space, members, provenance, header["sha256"])
