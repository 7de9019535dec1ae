"""The face detector's weights: declared like a model's (path, sha256), with where they come from."""

from __future__ import annotations

from facebridge.models.spec import WeightFile

#: The YuNet face detector's weights: in the models directory, sha256-checked like a model's.
YUNET = WeightFile(
    "yunet/face_detection_yunet.onnx", "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0"
)
#: Where the pinned YuNet file comes from, and its licence (YuNet is OpenCV Zoo's detector).
YUNET_SOURCE = "face_detection_yunet.onnx from github.com/RuDr8A/RealTime-PPE-Compliance (YuNet of OpenCV Zoo)"
YUNET_LICENCE = "MIT (OpenCV Zoo)"
