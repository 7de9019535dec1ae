"""DetectionCache: Parquet round trip, atomic flush, resume after a kill, and bad files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from facebridge.errors import DataFormatError, InvalidInputError, MismatchError
from facebridge.faces import Detection, DetectionCache, cache_path, fallback_detection
from facebridge.faces.templates import ARC112_POINTS


def yunet_det(i: int) -> Detection:
    return Detection((i, 2 * i, 50 + i, 60 + i), ARC112_POINTS + i, 0.5 + i / 100, "yunet")


def test_round_trip(tmp_path) -> None:
    path = cache_path(tmp_path / "cache", "yunet")
    assert path == tmp_path / "cache" / "detections-yunet.parquet"
    cache = DetectionCache.load(path, "yunet")
    assert len(cache) == 0 and cache.get("a.jpg") is None
    faces = {
        "p/b.jpg": yunet_det(1),
        "p/a.jpg": fallback_detection((250, 250, 3)),
        "q/c.jpg": None,
        "q/d.jpg": Detection((1, 2, 3, 4), None, 0.7, "yunet"),
    }
    cache.put_many(faces.items())
    cache.flush()
    back = DetectionCache.load(path)
    assert back.detector == "yunet" and back.ids() == sorted(faces) and "q/c.jpg" in back and "zz" not in back
    for image_id, want in faces.items():
        got = back.get(image_id)
        if want is None:
            assert got is None
            continue
        np.testing.assert_array_equal(got.box, want.box)
        assert (got.landmarks is None) == (want.landmarks is None)
        if want.landmarks is not None:
            np.testing.assert_array_equal(got.landmarks, want.landmarks)
        assert (got.score, got.detector) == (pytest.approx(want.score), want.detector)
    table = pq.read_table(path)
    assert table.column("status").to_pylist() == ["fallback", "detected", "no_face", "detected"]
    assert table.schema.field("box").type == pa.list_(pa.float32(), 4)
    assert table.schema.field("landmarks").type == pa.list_(pa.float32(), 10)
    assert table.column("landmarks").to_pylist()[1][:2] == pytest.approx([39.2946, 52.6963])


def test_put_replaces_and_checks_detector(tmp_path) -> None:
    cache = DetectionCache.load(tmp_path / "d.parquet")
    cache.put("a", yunet_det(1))
    cache.put("a", yunet_det(2))
    assert len(cache) == 1 and cache.get("a").box[0] == 2 and cache.detector == "yunet"
    with pytest.raises(MismatchError, match="'dlib-hog' detection put into the 'yunet' cache"):
        cache.put("b", Detection((0, 0, 5, 5), None, 1.0, "dlib-hog"))
    cache.flush()
    with pytest.raises(MismatchError, match="holds detections of 'yunet'"):
        DetectionCache.load(tmp_path / "d.parquet", "dlib-hog")


def test_failed_flush_keeps_the_old_file(tmp_path, monkeypatch) -> None:
    path = tmp_path / "d.parquet"
    cache = DetectionCache.load(path, "yunet")
    cache.put("a", yunet_det(1))
    cache.flush()
    before = path.read_bytes()
    cache.put("b", yunet_det(2))

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        cache.flush()
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["d.parquet"]


def test_resume_after_kill(tmp_path) -> None:
    """A writer killed at a random moment leaves whole flushed chunks; resuming completes every id exactly once."""
    path = tmp_path / "d.parquet"
    ids = [f"person_{i:03d}/img.jpg" for i in range(400)]
    script = textwrap.dedent(
        f"""
        import time
        from facebridge.faces import Detection, DetectionCache
        cache = DetectionCache.load({str(path)!r}, "yunet")
        for start in range(0, 400, 20):
            cache.put_many((f"person_{{i:03d}}/img.jpg", Detection((i, i, 10, 10), None, 0.9, "yunet"))
                           for i in range(start, start + 20))
            cache.flush()
            print(start, flush=True)
            time.sleep(0.01)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    for _ in range(3):
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    cache = DetectionCache.load(path)
    done = cache.ids()
    assert len(done) % 20 == 0 and 60 <= len(done) < 400 and done == ids[: len(done)]
    cache.put_many((i, Detection((k, k, 10, 10), None, 0.9, "yunet")) for k, i in enumerate(ids) if i not in cache)
    cache.flush()
    table = pq.read_table(path)
    assert table.column("id").to_pylist() == ids
    assert [b[0] for b in table.column("box").to_pylist()] == list(range(400))


def test_bad_files(tmp_path) -> None:
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataFormatError, match="not a readable Parquet"):
        DetectionCache.load(tmp_path / "junk.parquet")
    pq.write_table(pa.table({"id": ["a"]}), tmp_path / "plain.parquet")
    with pytest.raises(DataFormatError, match="not a facebridge detection cache"):
        DetectionCache.load(tmp_path / "plain.parquet")
    cache = DetectionCache.load(tmp_path / "dup.parquet", "yunet")
    cache.put("a", yunet_det(1))
    cache.flush()
    table = pq.read_table(tmp_path / "dup.parquet")
    pq.write_table(pa.concat_tables([table, table]), tmp_path / "dup.parquet")
    with pytest.raises(DataFormatError, match="'a' appears twice"):
        DetectionCache.load(tmp_path / "dup.parquet")


def test_detection_scale_round_trip_and_version_1_files(tmp_path) -> None:
    import json

    cache = DetectionCache.load(tmp_path / "d.parquet", "yunet")
    cache.put("big", yunet_det(1), scale=0.25)
    cache.put("small", yunet_det(2))
    with pytest.raises(InvalidInputError, match="scale"):
        cache.put("c", yunet_det(3), scale=0.0)
    cache.flush()
    back = DetectionCache.load(tmp_path / "d.parquet")
    assert (back.scale("big"), back.scale("small")) == (0.25, 1.0)
    # a version 1 file (before bounded detection): no scale column, every face found at full resolution
    table = pq.read_table(tmp_path / "d.parquet").drop_columns(["scale"])
    header = json.dumps({"format_version": 1, "detector": "yunet"}).encode()
    pq.write_table(table.replace_schema_metadata({b"facebridge_detections": header}), tmp_path / "v1.parquet")
    v1 = DetectionCache.load(tmp_path / "v1.parquet", "yunet")
    assert (v1.scale("big"), v1.scale("small")) == (1.0, 1.0)
    np.testing.assert_array_equal(v1.get("big").box, yunet_det(1).box)
    bad = pq.read_table(tmp_path / "d.parquet")
    bad = bad.set_column(bad.schema.get_field_index("scale"), "scale", pa.array([2.0, 1.0]))
    pq.write_table(bad, tmp_path / "bad.parquet")
    with pytest.raises(DataFormatError, match=r"detection scale 2\.0"):
        DetectionCache.load(tmp_path / "bad.parquet")
