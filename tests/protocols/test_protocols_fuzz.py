"""Fuzzed protocol files (LFW pairs.txt, pairs CSV, YTF splits): only facebridge's own errors may come out."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facebridge.errors import FacebridgeError
from facebridge.protocols import PairList, parse_lfw_pairs, parse_pairs_csv, parse_ytf_splits

FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NUMBERS = st.sampled_from(["0", "1", "2", "10", "-1", "99999999999999999999", "1e3", "0x10", " 3", "٣", ""])
NAMES = st.sampled_from(["Al_Gore", "A/B", "Al_Gore/1", "/abs", "..", "a,b", "x y", "Al_Gore/1/2", "é", "\x00", ""])
TOKENS = st.one_of(NUMBERS, NAMES, st.sampled_from(["true", "False", "same", "path1"]), st.text(max_size=4))


def lines(separators: str) -> st.SearchStrategy[str]:
    """Up to 12 lines of up to 6 tokens, each line joined by one of ``separators``."""
    rows = st.lists(st.tuples(st.sampled_from(separators), st.lists(TOKENS, max_size=6)), max_size=12)
    return rows.map(lambda rs: "\n".join(sep.join(toks) for sep, toks in rs))


def check(parse: Callable[[Path], PairList], text: str | bytes, folder: Path) -> None:
    path = folder / "pairs.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        pairs = parse(path)
    except FacebridgeError:
        return
    assert isinstance(pairs, PairList) and pairs.n >= 0


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@FUZZ
@given(text=st.one_of(lines("\t "), st.binary(max_size=200)))
def test_lfw_pairs_txt(folder, text) -> None:
    check(parse_lfw_pairs, text, folder)


@FUZZ
@given(
    text=st.one_of(lines(","), st.binary(max_size=200)),
    n_folds=st.integers(-1, 12),
    by=st.sampled_from(["people", "pairs"]),
)
def test_pairs_csv(folder, text, n_folds, by) -> None:
    check(lambda p: parse_pairs_csv(p, n_folds=n_folds, folds_by=by), text, folder)


@FUZZ
@given(text=st.one_of(lines(", "), st.binary(max_size=200)))
def test_ytf_splits(folder, text) -> None:
    check(parse_ytf_splits, text, folder)
