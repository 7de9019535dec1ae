"""Results as strict JSON (no NaN or infinity), the one encoding every report's results.json uses."""

from __future__ import annotations

import json
import math
from typing import Any

from facebridge.errors import InvalidInputError


def _not_finite(obj: Any, where: str = "results") -> str:
    """Where ``obj`` holds a NaN or infinity (strict JSON has neither), or ``""``."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return where
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list | tuple) else ()
    for key, value in items:
        if found := _not_finite(value, f"{where}.{key}" if isinstance(obj, dict) else f"{where}[{key}]"):
            return found
    return ""


def results_json(results: dict) -> str:
    """``results`` as pretty, strict JSON; NaN, infinity or a non-JSON value is an InvalidInputError."""
    if where := _not_finite(results):
        raise InvalidInputError(f"results are not strict JSON: {where} is not finite")
    try:
        return json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except TypeError as exc:
        raise InvalidInputError(f"results are not JSON data: {exc}") from exc
