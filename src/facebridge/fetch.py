"""Download public data sets (today LFW) with pinned checksums, for users without a ``../shared/data`` folder.

The files are fetched with ``pooch``, checked against their sha256 before use (a mismatch is refused and the file
removed), and laid out as the rest of facebridge reads them: ``DATA/lfw/images/<Person>/<Person>_NNNN.jpg`` and
``DATA/lfw/pairs.txt``, ``pairsDevTrain.txt``, ``pairsDevTest.txt`` (see :func:`facebridge.paths.default_data_dir`).
"""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from facebridge.errors import DataFormatError, IntegrityError, MissingDependencyError, MissingFileError


@dataclass(frozen=True)
class Remote:
    """One file to download: its name in the data set's folder, where it comes from and its sha256."""

    name: str
    url: str
    sha256: str


#: LFW from scikit-learn's figshare mirror of the official files (``sklearn.datasets.fetch_lfw_*`` uses the same
#: URLs and sha256). The three pair lists' sha256 equal those of the official files that ``../shared/data`` holds
#: (whose ``pairs.txt`` also has the official md5); the archive's is scikit-learn's, for the official ``lfw.tgz``
#: (http://vis-www.cs.umass.edu/lfw/lfw.tgz), which the shared folder does not hold as an archive.
LFW: tuple[Remote, ...] = (
    Remote("lfw.tgz", "https://ndownloader.figshare.com/files/5976018",
           "055f7d9c632d7370e6fb4afc7468d40f970c34a80d4c6f50ffec63f5a8d536c0"),
    Remote("pairs.txt", "https://ndownloader.figshare.com/files/5976006",
           "ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592"),
    Remote("pairsDevTrain.txt", "https://ndownloader.figshare.com/files/5976012",
           "1d454dada7dfeca0e7eab6f65dc4e97a6312d44cf142207be28d688be92aabfa"),
    Remote("pairsDevTest.txt", "https://ndownloader.figshare.com/files/5976009",
           "7cb06600ea8b2814ac26e946201cdb304296262aad67d046a16a7ec85d0ff87c"),
)  # fmt: skip
#: The folder the LFW archive holds its people's folders in.
LFW_ARCHIVE_ROOT = "lfw"
DATASETS = ("lfw",)


def with_mirror(remotes: tuple[Remote, ...], mirror: str | None) -> tuple[Remote, ...]:
    """``remotes`` fetched from ``MIRROR/<name>`` instead (same checksums), or unchanged without a mirror."""
    if not mirror:
        return remotes
    base = mirror.rstrip("/")
    return tuple(Remote(r.name, f"{base}/{r.name}", r.sha256) for r in remotes)


def lfw_complete(lfw: Path) -> bool:
    """Whether ``lfw`` holds the images folder and the three pair lists."""
    return (lfw / "images").is_dir() and all((lfw / r.name).is_file() for r in LFW if r.name.endswith(".txt"))


def _download(remote: Remote, folder: Path) -> Path:
    """``folder/remote.name``, downloaded unless it is there with the right sha256; a mismatch is an IntegrityError."""
    try:
        import pooch
        import requests
    except ImportError:
        raise MissingDependencyError("downloading data needs pooch: pip install pooch") from None
    pooch.get_logger().setLevel("WARNING")  # the command prints its own progress
    try:
        path = Path(
            pooch.retrieve(remote.url, known_hash=f"sha256:{remote.sha256}", fname=remote.name, path=folder,
                           progressbar=False)
        )  # fmt: skip
        path.chmod(0o644)  # pooch's temporary file was private
        return path
    except ValueError as exc:  # pooch's hash mismatch; it has removed the download
        raise IntegrityError(
            f"{remote.url}: the downloaded {remote.name} does not have the expected sha256 {remote.sha256} "
            f"({str(exc).splitlines()[0]}); nothing was kept"
        ) from None
    except requests.RequestException as exc:
        raise MissingFileError(f"could not download {remote.url}: {exc}") from None


def _extract(archive: Path, images: Path) -> None:
    """The archive's ``lfw/`` folder becomes ``images`` (through a temporary folder beside it: never half written)."""
    partial = images.with_name(images.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(partial, filter="data")
    except tarfile.TarError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise DataFormatError(f"{archive} is not a readable tar archive: {exc}") from None
    root = partial / LFW_ARCHIVE_ROOT
    if not root.is_dir():
        shutil.rmtree(partial, ignore_errors=True)
        raise DataFormatError(f"{archive} holds no {LFW_ARCHIVE_ROOT}/ folder")
    root.rename(images)
    shutil.rmtree(partial)


def fetch_lfw(data_dir: Path, remotes: tuple[Remote, ...] = LFW) -> Path:
    """Download LFW into ``data_dir/lfw`` (images and pair lists), checking every file's sha256; return that folder.

    Files already there with the right checksum are not downloaded again; the archive is removed once extracted.
    """
    lfw = Path(data_dir) / "lfw"
    lfw.mkdir(parents=True, exist_ok=True)
    for remote in remotes:
        if remote.name.endswith(".txt"):
            _download(remote, lfw)
    images = lfw / "images"
    if not images.is_dir():
        (archive_remote,) = (r for r in remotes if r.name.endswith(".tgz"))
        try:
            _extract(_download(archive_remote, lfw / ".download"), images)
        finally:
            shutil.rmtree(lfw / ".download", ignore_errors=True)
    return lfw
