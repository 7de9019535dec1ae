"""Faces: detections with five landmarks, the choice of the labelled face, named alignment templates, the
per-detector detection cache, and detection on a copy of bounded size. Detectors (``yunet``, ``dlib_hog``) import
their runtimes only when built; :class:`FallbackChain` asks a second detector where the first finds no face."""

from facebridge.faces.align import align, similarity_matrix
from facebridge.faces.bounded import DETECT_MAX_SIDE, detect_bounded, detection_scale
from facebridge.faces.cache import DetectionCache, cache_path
from facebridge.faces.chain import FallbackChain, chain_members
from facebridge.faces.detection import (
    FALLBACK,
    LANDMARKS_5,
    MIN_IMAGE_SIDE,
    Detection,
    Detector,
    choose_face,
    face_priority,
    fallback_detection,
)
from facebridge.faces.templates import TEMPLATES, AlignedFace, Template, get_template

__all__ = [
    "DETECT_MAX_SIDE",
    "FALLBACK",
    "LANDMARKS_5",
    "MIN_IMAGE_SIDE",
    "TEMPLATES",
    "AlignedFace",
    "Detection",
    "DetectionCache",
    "Detector",
    "FallbackChain",
    "Template",
    "align",
    "cache_path",
    "chain_members",
    "choose_face",
    "detect_bounded",
    "detection_scale",
    "face_priority",
    "fallback_detection",
    "get_template",
    "similarity_matrix",
]
