"""Crash-safe file writes shared by every store (embeddings, detection caches, maps, reports).

Every writer goes through :func:`atomic_write`: the output path must be a regular file (or absent), the data is
written to a fresh temp file created with ``O_EXCL`` in the target folder (so a planted symlink cannot redirect it),
synced, given the permissions a normal file gets under the umask and moved over the target.
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from facebridge.errors import BusyError, FacebridgeError, InvalidInputError

#: A temp file older than this is stale whatever its pid says (pids are reused).
STALE_SECONDS = 24 * 3600


class WriteError(FacebridgeError, OSError):
    """An output that could not be written (read-only folder, full disk); the old file, if any, is kept."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "not a regular file"


def check_output_file(path: str | os.PathLike[str]) -> Path:
    """``path`` if it is absent or a regular file (links followed); else InvalidInputError, before any work.

    Replacing a named pipe, device or folder with a regular file would destroy something that is not ours.
    """
    path = Path(path)
    if not str(path) or not path.name:
        raise InvalidInputError(f"output path {str(path)!r} names no file")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(mode):
        raise InvalidInputError(f"{path} is {_kind(mode)}; refusing to replace it (write to a regular file)")
    return path


def _temp_pattern(name: str) -> re.Pattern[str]:
    """Temp names of ``name``: ours ``.<name>.<pid>.<random>.tmp`` and older versions' ``.<name>.<pid>.tmp``."""
    return re.compile(rf"\.{re.escape(name)}\.(\d+)(?:\.[A-Za-z0-9_]+)?\.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_temps(path: str | os.PathLike[str], *, max_age: float = STALE_SECONDS) -> list[Path]:
    """Delete the temp files a killed writer of ``path`` left: only regular files named by our pattern, whose
    process is gone or that are older than ``max_age`` seconds. Returns what was removed."""
    path = Path(path)
    pattern, now = _temp_pattern(path.name), time.time()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid, age = int(match.group(1)), now - entry.stat(follow_symlinks=False).st_mtime
        if (pid != os.getpid() and not _pid_alive(pid)) or age > max_age:
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _serializer_errors() -> tuple[type[BaseException], ...]:
    """Errors a serializer raises for a failed write (safetensors reports a full disk as its own error)."""
    try:
        from safetensors import SafetensorError
    except ImportError:  # pragma: no cover - safetensors is a dependency
        return (OSError, pa.ArrowException)
    return (OSError, pa.ArrowException, SafetensorError)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` then move ``tmp`` over ``path``: a crash leaves the old file or the complete new one.

    Raises InvalidInputError when ``path`` exists and is not a regular file, WriteError when it cannot be written.
    """
    path = check_output_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(name)
    try:
        os.close(fd)
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), _file_mode())  # after write: some writers (safetensors) recreate the file 0600
        os.replace(tmp, path)
    except _serializer_errors() as exc:
        if isinstance(exc, FacebridgeError):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WriteError(f"cannot write {path}: {first}") from None
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_table(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as a zstd-compressed Parquet file, atomically."""
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


@contextmanager
def exclusive_lock(
    lock_file: Path, what: str, *, wait: bool = False, hint: str = "wait for it to finish", remove: bool = False
) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_file`` (created, holding our pid) while the body runs.

    Another holder makes this raise BusyError ("``what`` is being written by another run (pid N); ``hint``"), or,
    with ``wait``, block until it is done. The lock goes with the process, so a killed run never leaves it held.
    ``remove`` deletes the file as the holder leaves (for a lock beside a user's file; only without ``wait``: a
    waiter would hold the deleted file's lock while a newcomer locks a new file).
    """
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WriteError(f"cannot create the lock file {lock_file}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise BusyError(f"{what} is being written by another run (pid {holder}); {hint}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            if remove:
                lock_file.unlink(missing_ok=True)  # still held: a run that opened it meanwhile is refused
    finally:
        os.close(fd)
