"""The study's thread helper: results in the items' order whatever the threads, errors raised, checked worker
counts, and a progress count safe from any thread."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facebridge.errors import InvalidInputError
from facebridge.experiments.shared.parallel import Ticker, check_workers, map_threads


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 100), max_size=12), st.integers(1, 4))
def test_results_come_in_the_items_order(items: list[int], workers: int) -> None:
    assert list(map_threads(lambda x: x * x, items, workers)) == [x * x for x in items]


def test_an_error_in_a_unit_is_raised_and_workers_are_checked() -> None:
    def work(x: int) -> int:
        if x == 3:
            raise ValueError("unit 3 failed")
        return x

    with pytest.raises(ValueError, match="unit 3 failed"):
        list(map_threads(work, range(6), 2))
    assert check_workers(3) == 3 and check_workers(None) >= 1
    for bad in (0, -1, True, 1.5):
        with pytest.raises(InvalidInputError, match="workers must be an integer >= 1"):
            check_workers(bad)  # type: ignore[arg-type]


def test_the_ticker_counts_every_unit_once_from_many_threads() -> None:
    seen: list[int] = []
    tick = Ticker(lambda stage, done, total: seen.append(done), "stage", 40)
    list(map_threads(lambda _: tick(), range(40), 4))
    assert seen == list(range(1, 41))
