"""How the report prints numbers: fixed decimals for accuracies and penalties, three significant digits for
parameters (``3.16e-4``, never ``0.00031622776601683794``), never ``-0.00``; a dash means only "no value"."""

from __future__ import annotations

from typing import Any

#: The one meaning of a dash in the report: no value here (no map, or not measured).
DASH = "–"


def fmt(x: float | None, digits: int = 2) -> str:
    """``x`` with ``digits`` decimals (a value that rounds to zero prints unsigned), or :data:`DASH` for None."""
    if x is None:
        return DASH
    text = f"{x:.{digits}f}"
    return text.removeprefix("-") if float(text) == 0 else text


def fmt_signed(x: float, digits: int = 2) -> str:
    """``x`` with an explicit sign (``+0.12``, ``-0.40``), zero unsigned."""
    text = fmt(x, digits)
    return text if text.startswith("-") or float(text) == 0 else f"+{text}"


def fmt_sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits, trailing zeros dropped: plain between 1e-2 and 1e4, else ``3.16e-4``
    or ``1e-3`` (no exponent padding)."""
    if x == 0:
        return "0"
    if 1e-2 <= abs(x) < 1e4:
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def fmt_value(v: Any) -> str:
    """A parameter value as text: numbers by :func:`fmt_sig` (integers exact), lists as ``[a, b, ...]``."""
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_sig(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(fmt_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return ", ".join(f"{k}={fmt_value(x)}" for k, x in v.items())
    return str(v)
