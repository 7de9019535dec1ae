"""The selection record (``facebridge.experiments.verification.selection``) as Markdown: one table per constant, every
number read from the record."""

from __future__ import annotations

from facebridge.reports.numbers import fmt, fmt_value
from facebridge.reports.summary import PLAIN_BASELINE, Record


def _table(name: str, entry: Record) -> list[str]:
    at = f" (at {fmt_value(entry['at'])})" if "at" in entry else ""
    lines = [
        f"## {name} = {fmt_value(entry['value'])}{at}",
        "",
        f"Chosen on {entry['chosen_on']}, by {entry['criterion']}.",
    ]
    if entry.get("tie_broken"):
        lines.append(
            f"Near tie: {fmt_value(entry['lowest_median'])} had the lowest median; the simpler "
            f"{fmt_value(entry['value'])} is within the band and is chosen."
        )
    lines += [
        "",
        "| candidate | median penalty vs plain | worst penalty vs plain | worst map | median cross % | worst cross % |",
        "|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(entry["candidates"]):
        mark = " (chosen)" if c == entry["value"] else ""
        lines.append(
            f"| {fmt_value(c)}{mark} | {fmt(entry['scores'][i])} | {fmt(entry['worst'][i])} | {entry['worst_map'][i]}"
            f" | {fmt(entry['cross_median'][i])} | {fmt(entry['cross_worst'][i])} |"
        )
    return [*lines, ""]


def selection_markdown(record: Record) -> str:
    """The whole record: how it was made, what View 1 holds, and each constant's candidates and scores."""
    p = record["protocol"]
    lines = [
        "# How the study's constants were chosen (LFW View 1)",
        "",
        f"Written by `{record['command']}`; do not edit by hand. facebridge {record['facebridge_version']}, "
        f"seed {record['seed']}, {record['duration_s']:.0f} s.",
        "",
        f"- Pairs: {p['pairs']} ({', '.join(f'{n}: {k}' for k, n in p['files'].items())}), "
        f"{p['folds']} people-disjoint folds; each fold's maps and views are fitted only on images of people "
        "outside it, and each fold's threshold is chosen on the other fold.",
        f"- Images: {p['n_images']} ({', '.join(p['models'])}); maps: {p['n_maps']} per candidate.",
        f"- Baseline: {PLAIN_BASELINE} on the same pairs (penalty = it minus the cross accuracy, points).",
        f"- View 2 is never read. {p['view2_overlap']}",
        "",
    ]
    for rerun in record.get("reruns", []):
        held = "the value held" if rerun["value_held"] else "the value changed"
        lines += [
            f"- Re-run of {rerun['entry']} alone: `{rerun['command']}` (facebridge {rerun['facebridge_version']}, "
            f"{rerun['duration_s']:.0f} s), because {rerun['reason']}; {held}. Its table below is the re-run's; "
            f"the earlier median penalties were {', '.join(fmt(v) for v in rerun['previous_scores'])}.",
            "",
        ]
    for name, entry in record["entries"].items():
        lines += _table(name, entry)
    return "\n".join(lines)
