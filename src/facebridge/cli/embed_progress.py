"""``embed``'s terminal output: progress bars drawn once work is known (plain lines when stderr is not a terminal,
see :mod:`facebridge.cli.progress`), and the closing summary line."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from facebridge.cli.progress import ProgressLines, plain_lines
from facebridge.embeddings.store import STATUS_FILE
from facebridge.extraction.detect import TOO_SMALL
from facebridge.extraction.extract import ExtractionSummary
from facebridge.faces import MIN_IMAGE_SIDE

STAGES = ("detect", "embed")


class EmbedProgress:
    """Detect and embed bars, started by ``start(n)`` (so errors before that print no empty bars).

    A stage's first report is the work already in the store (a resumed run); the rate counts only the images
    done in this run, and says ``resumed`` rather than ``0.0 images/s`` until there are some.
    """

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("{task.description:>9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
        )
        self._tasks = {stage: self._bar.add_task(stage, total=None, rate="") for stage in STAGES}
        self._began: dict[str, tuple[float, float]] = {}  # stage -> (clock at first report, images then)
        self._lines = ProgressLines() if plain_lines() else None
        self._total = 0

    def start(self, n_images: int) -> None:
        self._total = n_images
        for task in self._tasks.values():
            self._bar.update(task, total=n_images)
        if self._lines is None:
            self._bar.start()

    def advance(self, stage: str, n: float) -> None:
        task = self._tasks[stage]
        self._bar.advance(task, n)
        done = self._bar.tasks[task].completed
        if self._lines is not None:
            self._lines(stage, done, self._total)
        if stage not in self._began:
            self._began[stage] = (time.perf_counter(), done)
            self._bar.update(task, rate="resumed" if done else "")
            return
        clock, before = self._began[stage]
        elapsed = time.perf_counter() - clock
        if done > before and elapsed > 0:
            self._bar.update(task, rate=f"{(done - before) / elapsed:.1f} images/s")

    def __enter__(self) -> EmbedProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._bar.stop()


def summary_line(summary: ExtractionSummary, no_face: str) -> str:
    """One line: images by outcome (no-face fallbacks and skips always shown), new rows per model, time taken."""
    counts = dict(summary.status_counts)
    ok, fallback, skipped = counts.pop("ok", 0), counts.pop("fallback", 0), counts.pop("no_face", 0)
    small = counts.pop(TOO_SMALL, 0)
    bad = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    parts = [
        f"{summary.n_images} images: {ok} with a face",
        f"{fallback} no face, centre region embedded",
        f"{skipped} no face, skipped",
        *([f"{small} under {MIN_IMAGE_SIDE} px, skipped"] if small else []),
        f"{sum(counts.values())} unreadable" + (f" ({bad})" if bad else ""),
    ]
    new = ", ".join(f"{m} +{k}" for m, k in summary.newly_embedded.items())
    return f"{'; '.join(parts)} (--no-face {no_face}). New rows: {new}. Took {summary.seconds:.1f} s."


def left_out_line(summary: ExtractionSummary, store: Path, shown: int = 5) -> str | None:
    """The images left out of the sets, by name and status (the first ``shown``), and where every image's status
    is kept; None when every image was embedded."""
    left = sorted(summary.not_embedded.items())
    if not left:
        return None
    names = ", ".join(f"{i} ({status})" for i, status in left[:shown])
    more = f" and {len(left) - shown} more" if len(left) > shown else ""
    return (
        f"not embedded: {names}{more}; every image's status is in {store / STATUS_FILE} (columns id, status, note)"
    )
