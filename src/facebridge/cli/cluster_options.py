"""``--scheduler``, shared by ``fit``, ``transform`` and ``migrate``: run on a Dask cluster instead of one process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        envvar="FACEBRIDGE_SCHEDULER",
        show_envvar=True,
        metavar="ADDRESS|local[:N]",
        help="Run on a Dask cluster: a scheduler's address (tcp://host:8786), or local[:N] for N worker processes "
        "on this machine (default: one per CPU). Without it: one process.",
    ),
]


@contextmanager
def cluster_executor(address: str | None) -> Iterator[tuple[Any | None, int | None]]:
    """The ``concurrent.futures`` executor of the cluster ``--scheduler`` names and its worker count, for the
    commands that hand their tasks to an executor (``embed``, ``reproduce``); ``(None, None)`` without one."""
    if address is None:
        yield None, None
        return
    with cluster_client(address) as client:
        yield client.get_executor(), max(1, len(client.scheduler_info()["workers"]))


@contextmanager
def cluster_client(address: str) -> Iterator[Any]:
    """The Dask client for ``--scheduler address``; prints the dashboard's link on stderr."""
    from facebridge.cluster import connect

    with connect(address) as client:
        Console(stderr=True).print(f"Dask dashboard: {client.dashboard_link}", highlight=False)
        yield client
