"""load_image on every kind of bad and unusual file, built here in tmp_path."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from facebridge.errors import InvalidInputError
from facebridge.images import STATUSES, load_image
from facebridge.images.decode import jpeg_reduction
from tests.helpers import jpeg_bytes, png_bytes, uniform_gray_jpeg

LFW_IMAGE = Path(__file__).resolve().parents[2].parent / "shared/data/lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg"


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def noise(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_ok_rgb_jpeg_is_contiguous_uint8(tmp_path) -> None:
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)
    out = load_image(write(tmp_path / "a.jpg", jpeg_bytes(Image.fromarray(rgb), quality=95)))
    assert (out.status, out.note) == ("ok", "")
    assert out.rgb.shape == (30, 40, 3) and out.rgb.dtype == np.uint8 and out.rgb.flags.c_contiguous
    np.testing.assert_allclose(out.rgb[15, 5], (255, 0, 0), atol=6)
    np.testing.assert_allclose(out.rgb[15, 35], (0, 0, 0), atol=6)


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("empty.jpg", b"", "empty"),
        ("text.jpg", b"this is not a picture\n" * 5, "not_image"),
        ("noise.jpg", bytes(np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8)), "not_image"),
        ("badheader.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "unreadable"),
    ],
)
def test_bad_bytes(tmp_path, name: str, data: bytes, status: str) -> None:
    out = load_image(write(tmp_path / name, data))
    assert out.status == status and out.rgb is None and name in out.note


def test_missing_and_folder(tmp_path) -> None:
    assert load_image(tmp_path / "nope.jpg").status == "missing"
    assert load_image(tmp_path).status == "unreadable"


def test_truncated_jpeg_and_png(tmp_path) -> None:
    data = jpeg_bytes(Image.fromarray(noise(200, 200)))
    assert load_image(write(tmp_path / "t.jpg", data[: len(data) // 2])).status == "truncated"
    buf = io.BytesIO()
    Image.fromarray(noise(200, 200)).save(buf, "PNG")
    png = buf.getvalue()
    assert load_image(write(tmp_path / "t.png", png[: len(png) // 2])).status == "truncated"


def test_corrupt_scan_data_is_unreadable(tmp_path) -> None:
    data = bytearray(jpeg_bytes(Image.fromarray(noise(200, 200))))
    data[700:-2:3] = b"\xff" * len(data[700:-2:3])
    out = load_image(write(tmp_path / "c.jpg", bytes(data)))
    assert out.status == "unreadable" and "broken" in out.note


def test_grayscale_jpeg(tmp_path) -> None:
    out = load_image(write(tmp_path / "g.jpg", jpeg_bytes(Image.new("L", (16, 8), 77), quality=95)))
    assert (out.status, out.note, out.rgb.shape) == ("ok", "grayscale->RGB", (8, 16, 3))
    np.testing.assert_array_equal(out.rgb, 77)


def test_cmyk_jpeg(tmp_path) -> None:
    red = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    out = load_image(write(tmp_path / "c.jpg", jpeg_bytes(red, quality=95)))
    assert (out.status, out.note) == ("ok", "CMYK->RGB")
    np.testing.assert_allclose(out.rgb[8, 8], (255, 0, 0), atol=3)


def test_16bit_png_gray_and_colour(tmp_path) -> None:
    gray = np.array([[0, 257 * 100, 65535, 257 * 37 + 100]], dtype=">u2")
    raw = b"\x00" + gray.tobytes()
    out = load_image(write(tmp_path / "g16.png", png_bytes(4, 1, 16, 0, raw)))
    assert out.status == "ok" and "16-bit->8-bit" in out.note
    np.testing.assert_array_equal(out.rgb[0, :, 0], [0, 100, 255, 37])
    colour = np.array([[[65535, 0, 257 * 50]]], dtype=">u2")
    out = load_image(write(tmp_path / "c16.png", png_bytes(1, 1, 16, 2, b"\x00" + colour.tobytes())))
    assert (out.status, out.note) == ("ok", "16-bit->8-bit")
    np.testing.assert_array_equal(out.rgb[0, 0], [255, 0, 50])


def test_rgba_and_palette_png(tmp_path) -> None:
    rgba = np.dstack([noise(8, 8), np.full((8, 8), 10, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert (out.status, out.note) == ("ok", "RGBA->RGB (alpha dropped)")
    np.testing.assert_array_equal(out.rgb, rgba[:, :, :3])
    Image.fromarray(noise(8, 8)).convert("P").save(tmp_path / "p.png")
    out = load_image(tmp_path / "p.png")
    assert (out.status, out.note, out.rgb.shape) == ("ok", "", (8, 8, 3))


def test_exif_orientation_is_applied(tmp_path) -> None:
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)
    rgb[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be turned 90 degrees clockwise for display
    out = load_image(write(tmp_path / "r.jpg", jpeg_bytes(Image.fromarray(rgb), quality=95, exif=exif)))
    assert (out.status, out.note, out.rgb.shape) == ("ok", "EXIF orientation 6 applied", (40, 20, 3))
    np.testing.assert_allclose(out.rgb[5, 10], (255, 0, 0), atol=8)  # the left half is now on top
    np.testing.assert_allclose(out.rgb[35, 10], (0, 0, 255), atol=8)


def test_downscale_keeps_aspect(tmp_path) -> None:
    rows = (b"\x00" + bytes(300)) * 200
    out = load_image(write(tmp_path / "b.png", png_bytes(300, 200, 8, 0, rows)), max_side=150)
    assert (out.status, out.note, out.rgb.shape) == ("ok", "downscaled from 300x200; grayscale->RGB", (100, 150, 3))
    with pytest.raises(InvalidInputError, match="max_side"):
        load_image(tmp_path / "b.png", max_side=0)


def test_huge_png_is_refused_before_decoding(tmp_path) -> None:
    # Only the headers are real: a decoder that tried would fail on the tiny IDAT, so 'too_large' proves it did not.
    bomb = load_image(write(tmp_path / "h.png", png_bytes(20000, 20000, 8, 2, b"\x00")))
    assert bomb.status == "too_large" and bomb.rgb is None
    over = load_image(write(tmp_path / "o.png", png_bytes(10000, 6000, 8, 2, b"\x00")))
    assert over.status == "too_large" and "10000x6000" in over.note


def test_huge_jpeg_decodes_with_bounded_memory(tmp_path) -> None:
    path = write(tmp_path / "huge.jpg", uniform_gray_jpeg(20000))
    script = textwrap.dedent(
        f"""
        from facebridge.images import load_image
        out = load_image({str(path)!r})
        # VmHWM is this process image's own peak; ru_maxrss would carry over a large parent's across exec.
        hwm_kb = next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]
        peak_mb = int(hwm_kb) / 1024
        print(out.status, out.rgb.shape, int(out.rgb.min()), int(out.rgb.max()), out.note, int(peak_mb), sep="|")
        """
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    status, shape, lo, hi, note, peak_mb = res.stdout.strip().split("|")
    assert (status, shape, lo, hi) == ("ok", "(4096, 4096, 3)", "128", "128")
    assert note == "downscaled from 20000x20000; grayscale->RGB"
    # A full decode alone would hold 400 MB (1.2 GB as RGB); at 1/4 DCT scale the peak stays far below.
    assert int(peak_mb) < 300, f"peak RSS {peak_mb} MB"


def test_jpeg_reduction_picks_the_mildest_that_fits_when_none_keeps_max_side() -> None:
    assert jpeg_reduction(20000, 20000, 4096, 50_000_000) == 4  # 5000 px keeps max_side and fits
    assert jpeg_reduction(30000, 30000, 4096, 50_000_000) == 8  # 1/4 is 7500x7500 = 56 M pixels: over budget
    assert jpeg_reduction(30000, 30000, 4096, 100_000_000) == 4
    assert jpeg_reduction(3000, 2000, 4096, 50_000_000) == 1
    assert jpeg_reduction(90000, 90000, 4096, 50_000_000) is None  # 11250x11250 at 1/8


def test_jpeg_too_large_at_quarter_scale_decodes_at_an_eighth(tmp_path) -> None:
    # 30000x30000 is over the pixel budget at 1/4 DCT scale but fits at 1/8; it was refused as too_large.
    out = load_image(write(tmp_path / "huge.jpg", uniform_gray_jpeg(30000)))
    assert (out.status, out.rgb.shape, int(out.rgb.min()), int(out.rgb.max())) == ("ok", (3750, 3750, 3), 128, 128)
    assert out.note == "downscaled from 30000x30000; grayscale->RGB"
    refused = load_image(tmp_path / "huge.jpg", max_pixels=10_000_000)
    assert refused.status == "too_large" and "30000x30000" in refused.note


@pytest.mark.models
def test_lfw_image() -> None:
    if not LFW_IMAGE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{LFW_IMAGE} is missing (CI=true: the shared LFW images are required)")
        pytest.skip("LFW images not in ../shared/data")
    out = load_image(LFW_IMAGE)
    assert (out.status, out.note, out.rgb.shape) == ("ok", "", (250, 250, 3))


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from([b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"RIFF"]), body=st.binary())
def test_never_raises_on_arbitrary_bytes(tmp_path_factory, prefix: bytes, body: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.jpg"
    out = load_image(write(path, prefix + body))
    assert out.status in STATUSES and (out.rgb is None) == (out.status != "ok")
