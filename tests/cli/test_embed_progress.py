"""embed's progress: a resumed run says so instead of a rate of 0.0 images/s."""

from __future__ import annotations

import io

from rich.console import Console

from facebridge.cli.embed_progress import EmbedProgress


def test_resumed_stage_says_resumed_and_rates_count_only_new_images() -> None:
    bar = EmbedProgress(Console(file=io.StringIO(), width=80))
    bar.start(10)
    bar.advance("detect", 10)  # everything was already in the store
    bar.advance("embed", 6)
    bar.advance("embed", 2)
    fields = {t.description: t.fields["rate"] for t in bar._bar.tasks}
    bar._bar.stop()
    assert fields["detect"] == "resumed"
    assert fields["embed"].endswith(" images/s") and fields["embed"] != "0.0 images/s"
