"""Linear maps between embedding spaces, fitted from streamed sufficient statistics, and their files."""

from facebridge.maps.affine import AffineMap
from facebridge.maps.base import LinearMap
from facebridge.maps.io import MAP_SUFFIX, MapFile, load_map, save_map
from facebridge.maps.lstsq import LstsqMap
from facebridge.maps.map_file import Provenance
from facebridge.maps.pca_ridge import PCARidgeMap
from facebridge.maps.procrustes import ProcrustesMap
from facebridge.maps.registry import METHODS, make_map, map_class
from facebridge.maps.ridge import RidgeMap
from facebridge.maps.rrr import ReducedRankMap
from facebridge.maps.stats import Scatter, SufficientStats

__all__ = [
    "MAP_SUFFIX",
    "METHODS",
    "AffineMap",
    "LinearMap",
    "LstsqMap",
    "MapFile",
    "PCARidgeMap",
    "ProcrustesMap",
    "Provenance",
    "ReducedRankMap",
    "RidgeMap",
    "Scatter",
    "SufficientStats",
    "load_map",
    "make_map",
    "map_class",
    "save_map",
]
