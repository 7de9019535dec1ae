"""Detections computed once per image and detector, kept in one Parquet file per detector and shared by all models.

Layout of ``<cache_dir>/detections-<detector>.parquet``: one row per image id, sorted by id, with columns ``id``
(string), ``status`` (``"detected"``, ``"fallback"`` when :func:`fallback_detection` was used, ``"no_face"`` when
nothing was found and no fallback was wanted), ``box`` (fixed list of 4 float32, null for ``no_face``),
``landmarks`` (fixed list of 10 float32 ``x0, y0, ..., x4, y4``, null when absent), ``score`` (float64) and
``detector`` (string), ``scale`` (float64: the longer side of the copy the detector saw over the image's, 1.0 at
full resolution; see :mod:`facebridge.faces.bounded`); the detector name and format version sit in the schema
metadata. Version 1 files have no ``scale`` column: they were all detected at full resolution (1.0). Every
:meth:`DetectionCache.flush` rewrites the file atomically, so a killed run leaves exactly the rows of its last
flush, each once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.errors import DataFormatError, InvalidInputError, MismatchError
from facebridge.faces.chain import chain_members
from facebridge.faces.detection import FALLBACK, Detection
from facebridge.storage import atomic_write_table

FORMAT_VERSION = 2
META_KEY = b"facebridge_detections"
DETECTED, NO_FACE = "detected", "no_face"

SCHEMA_FIELDS = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("box", pa.list_(pa.float32(), 4)),
    pa.field("landmarks", pa.list_(pa.float32(), 10)),
    pa.field("score", pa.float64()),
    pa.field("detector", pa.string()),
    pa.field("scale", pa.float64(), nullable=False),
]


def cache_path(cache_dir: str | os.PathLike[str], detector: str) -> Path:
    """``<cache_dir>/detections-<detector>.parquet``."""
    return Path(cache_dir) / f"detections-{detector}.parquet"


def face_status(detection: Detection | None) -> str:
    """``"detected"``, ``"fallback"`` or ``"no_face"`` (None) for a cached detection."""
    if detection is None:
        return NO_FACE
    return FALLBACK if detection.detector == FALLBACK else DETECTED


class DetectionCache:
    """The face chosen in each image by one detector, keyed by image id.

    Build with :meth:`load`; :meth:`put` and :meth:`put_many` change memory only, :meth:`flush` persists.
    Not safe for two processes writing the same file at once.

    Parameters
    ----------
    path : the Parquet file.
    detector : name of the detector whose faces this holds; None until the first detection is put.
    faces : id -> the chosen face, or None when none was found.
    scales : id -> the detection scale (:func:`~facebridge.faces.bounded.detection_scale`); 1.0 when absent.
    """

    def __init__(
        self,
        path: Path,
        detector: str | None,
        faces: dict[str, Detection | None],
        scales: dict[str, float] | None = None,
    ) -> None:
        self.path = path
        self.detector = detector
        self._faces = faces
        self._scales = {i: 1.0 for i in faces} | (scales or {})
        self._dirty = False

    @classmethod
    def load(cls, path: str | os.PathLike[str], detector: str | None = None) -> DetectionCache:
        """Read the cache at ``path``, or start an empty one when the file does not exist yet.

        When ``detector`` is given, a file written for another detector raises MismatchError.
        """
        path = Path(path)
        if not path.exists():
            return cls(path, detector, {})
        stored, faces, scales = _read(path)
        if detector is not None and stored is not None and detector != stored:
            raise MismatchError(f"{path} holds detections of {stored!r}, not {detector!r}")
        return cls(path, stored or detector, faces, scales)

    def __len__(self) -> int:
        return len(self._faces)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._faces

    def ids(self) -> list[str]:
        """Cached image ids, sorted."""
        return sorted(self._faces)

    def get(self, image_id: str) -> Detection | None:
        """The cached face of ``image_id``; None when it is not cached or no face was found (``in`` tells which)."""
        return self._faces.get(image_id)

    def scale(self, image_id: str) -> float:
        """The detection scale of a cached image: a cached face is valid only for the same scale."""
        return self._scales[image_id]

    def put(self, image_id: str, detection: Detection | None, scale: float = 1.0) -> None:
        """Cache the face of one image (None: no face found) found at detection ``scale`` (in (0, 1]); it
        persists at the next :meth:`flush`.

        The face must come from the cache's detector, or from a member of it when that is a
        :class:`~facebridge.faces.chain.FallbackChain` (``"dlib-hog+yunet"`` holds dlib-hog and yunet faces).
        """
        if not isinstance(image_id, str) or not image_id:
            raise InvalidInputError(f"image id must be a non-empty string, got {image_id!r}")
        if not 0.0 < scale <= 1.0:
            raise InvalidInputError(f"detection scale must be in (0, 1], got {scale}")
        if detection is not None and detection.detector != FALLBACK:
            if self.detector is None:
                self.detector = detection.detector
            elif detection.detector not in chain_members(self.detector):
                raise MismatchError(
                    f"{image_id}: a {detection.detector!r} detection put into the {self.detector!r} cache"
                )
        self._faces[image_id] = detection
        self._scales[image_id] = float(scale)
        self._dirty = True

    def discard(self, image_ids: Iterable[str]) -> None:
        """Forget the faces of ``image_ids`` (e.g. images replaced on disk); persists at the next :meth:`flush`."""
        for image_id in image_ids:
            if self._faces.pop(image_id, 0) != 0:
                self._scales.pop(image_id, None)
                self._dirty = True

    def put_many(self, items: Iterable[tuple[str, Detection | None]]) -> None:
        """:meth:`put` for each ``(image_id, detection)``."""
        for image_id, detection in items:
            self.put(image_id, detection)

    def flush(self) -> None:
        """Write every cached face to :attr:`path` atomically (temporary file, then ``os.replace``); no-op when
        nothing changed since the last flush."""
        if self._dirty:
            atomic_write_table(_to_table(self._faces, self._scales, self.detector), self.path)
            self._dirty = False


def _fixed_list(rows: list[np.ndarray | None], size: int) -> pa.Array:
    flat = [np.zeros(size, np.float32) if r is None else np.ravel(r) for r in rows]
    values = pa.array(np.concatenate(flat) if flat else np.zeros(0, np.float32), type=pa.float32())
    return pa.FixedSizeListArray.from_arrays(values, size, mask=pa.array([r is None for r in rows], pa.bool_()))


def _to_table(faces: dict[str, Detection | None], scales: dict[str, float], detector: str | None) -> pa.Table:
    ids = sorted(faces)
    dets = [faces[i] for i in ids]
    header = json.dumps({"format_version": FORMAT_VERSION, "detector": detector}).encode()
    arrays = [
        pa.array(ids, type=pa.string()),
        pa.array([face_status(d) for d in dets], type=pa.string()),
        _fixed_list([None if d is None else d.box for d in dets], 4),
        _fixed_list([None if d is None else d.landmarks for d in dets], 10),
        pa.array([None if d is None else d.score for d in dets], type=pa.float64()),
        pa.array([None if d is None else d.detector for d in dets], type=pa.string()),
        pa.array([scales[i] for i in ids], type=pa.float64()),
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(SCHEMA_FIELDS, metadata={META_KEY: header}))


def _read(path: Path) -> tuple[str | None, dict[str, Detection | None], dict[str, float]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    try:
        header = json.loads((table.schema.metadata or {})[META_KEY])
        detector, version = header["detector"], int(header["format_version"])
    except (KeyError, TypeError, ValueError):
        raise DataFormatError(f"{path}: not a facebridge detection cache (no valid '{META_KEY.decode()}')") from None
    if version > FORMAT_VERSION:
        raise DataFormatError(f"{path}: format version {version} is newer than this facebridge ({FORMAT_VERSION})")
    if version == 1 and "scale" not in table.column_names:  # version 1 always detected at full resolution
        table = table.append_column("scale", pa.array(np.ones(table.num_rows)))
    missing = [f.name for f in SCHEMA_FIELDS if f.name not in table.column_names]
    if missing:
        raise DataFormatError(f"{path}: missing columns {missing}")
    faces: dict[str, Detection | None] = {}
    scales: dict[str, float] = {}
    for row in table.select([f.name for f in SCHEMA_FIELDS]).to_pylist():
        if row["id"] in faces:
            raise DataFormatError(f"{path}: id {row['id']!r} appears twice")
        try:
            faces[row["id"]] = _detection(row)
        except InvalidInputError as exc:
            raise DataFormatError(f"{path}: bad row for {row['id']!r} ({exc})") from None
        if row["scale"] is None or not 0.0 < row["scale"] <= 1.0:
            raise DataFormatError(f"{path}: bad row for {row['id']!r} (detection scale {row['scale']})")
        scales[row["id"]] = row["scale"]
    return detector, faces, scales


def _detection(row: dict) -> Detection | None:
    if row["box"] is None:
        return None
    landmarks = None if row["landmarks"] is None else np.reshape(row["landmarks"], (5, 2))
    return Detection(row["box"], landmarks, row["score"], row["detector"])
