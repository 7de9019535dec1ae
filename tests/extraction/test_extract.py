"""Extraction on real LFW images with real models: statuses of bad inputs, store contents, resume after a kill."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from facebridge.embeddings import read_embeddings
from facebridge.extraction.extract import MIN_TASK, embed_folder, task_bounds
from facebridge.protocols import pair_scores, person_of
from tests.helpers import LFW_IMAGES, SHARED, jpeg_bytes, png_bytes, require_shared, uniform_gray_jpeg

pytestmark = pytest.mark.models
MODELS = ["edgeface-xxs", "openvino-reid-0095"]
PEOPLE = ["Al_Gore", "Colin_Powell", "Donald_Rumsfeld", "Tony_Blair"]


def lfw_copy(dest: Path, per_person: int = 3) -> list[str]:
    require_shared(LFW_IMAGES, SHARED / "models")
    ids = []
    for person in PEOPLE:
        (dest / person).mkdir(parents=True, exist_ok=True)
        for src in sorted((LFW_IMAGES / person).glob("*.jpg"))[:per_person]:
            shutil.copy(src, dest / person / src.name)
            ids.append(f"{person}/{src.name}")
    return ids


def add_bad_inputs(root: Path) -> dict[str, str]:
    """Every bad-input kind next to the good images; returns id -> expected image status."""
    bad = root / "bad"
    bad.mkdir()
    face = Image.open(LFW_IMAGES / "Al_Gore/Al_Gore_0001.jpg")
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.jpg").write_text("not an image")
    (bad / "random.png").write_bytes(os.urandom(2000))
    (bad / "truncated.jpg").write_bytes(jpeg_bytes(face)[:3000])
    (bad / "gray.jpg").write_bytes(jpeg_bytes(face.convert("L")))
    (bad / "cmyk.jpg").write_bytes(jpeg_bytes(face.convert("CMYK")))
    rgb16 = np.asarray(face).astype(">u2") * 257
    raw = b"".join(b"\x00" + row.tobytes() for row in rgb16)
    (bad / "deep16.png").write_bytes(png_bytes(250, 250, 16, 2, raw))
    exif = Image.Exif()
    exif[0x0112] = 8  # stored rotated: must be turned back for display
    (bad / "rotated.jpg").write_bytes(jpeg_bytes(face.rotate(-90, expand=True), exif=exif))
    (bad / "huge.jpg").write_bytes(uniform_gray_jpeg(20000))
    (bad / "bomb.png").write_bytes(png_bytes(20000, 20000, 8, 2, b"\x00"))
    face.resize((32, 32)).save(bad / "tiny.png")  # YuNet's garbage boxes stopped the run on these
    face.resize((500, 1)).save(bad / "line.png")
    return {
        "bad/empty.jpg": "empty", "bad/text.jpg": "not_image", "bad/random.png": "not_image",
        "bad/truncated.jpg": "truncated", "bad/gray.jpg": "ok", "bad/cmyk.jpg": "ok", "bad/deep16.png": "ok",
        "bad/rotated.jpg": "ok", "bad/huge.jpg": "fallback", "bad/bomb.png": "too_large", "bad/tiny.png": "too_small",
        "bad/line.png": "too_small",
    }  # fmt: skip


def test_bad_inputs_never_stop_a_batch_and_each_gets_a_status(tmp_path) -> None:
    root, out = tmp_path / "images", tmp_path / "store"
    good = lfw_copy(root)
    expected = add_bad_inputs(root)
    summary = embed_folder(out, MODELS, root, chunk_size=5, workers=1)
    status = dict(zip(*pq.read_table(out / "images.parquet", columns=["id", "status"]).to_pydict().values(),
                      strict=True))  # fmt: skip
    for image_id, want in expected.items():
        assert status[image_id] == want, image_id
    assert all(status[i] == "ok" for i in good)
    embedded = sorted(good + [i for i, s in expected.items() if s in ("ok", "fallback")])
    assert summary.rows_per_model == dict.fromkeys(MODELS, len(embedded))
    assert summary.status_counts["fallback"] == summary.n_fallback == 1
    for name in MODELS:
        es = read_embeddings(out / f"{name}.parquet")
        assert sorted(es.ids) == embedded
        # grayscale, CMYK, 16-bit and un-rotated copies of Al Gore's photo still look like him
        gore = es.vectors_of(["Al_Gore/Al_Gore_0001.jpg"] * 4)
        copies = es.subset(["bad/gray.jpg", "bad/cmyk.jpg", "bad/deep16.png", "bad/rotated.jpg"]).vectors
        assert (pair_scores(gore, copies) > 0.7).all(), (name, pair_scores(gore, copies))


def test_same_person_scores_above_different_person(tmp_path) -> None:
    root, out = tmp_path / "images", tmp_path / "store"
    lfw_copy(root)
    embed_folder(out, MODELS, root, chunk_size=4, workers=2)
    for name in MODELS:
        es = read_embeddings(out / f"{name}.parquet")
        assert es.dim == {"edgeface-xxs": 512, "openvino-reid-0095": 256}[name]
        people = np.array([person_of(i) for i in es.ids])
        sims = pair_scores(np.repeat(es.vectors, es.n, 0), np.tile(es.vectors, (es.n, 1))).reshape(es.n, es.n)
        same = people[:, None] == people[None, :]
        off_diag = ~np.eye(es.n, dtype=bool)
        assert sims[same & off_diag].min() > sims[~same].max(), name


def test_resume_after_kill_loses_and_duplicates_nothing(tmp_path) -> None:
    root, out = tmp_path / "images", tmp_path / "store"
    ids = lfw_copy(root, per_person=5)
    args = ["embed", "--images", str(root), "--out", str(out), "--model", ",".join(MODELS), "--chunk-size", "2",
            "--workers", "1", "--no-face", "centre"]  # fmt: skip
    # The child kills itself as it is about to write its 7th part (chunk 3's first model): the kill lands mid-run
    # whatever the machine's load (polling for parts and killing from here let a starved test see the run finish).
    code = f"""
