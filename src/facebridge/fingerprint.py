"""The fingerprint of an embedding space: which model (weights, alignment, preprocessing) made a set's vectors.

It sits below models and embeddings alike: a model spec computes its fingerprint, an embedding set carries one,
and map files record the two they map between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from facebridge.errors import DataFormatError


@dataclass(frozen=True)
class Fingerprint:
    """Identifies an embedding space: two sets are comparable only if their fingerprints agree.

    Parameters
    ----------
    model : registry name of the network, e.g. ``"edgeface-xs"``.
    weights_sha256 : sha256 of the weights file(s); empty when unknown (user-supplied arrays).
    alignment : alignment template used for the crops, e.g. ``"arc112"``.
    preprocessing : version tag of facebridge's preprocessing for that model.
    """

    model: str
    weights_sha256: str = ""
    alignment: str = ""
    preprocessing: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Fingerprint:
        """Build from a mapping; unknown keys are ignored, a missing or non-string model is an error."""
        if not isinstance(data, Mapping) or not isinstance(data.get("model"), str):
            raise DataFormatError("fingerprint must be a mapping with a string 'model'")
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in data.items() if k in known})

    def same_space(self, other: Fingerprint) -> bool:
        """True when both name the same model; hashes are compared only when both are known."""
        if self.model != other.model:
            return False
        return not (self.weights_sha256 and other.weights_sha256 and self.weights_sha256 != other.weights_sha256)
