"""A photo replaced under the same name is forgotten by the store (status, cached face, every model's rows) and so
embedded again on the next run; untouched photos keep everything (issue 24)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from facebridge.embeddings import EmbeddingSet, Fingerprint, read_embeddings, write_parquet
from facebridge.embeddings.store import STAMPS_FILE, STATUS_FILE, read_status, write_status
from facebridge.extraction.stamps import forget_changed, read_stamps
from facebridge.faces import Detection
from facebridge.faces.cache import DetectionCache

IDS = ["P1/a.jpg", "P1/b.jpg", "P2/c.jpg"]


def store(tmp_path: Path) -> tuple[Path, Path]:
    """Three image files and a store that took them all in: status, detections, two models' parts and sets."""
    root, out = tmp_path / "images", tmp_path / "store"
    for i in IDS:
        (root / i).parent.mkdir(parents=True, exist_ok=True)
        (root / i).write_bytes(i.encode())
    out.mkdir()
    write_status(out / STATUS_FILE, {i: ("ok", "", "yunet", 0.9) for i in IDS})
    cache = DetectionCache.load(out / "detections-yunet.parquet", "yunet")
    for i in IDS:
        cache.put(i, Detection(np.array([1, 1, 5, 5]), None, 0.9, "yunet"))
    cache.flush()
    for model in ("m1", "m2"):
        (out / "parts" / model).mkdir(parents=True)
        es = EmbeddingSet(np.array(IDS, object), np.eye(3, 4), Fingerprint(model))
        write_parquet(es.subset(IDS[:2]), out / "parts" / model / "part-1-00000.parquet")
        write_parquet(es.subset(IDS[2:]), out / "parts" / model / "part-1-00001.parquet")
        write_parquet(es, out / f"{model}.parquet")
    return root, out


def test_a_replaced_photo_is_forgotten_and_the_others_kept(tmp_path) -> None:
    root, out = store(tmp_path)
    assert forget_changed(out, root, IDS) == []  # first stamps: nothing to compare with
    assert set(read_stamps(out / STAMPS_FILE)) == set(IDS)
    assert forget_changed(out, root, IDS) == []  # unchanged
    (root / "P2/c.jpg").write_bytes(b"another photo, same name")
    touched = root / "P1/a.jpg"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))  # same bytes, new time
    assert forget_changed(out, root, IDS) == ["P1/a.jpg", "P2/c.jpg"]
    assert sorted(read_status(out / STATUS_FILE)) == ["P1/b.jpg"]
    assert DetectionCache.load(out / "detections-yunet.parquet").ids() == ["P1/b.jpg"]
    for model in ("m1", "m2"):
        parts = sorted((out / "parts" / model).glob("part-*.parquet"))
        assert [pq.read_table(p).column("id").to_pylist() for p in parts] == [["P1/b.jpg"]]  # the empty part removed
        kept = read_embeddings(out / f"{model}.parquet")
        assert list(kept.ids) == ["P1/b.jpg"] and kept.fingerprint == Fingerprint(model)
    assert forget_changed(out, root, IDS) == []  # the new stamps were recorded


def test_a_store_without_stamps_forgets_nothing(tmp_path) -> None:
    """A store from before stamps cannot tell what changed: it keeps everything and stamps the files as they are."""
    root, out = store(tmp_path)
    (root / "P1/b.jpg").write_bytes(b"changed before stamps existed")
    assert forget_changed(out, root, IDS) == [] and sorted(read_status(out / STATUS_FILE)) == IDS
