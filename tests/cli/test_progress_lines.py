"""Long commands print plain, throttled progress lines when stderr is not a terminal (``reproduce > log 2>&1`` was
silent for 45 minutes)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import facebridge
from facebridge.cli.progress import ProgressLines
from facebridge.embeddings import EmbeddingSet, Fingerprint, write_parquet

SRC = Path(facebridge.__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lines_show_start_throttled_counts_with_eta_and_end() -> None:
    out, clock = io.StringIO(), Clock()
    lines = ProgressLines(out, interval=20.0, clock=clock, quiet=0.0)
    lines("penalty", 0, 100)
    for step in range(1, 101):  # 100 reports, one a second
        clock.now = float(step)
        lines("penalty", step, 100)
    printed = out.getvalue().splitlines()
    assert printed[0] == "progress: penalty started"
    assert printed[-1] == "progress: penalty done 100/100 in 1m40s"
    middle = printed[1:-1]
    assert len(middle) == 4  # at 20, 40, 60 and 80 s: one line per 20 s, not 100
    assert middle[0] == "progress: penalty 20/100, 0m20s, eta 1m20s"
    assert all(", eta " in line for line in middle)


def test_each_stage_is_throttled_on_its_own_and_resumed_work_is_said() -> None:
    out, clock = io.StringIO(), Clock()
    lines = ProgressLines(out, interval=10.0, clock=clock, quiet=0.0)
    lines("detect", 50, 100)  # found done in the store
    lines("embed", 0, 100)
    clock.now = 5.0
    lines("detect", 60, 100)  # too soon for either stage
    lines("embed", 10, 100)
    clock.now = 12.0
    lines("detect", 70, 100)
    lines("embed", 20, 100)
    printed = out.getvalue().splitlines()
    assert printed == [
        "progress: detect started, 50/100 already done",
        "progress: embed started",
        "progress: detect 70/100, 0m12s, eta 0m18s",  # rate from this run's 20 images in 12 s, not the 70 done
        "progress: embed 20/100, 0m12s, eta 0m48s",
    ]


def test_a_command_over_within_the_first_interval_prints_no_lines() -> None:
    out, clock = io.StringIO(), Clock()
    lines = ProgressLines(out, interval=20.0, clock=clock)
    for step in range(11):
        clock.now = float(step)
        lines("map", step, 10)
    assert out.getvalue() == ""
    lines = ProgressLines(out, interval=20.0, clock=clock)  # made at 10 s
    for step in range(101):
        clock.now = 10.0 + step
        lines("fit", step, 100)
    assert out.getvalue().splitlines() == [
        "progress: fit 20/100, 0m20s, eta 1m20s",  # the first line once the quiet 20 s are over
        "progress: fit 40/100, 0m40s, eta 1m00s",
        "progress: fit 60/100, 1m00s, eta 0m40s",
        "progress: fit 80/100, 1m20s, eta 0m20s",
        "progress: fit done 100/100 in 1m40s",
    ]


def test_migrate_and_upgrade_write_progress_lines_to_a_non_terminal_stderr(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ids = np.array([f"P{p:02d}/P{p:02d}_{i:04d}.jpg" for p in range(12) for i in range(3)], dtype=object)
    for name in ("a", "b"):
        es = EmbeddingSet(ids, rng.normal(size=(36, 8)), Fingerprint(model=name))
        write_parquet(es, tmp_path / f"{name}.parquet")
    env = {**os.environ, "PYTHONPATH": str(SRC), "FACEBRIDGE_PROGRESS_SECONDS": "0"}  # every report a line
    script = "import sys; from facebridge.cli.main import main; sys.exit(main())"

    def run(*args: object) -> str:
        with open(tmp_path / "log", "w") as log:  # stderr a file, as in `facebridge ... > log 2>&1`
            code = subprocess.run(
                [sys.executable, "-c", script, *map(str, args)],
                stdout=log, stderr=subprocess.STDOUT, env=env, timeout=300, cwd=tmp_path,
            ).returncode  # fmt: skip
        text = (tmp_path / "log").read_text()
        assert code == 0, text
        return text

    assert run("fit", "--source", "a.parquet", "--target", "b.parquet", "--out", "m.fbmap")
    text = run("migrate", "--map", "m.fbmap", "--gallery", "a.parquet", "--out", "g.parquet", "--batch-rows", "1")
    progress = [line for line in text.splitlines() if line.startswith("progress:")]
    assert progress[0] == "progress: map started" and progress[-1].startswith("progress: map done 36/36 in 0m0")
    assert "progress: map 17/36, " in text and len(progress) == 37  # 36 chunks of one row
    text = run("upgrade", "--store", ".", "--models", "a,b", "--out", "up", "--method", "ridge", "--folds", "3")
    assert "progress: upgrade started" in text and "progress: upgrade done 2/2" in text
