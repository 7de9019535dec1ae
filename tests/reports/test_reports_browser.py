"""report.html drawn by a real browser: headless Chromium parses the page and takes screenshots, Pillow checks
what is on them.

A screenshot at a heading's anchor loads the report in an iframe of a wrapper page written by the test (headless
``--screenshot`` does not scroll to a URL fragment itself); the report itself has no frames or scripts.
Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped without it, a failure under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
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


def _chromium_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _screenshot(html: Path, tmp_path: Path, anchor: str = "") -> np.ndarray:
    """The top of ``html`` as the browser draws it, or the page scrolled to ``#anchor``."""
    page = html.resolve()
    if anchor:
        page = tmp_path / f"at-{anchor}.html"
        frame = f'<iframe src="{html.resolve().as_uri()}#{anchor}" style="border:0;width:{WIDTH}px;height:{HEIGHT}px">'
        page.write_text(f'<!DOCTYPE html><html><body style="margin:0">{frame}</iframe></body></html>')
    shot = tmp_path / f"shot-{anchor or 'top'}.png"
    _chromium_run(tmp_path, f"--screenshot={shot}", page.as_uri())
    assert shot.is_file()
    with Image.open(shot) as im:
        return np.asarray(im.convert("RGB")).astype(np.int32)


class _Links(HTMLParser):
    """Every element id, and the href of every link inside ``<nav>``, of a parsed page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.contents: list[str] = []
        self._nav = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        self._nav += tag == "nav"
        if tag == "a" and self._nav:
            self.contents.append(str(found.get("href")))

    def handle_endtag(self, tag: str) -> None:
        self._nav -= tag == "nav"


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


def test_the_top_of_the_report_is_drawn_with_its_verdict_and_contents(study_report, tmp_path: Path) -> None:
    _, out, _ = study_report
    pixels = _screenshot(out / "report.html", tmp_path)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    assert len(np.unique(_packed(pixels))) > 200  # text and tables: not a blank page
    assert np.mean(pixels.max(axis=2) < 100) > 0.003  # dark, text-like pixels
    assert np.sum(_heatmap_bins(pixels) >= 0) < 2_000  # the heatmaps are further down: contents and tables first
    link_blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 60) & (pixels[..., 1] < 60)
    assert np.sum(link_blue) > 500  # the contents' links
    top = pixels[: HEIGHT // 4]  # the verdict box, right under the title: its held and not-held badges
    for badge in ((0xE3, 0xF4, 0xE3), (0xFB, 0xE3, 0xE1)):
        assert np.sum(np.abs(top - np.array(badge)).max(axis=2) <= 2) > 300, badge


def test_every_contents_link_resolves_in_the_browser(study_report, tmp_path: Path) -> None:
    _, out, _ = study_report
    dom = _chromium_run(tmp_path, "--dump-dom", (out / "report.html").resolve().as_uri()).stdout
    links = _Links()
    links.feed(dom)
    assert len(links.contents) == 14 and all(href.startswith("#") for href in links.contents)
    assert {href[1:] for href in links.contents} <= links.ids
    assert len(set(links.contents)) == len(links.contents)  # YTF's "Native accuracy" gets its own anchor


def test_the_penalty_link_scrolls_to_the_heatmaps(study_report, tmp_path: Path) -> None:
    _, out, _ = study_report
    pixels = _screenshot(out / "report.html", tmp_path, "penalty-of-a-map-cross-mode")
    bins = _heatmap_bins(pixels)
    assert np.sum(bins >= 0) > 20_000  # large blocks in the heatmap's colours: the cells
    cells = np.bincount(bins[bins >= 0] // 16, minlength=16)
    assert np.sum(cells > 2_000) >= 3  # several distinct cell colours (the colorbar alone has ~200 pixels per bin)
    assert np.sum(bins[: HEIGHT // 4 * WIDTH] >= 0) > 2_000  # right at the top: the link scrolled there


def test_the_curves_link_scrolls_to_the_small_multiples(study_report, tmp_path: Path) -> None:
    _, out, _ = study_report
    pixels = _screenshot(out / "report.html", tmp_path, "training-set-size")
    top = pixels[: HEIGHT // 2]
    line_colours = [(0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0x2C, 0xA0, 0x2C)]  # C0, C1, C2: one per source
    for colour in line_colours:
        near = np.abs(top - np.array(colour)).max(axis=2) <= 30
        assert np.sum(near) > 100, colour
    assert np.sum(_heatmap_bins(pixels) >= 0) < 2_000  # not the heatmaps: a different place in the page
