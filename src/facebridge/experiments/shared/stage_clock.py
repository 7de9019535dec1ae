"""The wall time of each stage of a run, recorded in one place: the report's setup line, its stage table and the
command's last line all read it, so they cannot disagree.

A run that is interrupted and resumed (the privacy and upgrade stages keep finished pairs in checkpoints) is one run
over several invocations. With a record file, each invocation's stage times are kept there (a running stage's time so
far too, saved at most every :data:`TICK_S` seconds while it reports progress, and when it stops on an exception), so
a stage's time is the sum over the invocations that worked on it. The record starts afresh when the run it holds
finished, or was written for other settings (``key``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from facebridge.storage import atomic_write

log = logging.getLogger(__name__)

#: Seconds between two saves of a running stage's time.
TICK_S = 10.0


def _invocations(data: Any, key: Any) -> list[dict[str, float]]:
    """The earlier invocations of an unfinished run with ``key``; none for any other record."""
    if not isinstance(data, dict) or data.get("key") != key or data.get("complete") is not False:
        return []
    runs = data.get("invocations")
    if not isinstance(runs, list):
        return []
    valid = all(isinstance(r, dict) and all(isinstance(s, float | int) and s >= 0 for s in r.values()) for r in runs)
    return [{str(k): float(s) for k, s in r.items()} for r in runs] if valid else []


class StageClock:
    """Times a run's stages (``with clock.stage("penalty"): ...``); ``record``: the JSON file keeping them across
    invocations (None: this invocation only); ``key``: JSON-ready settings naming the run; ``now``: the clock."""

    def __init__(
        self,
        record: Path | None = None,
        key: Mapping[str, Any] | None = None,
        *,
        now: Callable[[], float] = time.perf_counter,
        tick_s: float = TICK_S,
    ) -> None:
        self._record, self._key, self._now, self._tick_s = record, json.loads(json.dumps(dict(key or {}))), now, tick_s
        self._saved = now()
        self._earlier: list[dict[str, float]] = []
        if record is not None and record.is_file():
            try:
                self._earlier = _invocations(json.loads(record.read_text(encoding="utf-8")), self._key)
            except (OSError, ValueError) as exc:
                log.warning("stage record %s unreadable (%s): starting it afresh", record, exc)
        self._stages: dict[str, float] = {}
        self._running: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Times the block as stage ``name`` (added to its time when it ran before in this invocation)."""
        started = self._now()
        self._running = (name, started)
        try:
            yield
        finally:
            with self._lock:
                self._running = None
                self._stages[name] = self._stages.get(name, 0.0) + self._now() - started
                self._save(complete=False)

    def split(self, name: str, parts: Mapping[str, float]) -> None:
        """Replace this invocation's stage ``name`` by ``parts``, timed inside it, and ``"<name>, other"``: the
        rest of its time (so the stages still sum to the invocation's)."""
        with self._lock:
            total = self._stages.pop(name)
            for part, seconds in parts.items():
                self._stages[part] = self._stages.get(part, 0.0) + seconds
            self._stages[f"{name}, other"] = max(0.0, total - sum(parts.values()))
            self._save(complete=False)

    def tick(self) -> None:
        """Save the running stage's time so far, at most once per ``tick_s``: a killed invocation's work counts."""
        if self._record is not None and self._now() - self._saved >= self._tick_s:
            with self._lock:
                self._save(complete=False)

    def finish(self) -> None:
        """Mark the run finished: the next invocation with this record starts a new run."""
        with self._lock:
            self._save(complete=True)

    @property
    def invocations(self) -> int:
        """How many invocations worked on this run, this one included."""
        return len(self._earlier) + 1

    def this_invocation(self) -> dict[str, float]:
        """This invocation's seconds per stage (the running stage's so far)."""
        stages = dict(self._stages)
        if self._running is not None:
            name, started = self._running
            stages[name] = stages.get(name, 0.0) + self._now() - started
        return stages

    def totals(self) -> dict[str, float]:
        """Seconds per stage summed over every invocation of the run, to 0.01 s, in the order first run."""
        out: dict[str, float] = {}
        for stages in (*self._earlier, self.this_invocation()):
            for name, seconds in stages.items():
                out[name] = out.get(name, 0.0) + seconds
        return {name: round(seconds, 2) for name, seconds in out.items()}

    def _save(self, *, complete: bool) -> None:
        self._saved = self._now()
        if self._record is None:
            return
        current = {name: round(s, 2) for name, s in self.this_invocation().items()}
        payload = json.dumps({"key": self._key, "complete": complete, "invocations": [*self._earlier, current]})
        atomic_write(self._record, lambda tmp: tmp.write_text(payload, encoding="utf-8"))
