"""Limiting the BLAS thread pool while the study runs.

The study's work is thousands of small LAPACK calls (eigen-decompositions and SVDs of 128..1536-square matrices);
OpenBLAS runs them several times slower with 2 threads than with 1 on a busy 2-core machine (measured: a 512 x 512
``eigh`` takes 0.04 s with 1 thread and 3.8 s with 2 under load), so one thread is the safe default.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Run the block with at most ``limit`` BLAS threads (``threadpoolctl``); None leaves the pool as it is."""
    if limit is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.warning("threadpoolctl is not installed: BLAS keeps its default thread count (pip install threadpoolctl)")
        yield
        return
    with threadpool_limits(limits=limit, user_api="blas"):
        yield
