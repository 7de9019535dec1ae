"""Maps between embedding spaces (linear ones fitted from streamed sufficient statistics, kernel and MLP ones from
rows), target-space views, and their files."""

from facebridge.maps._estimator import MapEstimator
from facebridge.maps.adapt import DeploymentAlign, Moments, SNorm
from facebridge.maps.affine import AffineMap
from facebridge.maps.base import LinearMap
from facebridge.maps.ensemble import EnsembleMap
from facebridge.maps.fixed_ridge import FixedRidge
from facebridge.maps.io import MAP_SUFFIX, MapFile, load_map, save_map
from facebridge.maps.kernel import KERNEL_DEFAULTS, KernelBasis, LandmarkKernelMap, kernel_columns
from facebridge.maps.lstsq import LstsqMap
from facebridge.maps.map_file import Provenance
from facebridge.maps.mlp import MLPMap
from facebridge.maps.pca_ridge import PCARidgeMap
from facebridge.maps.person_mean import PersonMeanRidgeCV
from facebridge.maps.procrustes import ProcrustesMap
from facebridge.maps.rank_path import RANK_FAMILIES, RankPath
from facebridge.maps.registry import METHODS, STATS_METHODS, fit_rows, fit_targets, make_map, map_class
from facebridge.maps.ridge import RidgeMap
from facebridge.maps.ridge_cv import ALPHAS, AffineRidgeCV, CVSplit
from facebridge.maps.rrr import ReducedRankMap
from facebridge.maps.softmax import SoftmaxMap
from facebridge.maps.spectrum import Spectrum
from facebridge.maps.stats import Scatter, SufficientStats
from facebridge.maps.targets import RidgeToTargets
from facebridge.maps.unpaired import UnpairedAligner
from facebridge.maps.views import VIEW_KINDS, WHITEN_SHRINK, TargetView

__all__ = [
    "ALPHAS",
    "KERNEL_DEFAULTS",
    "MAP_SUFFIX",
    "METHODS",
    "RANK_FAMILIES",
    "STATS_METHODS",
    "VIEW_KINDS",
    "WHITEN_SHRINK",
    "AffineMap",
    "AffineRidgeCV",
    "CVSplit",
    "DeploymentAlign",
    "EnsembleMap",
    "FixedRidge",
    "KernelBasis",
    "LandmarkKernelMap",
    "LinearMap",
    "LstsqMap",
    "MLPMap",
    "MapEstimator",
    "MapFile",
    "Moments",
    "PCARidgeMap",
    "PersonMeanRidgeCV",
    "ProcrustesMap",
    "Provenance",
    "RankPath",
    "ReducedRankMap",
    "RidgeMap",
    "RidgeToTargets",
    "SNorm",
    "Scatter",
    "SoftmaxMap",
    "Spectrum",
    "SufficientStats",
    "TargetView",
    "UnpairedAligner",
    "fit_rows",
    "fit_targets",
    "kernel_columns",
    "load_map",
    "make_map",
    "map_class",
    "save_map",
]
