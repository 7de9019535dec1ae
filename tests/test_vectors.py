"""The one home of row normalisation: unit norms, and its two zero-row policies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from facebridge.errors import InvalidInputError
from facebridge.vectors import l2_normalize_rows, unit_rows

finite = st.floats(-1e3, 1e3, allow_nan=False, width=32)


@given(arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=finite))
def test_l2_normalize_rows_gives_unit_rows_and_keeps_zero_rows_zero(a: np.ndarray) -> None:
    out = l2_normalize_rows(a, np.float64)
    norms = np.linalg.norm(a.astype(np.float64), axis=1)
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(out, axis=1)[norms > 1e-6], 1.0, rtol=1e-9)
    assert (out[norms == 0] == 0).all()
    np.testing.assert_allclose(out[norms > 0] * norms[norms > 0, None], a[norms > 0], rtol=1e-6, atol=1e-6)


def test_l2_normalize_rows_keeps_the_input_dtype_by_default() -> None:
    assert l2_normalize_rows(np.ones((2, 3), np.float32)).dtype == np.float32


def test_unit_rows_refuses_a_zero_row_by_id_or_row_number() -> None:
    a = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(unit_rows(a[:1]), [[0.6, 0.8]])
    with pytest.raises(InvalidInputError, match=r"\(row 1 of B\)"):
        unit_rows(a, "B")
    with pytest.raises(InvalidInputError, match=r"\('Bob/2.jpg' of edgeface-xs\)"):
        unit_rows(a, "edgeface-xs", ["Bob/1.jpg", "Bob/2.jpg"])
