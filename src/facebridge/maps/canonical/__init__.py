"""A canonical embedding space shared by N models: one encoder and one decoder per model instead of a map per pair."""

from facebridge.maps.canonical.file import CANON_SUFFIX, CanonFile, load_space, save_space
from facebridge.maps.canonical.solve import METHODS as CANON_METHODS
from facebridge.maps.canonical.space import CanonicalSpace
from facebridge.maps.canonical.stats import JointStats

__all__ = [
    "CANON_METHODS",
    "CANON_SUFFIX",
    "CanonFile",
    "CanonicalSpace",
    "JointStats",
    "load_space",
    "save_space",
]
