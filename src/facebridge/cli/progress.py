"""Progress of long commands, one helper for all: rich bars on a terminal, plain throttled lines on stderr otherwise.

``facebridge reproduce > log 2>&1`` must not be silent for 45 minutes: when stderr is not a terminal, each stage
prints a line when it starts, at most one line every :data:`LINE_INTERVAL` seconds while it runs (done/total,
elapsed, ETA) and one when it ends. A command that is over within its first interval prints none (its summary says
enough; its stderr stays its error line). ``$FACEBRIDGE_PROGRESS_SECONDS`` sets the interval. Callers report
``progress(stage, done, total)``, the experiments' callback.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from facebridge.errors import InvalidInputError

#: Seconds between two plain lines of one stage, and before the first line of a command.
LINE_INTERVAL = 20.0
INTERVAL_ENV = "FACEBRIDGE_PROGRESS_SECONDS"


def line_interval() -> float:
    """:data:`LINE_INTERVAL`, or ``$FACEBRIDGE_PROGRESS_SECONDS`` (a number >= 0) when set."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if not raw:
        return LINE_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise InvalidInputError(f"${INTERVAL_ENV} must be a number of seconds >= 0, got {raw!r}")
    return value


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _count(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


class ProgressLines:
    """``progress(stage, done, total)`` as plain lines on ``stream``: a stage's start, then at most one line per
    ``interval`` seconds, then its end (done reaching total); nothing during the first ``quiet`` seconds after it is
    made (default: ``interval``). ETA from the rate since the stage's first report, so work found already done (a
    resumed run) does not make it optimistic."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        quiet: float | None = None,
    ) -> None:
        self._stream, self._clock = stream, clock
        self._interval = line_interval() if interval is None else interval
        self._quiet_until = clock() + (self._interval if quiet is None else quiet)
        self._first: dict[str, tuple[float, float]] = {}  # stage -> (clock, done) at its first report
        self._last: dict[str, float] = {}  # stage -> clock of its last line
        self._ended: set[str] = set()

    def _print(self, text: str) -> None:
        if self._clock() < self._quiet_until:
            return
        stream = self._stream or sys.stderr
        print(f"progress: {text}", file=stream, flush=True)

    def __call__(self, stage: str, done: float, total: float | None) -> None:
        now = self._clock()
        finished = total is not None and done >= total
        if stage not in self._first:
            self._first[stage], self._last[stage] = (now, done), now
            of = f"/{_count(total)}" if total is not None else ""
            self._print(f"{stage} started" + (f", {_count(done)}{of} already done" if done else ""))
            if not finished:
                return
        if finished and total is not None:
            if stage not in self._ended:
                self._ended.add(stage)
                took = _duration(now - self._first[stage][0])
                self._print(f"{stage} done {_count(done)}/{_count(total)} in {took}")
            return
        self._ended.discard(stage)  # a stage can be reported again (e.g. a second model's embedding)
        if now - self._last[stage] < self._interval:
            return
        self._last[stage] = now
        start, before = self._first[stage]
        text = f"{stage} {_count(done)}" + (f"/{_count(total)}" if total else "") + f", {_duration(now - start)}"
        if total and done > before and now > start:
            eta = (total - done) * (now - start) / (done - before)
            text += f", eta {_duration(eta)}"
        self._print(text)


def plain_lines() -> bool:
    """Whether progress goes out as plain lines: stderr is not a terminal (a log file, a pipe, a test runner)."""
    return not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


@contextmanager
def stage_progress(console: Console, width: int = 12) -> Iterator[Callable[[str, float, float], None]]:
    """A ``progress(stage, done, total)`` callback for the block: one rich bar per stage on ``console`` when stderr
    is a terminal, else :class:`ProgressLines` on stderr."""
    if plain_lines():
        yield ProgressLines()
        return
    columns = (
        TextColumn(f"{{task.description:>{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress
