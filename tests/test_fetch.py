"""``facebridge data fetch lfw`` against a local HTTP server holding a tiny synthetic LFW: download, the sha256
refusal, the extracted layout, and the data folder's precedence (``--data`` and ``../shared/data`` first)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import facebridge.fetch as fetch
import facebridge.paths as paths
from facebridge.cli.main import main
from facebridge.errors import IntegrityError, MissingFileError
from facebridge.protocols import parse_lfw_pairs

PAIRS = "1\t1\nAnn_Lee\t1\t2\nAnn_Lee\t1\tBob_Ray\t1\n"  # one fold: a matched and a mismatched pair
VIEW1 = "1\nAnn_Lee\t1\t2\nAnn_Lee\t2\tBob_Ray\t1\n"
IMAGES = ("Ann_Lee/Ann_Lee_0001.jpg", "Ann_Lee/Ann_Lee_0002.jpg", "Bob_Ray/Bob_Ray_0001.jpg")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def mirror(tmp_path: Path) -> Iterator[tuple[str, tuple[fetch.Remote, ...]]]:
    """A served folder with ``lfw.tgz`` (``lfw/<Person>/<image>``) and the three pair lists, and their remotes."""
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / "lfw.tgz", "w:gz") as tar:
        for name in IMAGES:
            body = f"not a real jpeg: {name}".encode()
            info = tarfile.TarInfo(f"lfw/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    for name, text in (("pairs.txt", PAIRS), ("pairsDevTrain.txt", VIEW1), ("pairsDevTest.txt", VIEW1)):
        (served / name).write_text(text)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    remotes = tuple(
        fetch.Remote(r.name, f"{base}/{r.name}", hashlib.sha256((served / r.name).read_bytes()).hexdigest())
        for r in fetch.LFW
    )
    try:
        yield base, remotes
    finally:
        server.shutdown()
        server.server_close()


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_fetch_lays_lfw_out_as_the_commands_read_it(tmp_path: Path, mirror) -> None:
    _, remotes = mirror
    lfw = fetch.fetch_lfw(tmp_path / "data", remotes)
    assert lfw == tmp_path / "data" / "lfw" and fetch.lfw_complete(lfw)
    assert sorted(str(p.relative_to(lfw / "images")) for p in (lfw / "images").rglob("*.jpg")) == sorted(IMAGES)
    assert not (lfw / ".download").exists() and not (lfw / "images.partial").exists()
    pairs = parse_lfw_pairs(lfw / "pairs.txt")
    assert len(pairs) == 2 and all((lfw / "images" / i).is_file() for i in (*pairs.id_a, *pairs.id_b))


def test_a_wrong_checksum_is_refused_in_one_line_and_nothing_kept(tmp_path: Path, mirror, capsys) -> None:
    base, _ = mirror
    code, _, err = run(capsys, "data", "fetch", "lfw", "--data", tmp_path / "data", "--mirror", base)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "does not have the expected sha256" in err and "pairs" in err
    lfw = tmp_path / "data" / "lfw"
    assert not any(p.is_file() for p in lfw.rglob("*"))  # the synthetic files fail the real pins: none is kept
    with pytest.raises(IntegrityError, match=r"lfw\.tgz"):
        bad = tuple(fetch.Remote(r.name, r.url, "0" * 64 if r.name == "lfw.tgz" else r.sha256) for r in mirror[1])
        fetch.fetch_lfw(tmp_path / "other", bad)
    assert not (tmp_path / "other" / "lfw" / "images").exists()


def test_the_command_fetches_once_then_finds_it(tmp_path: Path, mirror, capsys, monkeypatch) -> None:
    base, remotes = mirror
    monkeypatch.setattr(fetch, "LFW", remotes)
    code, out, err = run(capsys, "data", "fetch", "lfw", "--data", tmp_path / "data", "--mirror", base)
    assert code == 0, err
    assert "LFW ready" in out and "2 people" in out and f"--data {tmp_path / 'data'}" in out
    code, out, _ = run(capsys, "data", "fetch", "lfw", "--data", tmp_path / "data")
    assert code == 0 and "already" in out and "nothing downloaded" in out
    code, _, err = run(capsys, "data", "fetch", "ytf", "--data", tmp_path / "data")
    assert code == 2 and "unknown data set 'ytf'" in err


def test_data_folder_precedence(tmp_path: Path, monkeypatch) -> None:
    """``--data`` > ``$FACEBRIDGE_DATA`` > ``../shared/data`` > the fetched folder; none: one line naming the fetch."""
    shared, fetched, given = (tmp_path / n for n in ("shared", "fetched", "given"))
    monkeypatch.delenv("FACEBRIDGE_DATA", raising=False)
    monkeypatch.setattr(paths, "shared_candidates", lambda subdir: [shared])
    monkeypatch.setattr(paths, "user_data_dir", lambda: fetched)
    with pytest.raises(MissingFileError, match="facebridge data fetch lfw"):
        paths.default_data_dir()
    fetched.mkdir()
    assert paths.default_data_dir() == fetched
    shared.mkdir()
    assert paths.default_data_dir() == shared
    given.mkdir()
    monkeypatch.setenv("FACEBRIDGE_DATA", str(fetched))
    assert paths.default_data_dir() == fetched and paths.default_data_dir(given) == given


def test_without_shared_data_it_fetches_into_the_folder_commands_read(tmp_path: Path, mirror, capsys, monkeypatch):
    base, remotes = mirror
    fetched = tmp_path / "user" / "data"
    monkeypatch.delenv("FACEBRIDGE_DATA", raising=False)
    monkeypatch.setattr(paths, "shared_candidates", lambda subdir: [tmp_path / "no-shared" / subdir])
    monkeypatch.setattr(paths, "user_data_dir", lambda: fetched)
    monkeypatch.setattr(fetch, "LFW", remotes)
    code, out, err = run(capsys, "data", "fetch", "lfw", "--mirror", base)
    assert code == 0, err
    assert fetch.lfw_complete(fetched / "lfw") and "--data" not in out  # found without an option
    assert paths.default_data_dir() == fetched
