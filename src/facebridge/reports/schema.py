"""The results-dict contract the study report reads (written by ``experiments.study``), checked before rendering.

Only what the report uses is checked: required keys and the kind of each field, so that a hand-edited or
truncated ``results.json`` gives one clear message instead of a traceback from deep inside a table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _text(v: Any) -> bool:
    return isinstance(v, str)


def _size(v: Any) -> bool:  # an int, or "all" / "full" for the full-size point
    return (isinstance(v, int) and not isinstance(v, bool)) or v in ("all", "full")


def _optional_int(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool))


KINDS: dict[Callable[[Any], bool], str] = {
    _number: "a number",
    _text: "a string",
    _size: "an integer or 'all'/'full'",
    _optional_int: "an integer or null",
}
_PAIR = {"source": _text, "target": _text, "method": _text}
RECORDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "native": {"model": _text, "dim": _number, "mean": _number, "std": _number, "auc": _number, "eer": _number,
               "tar_far_1e-3": _number},
    "penalty": {**_PAIR, "mean": _number, "std": _number, "native_target": _number, "penalty": _number},
    "modes": {**_PAIR, "cross": _number, "both": _number, "native_target": _number},
    "sample_size": {**_PAIR, "n": _size, "median": _number, "q25": _number, "q75": _number},
    "sample_size_summary": {**_PAIR, "full": _number, "smallest_n_within_0_5": _optional_int},
    "rank": {**_PAIR, "rank": _size, "mean": _number},
    "rank_summary": {**_PAIR, "full": _number, "smallest_rank_within_0_5": _optional_int},
}  # fmt: skip
META = ("protocol", "pairs", "folds", "models", "quick", "seed", "metric", "pool", "duration_s",
        "facebridge_version", "methods", "notes")  # fmt: skip
METHOD = ("label", "family", "description", "params")
REFERENCE = ("max_penalty_points", "n_maps", "pairs_needed", "rank", "text")
TARGETS = ("median_penalty_points", "worst_penalty_points", "n_within_0_5", "rank_within_0_5")


def _missing(obj: Any, keys: tuple[str, ...], where: str) -> str:
    if not isinstance(obj, dict):
        return f"{where} must be an object"
    absent = [k for k in keys if k not in obj]
    return f"{where} lacks {', '.join(map(repr, absent))}" if absent else ""


def _not_numbers(obj: dict, keys: tuple[str, ...], where: str) -> str:
    wrong = [k for k in keys if not _number(obj[k])]
    return f"{where}.{wrong[0]} must be a number, got {obj[wrong[0]]!r}" if wrong else ""


def _records_problem(part: dict, name: str, where: str) -> str:
    records = part.get(name)
    if not isinstance(records, list):
        return f"{where}{name} must be a list"
    for i, record in enumerate(records):
        problem = _missing(record, tuple(RECORDS[name]), f"{where}{name}[{i}]")
        if problem:
            return problem
        for key, ok in RECORDS[name].items():
            if not ok(record[key]):
                return f"{where}{name}[{i}].{key} must be {KINDS[ok]}, got {record[key]!r}"
    return ""


def _part_problem(part: Any, where: str) -> str:
    problem = _missing(part, ("meta", *RECORDS), where.rstrip(".") or "results")
    problem = problem or _missing(part["meta"], META, f"{where}meta")
    if problem:
        return problem
    methods = part["meta"]["methods"]
    if not isinstance(methods, dict):
        return f"{where}meta.methods must be an object"
    for key, info in methods.items():
        if problem := _missing(info, METHOD, f"{where}meta.methods.{key}"):
            return problem
    for name in RECORDS:
        if problem := _records_problem(part, name, where):
            return problem
    unknown = sorted({r["method"] for r in part["penalty"]} - set(methods))
    if unknown:
        return f"{where}penalty uses methods not described in {where}meta.methods: {', '.join(unknown)}"
    strangers = sorted({m for r in part["penalty"] for m in (r["source"], r["target"])} - set(part["meta"]["models"]))
    if strangers:
        return f"{where}penalty names models not in {where}meta.models: {', '.join(strangers)}"
    for curve, summary in (("sample_size", "sample_size_summary"), ("rank", "rank_summary")):
        summarised = {_map(r) for r in part[summary]}
        if lone := [_map(r) for r in part[curve] if _map(r) not in summarised]:
            return f"{where}{curve} has {lone[0][0]} → {lone[0][1]} ({lone[0][2]}) but {where}{summary} does not"
    return ""


def _map(record: dict) -> tuple[str, str, str]:
    return record["source"], record["target"], record["method"]


def results_problem(results: Any) -> str:
    """What makes ``results`` unfit for the study report (first problem, one line), or ``""`` when it fits."""
    problem = _part_problem(results, "")
    problem = problem or _missing(results, ("study_reference", "targets", "ytf"), "results")
    problem = problem or _missing(results["study_reference"], REFERENCE, "study_reference")
    problem = problem or _not_numbers(results["study_reference"], REFERENCE[:-1], "study_reference")
    problem = problem or _missing(results["targets"], TARGETS, "targets")
    problem = problem or _not_numbers(results["targets"], TARGETS, "targets")
    if problem or results["ytf"] is None:
        return problem
    return _part_problem(results["ytf"], "ytf.")
