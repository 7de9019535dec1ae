"""A Dask client from a ``--scheduler`` value: a scheduler's address, or ``local[:N]`` for a cluster on this machine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from facebridge.errors import InvalidInputError, SchedulerError

#: Seconds to wait for a remote scheduler before giving up: an unreachable address should fail fast, not hang.
CONNECT_TIMEOUT = 5.0


def local_workers(address: str) -> int | None:
    """Worker processes of ``local`` (one per CPU) or ``local:N``; None when ``address`` is a scheduler address."""
    name, sep, count = address.partition(":")
    if name != "local":
        return None
    if not sep:
        return os.cpu_count() or 1
    if not count.isdigit() or int(count) < 1:
        raise InvalidInputError(f"scheduler {address!r}: expected local or local:N with N >= 1 workers")
    return int(count)


@contextmanager
def connect(address: str, *, timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, closed (with its local cluster, if any) on exit.

    ``local`` / ``local:N`` starts a ``LocalCluster`` of worker processes with one thread each (and Dask's nanny
    pins BLAS to one thread), so partitions run side by side without sharing a GIL; anything else is a scheduler
    address (``tcp://host:8786``), reached within ``timeout`` seconds or SchedulerError.
    """
    import distributed

    n_workers = local_workers(address)
    if n_workers is not None:
        cluster = distributed.LocalCluster(
            processes=True, n_workers=n_workers, threads_per_worker=1, dashboard_address=":0"
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({reason}); start one "
            "(dask scheduler) or use 'local' for a cluster on this machine"
        ) from None
    with client:
        yield client
