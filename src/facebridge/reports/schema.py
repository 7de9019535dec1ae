"""The results-dict contract the study report reads (written by ``experiments.study``), checked before rendering.

Only what the report uses is checked: required keys and the kind of each field, so that a hand-edited or
truncated ``results.json`` gives one clear message instead of a traceback from deep inside a table. Optional fields
(``OPTIONAL``: ROC points, TAR at FAR, mean-vector norms; ``meta.selection``) are checked when present, and the
report says what it cannot show without them.

``meta.selection`` records how each constant of the methods was chosen (filled by the selection code, never by
hand): constant name -> {``value`` (any JSON), ``chosen_on`` (the data: e.g. "LFW View 1, pairsDevTrain.txt" or
"nested CV inside each outer fold's training folds"), ``criterion`` (what was maximised or minimised), and
optionally ``candidates`` (list), ``scores`` (numbers, one per candidate), ``score`` (what the scores are),
``per_fold`` (the value chosen in each outer fold), ``used_by`` (method keys)}. The entry ``headline_method``
(value: a method key) names the method whose best and worst maps the ROC figures show.
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


def _roc(v: Any) -> bool:  # {"far": [...], "tar": [...]} of equal, non-zero length
    return (
        isinstance(v, dict)
        and isinstance(v.get("far"), list)
        and isinstance(v.get("tar"), list)
        and 0 < len(v["far"]) == len(v["tar"])
        and all(map(_number, v["far"] + v["tar"]))
    )


KINDS: dict[Callable[[Any], bool], str] = {
    _number: "a number",
    _text: "a string",
    _size: "an integer or 'all'/'full'",
    _optional_int: "an integer or null",
    _roc: "an object of equal-length number lists 'far' and 'tar'",
}
_PAIR = {"source": _text, "target": _text, "method": _text}
RECORDS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "native": {"model": _text, "dim": _number, "mean": _number, "std": _number, "auc": _number, "eer": _number,
               "tar_far_1e-3": _number},
    "penalty": {**_PAIR, "mean": _number, "std": _number, "native_target": _number, "penalty": _number,
                "native_plain": _number, "penalty_vs_plain": _number},
    "modes": {**_PAIR, "cross": _number, "both": _number, "native_target": _number},
    "sample_size": {**_PAIR, "n": _size, "median": _number, "q25": _number, "q75": _number},
    "sample_size_summary": {**_PAIR, "full": _number, "smallest_n_within_0_5": _optional_int},
    "rank": {**_PAIR, "rank": _size, "mean": _number},
    "rank_summary": {**_PAIR, "full": _number, "smallest_rank_within_0_5": _optional_int},
}  # fmt: skip
OPTIONAL: dict[str, dict[str, Callable[[Any], bool]]] = {
    "native": {"mean_norm": _number, "roc": _roc},
    "penalty": {"tar_far_1e-3": _number, "roc": _roc},
}
SELECTION = ("value", "chosen_on", "criterion")
META = ("protocol", "pairs", "folds", "models", "quick", "seed", "metric", "pool", "duration_s",
        "facebridge_version", "methods", "notes")  # fmt: skip
METHOD = ("label", "family", "description", "params")
REFERENCE = ("max_penalty_points", "n_maps", "pairs_needed", "rank", "text")


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
        for key, ok in {**RECORDS[name], **OPTIONAL.get(name, {})}.items():
            if key in record and not ok(record[key]):
                return f"{where}{name}[{i}].{key} must be {KINDS[ok]}, got {_short(record[key])}"
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _selection_problem(selection: Any, where: str) -> str:
    if not isinstance(selection, dict):
        return f"{where} must be an object"
    for name, entry in selection.items():
        if problem := _missing(entry, SELECTION, f"{where}.{name}"):
            return problem
        if not (isinstance(entry["chosen_on"], str) and isinstance(entry["criterion"], str)):
            return f"{where}.{name}: chosen_on and criterion must be strings"
        if "scores" in entry and not (
            isinstance(entry["scores"], list)
            and all(map(_number, entry["scores"]))
            and len(entry["scores"]) == len(entry.get("candidates", ()))
        ):
            return f"{where}.{name}.scores must be numbers, one per candidate"
        for key in ("candidates", "per_fold", "used_by"):
            if key in entry and not isinstance(entry[key], list):
                return f"{where}.{name}.{key} must be a list"
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
    selection = part["meta"].get("selection", {})
    if problem := _selection_problem(selection, f"{where}meta.selection"):
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
    problem = problem or _missing(results, ("study_reference", "ytf"), "results")
    problem = problem or _missing(results["study_reference"], REFERENCE, "study_reference")
    problem = problem or _not_numbers(results["study_reference"], REFERENCE[:-1], "study_reference")
    privacy = results.get("privacy") if isinstance(results, dict) else None
    if not problem and privacy is not None:
        problem = _missing(privacy, ("meta", "pairs", "defences"), "privacy") if isinstance(privacy, dict) else (
            "privacy must be an audit results dict or null"
        )
    upgrade = results.get("upgrade") if isinstance(results, dict) else None
    if not problem and upgrade is not None:
        problem = _missing(upgrade, ("split", "pairs"), "upgrade")
    if problem or results["ytf"] is None:
        return problem
    return _part_problem(results["ytf"], "ytf.")
