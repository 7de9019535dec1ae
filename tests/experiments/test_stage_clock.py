"""One record of time: each stage's wall time recorded once (``StageClock``), kept across the invocations of a
resumed run, and the report's setup line, its stage table and ``reproduce``'s last line all read from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from facebridge.cli.main import main
from facebridge.errors import InvalidInputError
from facebridge.experiments import reproduce as reproduce_module
from facebridge.experiments.shared.stage_clock import StageClock


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_stages_add_up_split_and_sum_over_the_invocations_of_a_resumed_run(tmp_path: Path) -> None:
    record, now = tmp_path / "stages.json", FakeTime()
    first = StageClock(record, {"seed": 0}, now=now, tick_s=10)
    with first.stage("load"):
        now.t += 2
    with first.stage("study"):
        now.t += 30
    first.split("study", {"penalty": 20.0, "rank": 7.5})
    assert first.totals() == {"load": 2.0, "penalty": 20.0, "rank": 7.5, "study, other": 2.5}
    with pytest.raises(KeyboardInterrupt), first.stage("privacy"):  # stopped mid-stage: its time so far is kept
        now.t += 40
        raise KeyboardInterrupt
    second = StageClock(record, {"seed": 0}, now=now)
    assert second.invocations == 2 and second.totals()["privacy"] == 40.0
    with second.stage("privacy"):
        now.t += 5
    assert second.totals() == {"load": 2.0, "penalty": 20.0, "rank": 7.5, "study, other": 2.5, "privacy": 45.0}
    assert second.this_invocation() == {"privacy": 5.0}
    second.finish()
    assert StageClock(record, {"seed": 0}, now=now).invocations == 1  # a finished run: the next one starts afresh


def test_a_killed_invocation_keeps_the_time_saved_by_its_ticks_and_other_settings_start_afresh(tmp_path: Path) -> None:
    record, now = tmp_path / "stages.json", FakeTime()
    clock = StageClock(record, {"seed": 0}, now=now, tick_s=10)
    with clock.stage("privacy"):
        now.t += 4
        clock.tick()  # under tick_s since the last save: nothing written
        assert not record.exists()
        now.t += 8
        clock.tick()
        saved = json.loads(record.read_text())
        # the process dies here: no exit from the stage
    assert saved == {"key": {"seed": 0}, "complete": False, "invocations": [{"privacy": 12.0}]}
    record.write_text(json.dumps(saved))
    assert StageClock(record, {"seed": 0}, now=now).totals() == {"privacy": 12.0}
    assert StageClock(record, {"seed": 1}, now=now).totals() == {}
    record.write_text("{not json")
    assert StageClock(record, {"seed": 0}, now=now).totals() == {}


def _report_numbers(out: Path) -> tuple[str, str]:
    md = (out / "report.md").read_text()
    setup = md[md.index("## Setup") : md.index("## Methods")]
    duration = re.search(r"Duration: (\d+) s", setup)
    total = re.search(r"\| all \| ([\d.]+) \|", setup)
    assert duration and total, setup
    return duration.group(1), total.group(1)


def test_setup_stage_table_and_stdout_say_the_same_duration_also_when_resumed(
    toy_reproduce, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    """The defect: the setup line said the study's own time (127 s) for a 523 s run; a resumed stage counted only
    the last invocation's part."""
    out = tmp_path / "r"
    args = ["reproduce", "--quick", "--no-privacy", "--out", str(out), "--workers", "1"]
    real_upgrade = reproduce_module.run_upgrade

    def stopped(*args, **kwargs):
        raise InvalidInputError("stopped by the test")

    monkeypatch.setattr(reproduce_module, "run_upgrade", stopped)
    assert main(args) == 2
    earlier = json.loads((out / "stages.json").read_text())
    assert earlier["complete"] is False and "penalty" in earlier["invocations"][0]
    monkeypatch.setattr(reproduce_module, "run_upgrade", real_upgrade)
    capsys.readouterr()
    assert main(args) == 0
    record = json.loads((out / "stages.json").read_text())
    assert record["complete"] is True and len(record["invocations"]) == 2
    meta = json.loads((out / "results.json").read_text())["meta"]
    summed = {s: sum(inv.get(s, 0.0) for inv in record["invocations"]) for s in meta["stages_s"]}
    assert meta["stages_s"] == pytest.approx(summed, abs=0.011)
    assert meta["stages_s"]["penalty"] > record["invocations"][1]["penalty"]  # both invocations' study counted
    assert meta["duration_s"] == pytest.approx(sum(meta["stages_s"].values()), abs=0.011)
    duration, total = _report_numbers(out)
    assert duration == f"{meta['duration_s']:.0f}" and total == f"{meta['duration_s']:.1f}"
    stdout = " ".join(capsys.readouterr().out.split())
    assert f"stage times {meta['duration_s']:.0f} s in all over 2 invocations (resumed)" in stdout
    assert "this invocation's wall time" in stdout
    assert meta["invocation_s"] == pytest.approx(sum(record["invocations"][1].values()), abs=0.011)
    assert f"over 2 invocations (resumed from checkpoints), {meta['invocation_s']:.0f} s of them in the last" in (
        out / "report.md"
    ).read_text()
