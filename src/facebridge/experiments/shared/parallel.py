"""The study's work units on several threads: its time is in BLAS and LAPACK calls, which release the GIL, so
threads sharing one copy of the moments use every core without a second copy of the data (processes would need
one each). Each thread runs BLAS on one thread of its own (``threads.blas_threads``); units are independent and
their results are merged in order, so the numbers do not depend on the thread count.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from facebridge.checks import check_int

T = TypeVar("T")
R = TypeVar("R")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_workers(workers: int | None) -> int:
    """``workers`` (None: ``usable_cpus()``), checked to be an integer >= 1."""
    if workers is None:
        return usable_cpus()
    return check_int(workers, "workers", "study", 1)


def map_threads(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work(item)`` for each of ``items`` on ``workers`` threads, yielded in ``items``' order as they finish (so a
    caller can merge and drop each result while the others run)."""
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="study") as pool:
        yield from pool.map(work, items)


class Ticker:
    """``progress(stage, done, total)`` after each finished unit, counted safely from any thread."""

    def __init__(self, progress: Callable[[str, int, int], None] | None, stage: str, total: int) -> None:
        self.progress, self.stage, self.total = progress, stage, total
        self._done = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self._done += 1
            if self.progress:
                self.progress(self.stage, self._done, self.total)