import os, signal, sys
import facebridge.extraction.extract as extract
real, count = extract.write_part, [0]
def dying(es, path):
    count[0] += 1
    if count[0] > {3 * len(MODELS)}:
        os.kill(os.getpid(), signal.SIGKILL)
    real(es, path)
extract.write_part = dying
from facebridge.cli.main import main
sys.exit(main({args!r}))
"""
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL
    parts_before = {m: len(list((out / "parts" / m).glob("part-*.parquet"))) for m in MODELS}
    assert parts_before == dict.fromkeys(MODELS, 3) and len(ids) // 2 > 3, "the kill should land mid-run"
    summary = embed_folder(out, MODELS, root, chunk_size=2, workers=1)
    reference = embed_folder(tmp_path / "fresh", MODELS, root, chunk_size=2, workers=1)
    for name in MODELS:
        assert summary.newly_embedded[name] < len(ids)  # finished chunks were not recomputed
        resumed = read_embeddings(out / f"{name}.parquet")
        fresh = read_embeddings(tmp_path / "fresh" / f"{name}.parquet")
        assert sorted(resumed.ids) == sorted(ids) and len(set(resumed.ids)) == len(ids)
        np.testing.assert_allclose(resumed.subset(fresh.ids).vectors, fresh.vectors, rtol=1e-5, atol=1e-5)
    assert reference.rows_per_model == summary.rows_per_model


def test_a_photo_replaced_under_its_name_is_embedded_again(tmp_path) -> None:
    """Before, a resumed run kept the old photo's embedding (size and modification time were never compared)."""
    root, out = tmp_path / "images", tmp_path / "store"
    ids = lfw_copy(root, per_person=1)
    model = MODELS[0]
    embed_folder(out, [model], root, chunk_size=2, workers=1)
    gore, blair = (next(i for i in ids if i.startswith(p)) for p in ("Al_Gore/", "Tony_Blair/"))
    shutil.copy(root / blair, root / gore)  # Tony Blair's photo under Al Gore's name
    summary = embed_folder(out, [model], root, chunk_size=2, workers=1)
    es = read_embeddings(out / f"{model}.parquet")
    assert summary.newly_embedded[model] == 1 and sorted(es.ids) == sorted(ids)
    np.testing.assert_allclose(es.vectors_of([gore]), es.vectors_of([blair]), atol=1e-5)
    assert embed_folder(out, [model], root, chunk_size=2, workers=1).newly_embedded[model] == 0


def test_parts_from_another_model_version_are_refused_not_mixed(tmp_path) -> None:
    from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet
    from facebridge.errors import MismatchError

    root, out = tmp_path / "images", tmp_path / "store"
    ids = lfw_copy(root, per_person=1)
    old = EmbeddingSet(np.array(ids[:1], object), np.ones((1, 512)), Fingerprint(MODELS[0], "0" * 64, "arc112", "0"))
    write_parquet(old, out / "parts" / MODELS[0] / "part-old-00000.parquet")
    with pytest.raises(MismatchError, match="weights or preprocessing changed"):
        embed_folder(out, MODELS[:1], root, workers=1)
    assert (out / "parts" / MODELS[0] / "part-old-00000.parquet").is_file()  # nothing deleted


@given(st.integers(0, 20000), st.integers(1, 512), st.integers(1, 16))
def test_tasks_cover_every_image_once_and_shrink_towards_the_end(n: int, chunk_size: int, workers: int) -> None:
    bounds = task_bounds(n, chunk_size, workers)
    assert [b[0] for b in bounds[1:]] == [b[1] for b in bounds[:-1]] and (not bounds or bounds[-1][1] == n)
    sizes = [stop - start for start, stop in bounds]
    assert all(0 < s <= chunk_size for s in sizes)
    assert sizes[:-1] == sorted(sizes[:-1], reverse=True)  # shrinking; only the last may be a remainder
    assert len(bounds) >= min(n, 2 * workers)  # a small run still gives every worker a share
    if n > 64 * chunk_size * workers:
        assert sizes[0] == chunk_size and sizes[-2] <= MIN_TASK  # full chunks first, a short tail
