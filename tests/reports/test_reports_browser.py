"""report.html drawn by a real browser: headless Chromium takes a screenshot, Pillow checks what is on it.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped without it, a failure under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.reports.figures import HEATMAP_CMAP

WIDTH, HEIGHT = 1280, 2000


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None)
    if found is None:
        message = "needs the chromium browser (Debian: apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser test must run)")
        pytest.skip(message)
    return found


def _screenshot(html: Path, tmp_path: Path) -> np.ndarray:
    shot = tmp_path / "shot.png"
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}",
        f"--screenshot={shot}", html.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    with Image.open(shot) as im:
        return np.asarray(im.convert("RGB")).astype(np.int32)


def _packed(pixels: np.ndarray) -> np.ndarray:
    """One int per pixel, 0xRRGGBB."""
    return ((pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]).reshape(-1)


def _heatmap_bins(pixels: np.ndarray) -> np.ndarray:
    """Per pixel, the heatmap colormap's index (0-255) when the pixel is one of its saturated colours, else -1."""
    import matplotlib

    lut = (np.asarray(matplotlib.colormaps[HEATMAP_CMAP](np.arange(256))[:, :3]) * 255).astype(np.int32)
    packed, inverse = np.unique(_packed(pixels), return_inverse=True)
    colours = np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=1)
    distance = np.abs(colours[:, None, :] - lut[None, :, :]).max(axis=2)
    nearest = distance.argmin(axis=1)
    saturated = colours.max(axis=1) - colours.min(axis=1) > 60
    bins = np.where((distance.min(axis=1) <= 6) & saturated, nearest, -1)
    return bins[inverse.reshape(-1)]


def test_report_html_is_drawn_with_its_heatmap(study_report, tmp_path: Path) -> None:
    _, out, _ = study_report
    pixels = _screenshot(out / "report.html", tmp_path)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    assert len(np.unique(_packed(pixels))) > 500  # text, tables, figures: not a blank page
    assert np.mean(pixels.max(axis=2) < 100) > 0.003  # dark, text-like pixels
    bins = _heatmap_bins(pixels)
    assert np.sum(bins >= 0) > 20_000  # large blocks in the heatmap's colours: the cells
    cells = np.bincount(bins[bins >= 0] // 16, minlength=16)
    assert np.sum(cells > 2_000) >= 3  # several distinct cell colours (the colorbar alone has ~200 pixels per bin)
