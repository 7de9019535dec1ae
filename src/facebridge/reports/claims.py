"""The 2020 study's own claims tested on this run's maps: whether each held, on which maps, and where it failed.

The claims (``study_reference``): a penalty of at most ``max_penalty_points`` per map, fewer than ``pairs_needed``
training pairs, rank ``rank``. Each is judged per method and map against a named baseline. Where failures gather
on off-centre spaces (the mean of a model's unit embeddings far from the origin, read from ``native[].mean_norm``),
the explanation says so with the norms; nothing in it is typed by hand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from facebridge.reports.numbers import fmt
from facebridge.reports.summary import PLAIN_BASELINE, VIEW_BASELINE, Record, pair_name, unique

#: A space is called off-centre when the mean of its unit embeddings has at least this norm: two unrelated faces
#: then score a cosine of about ``norm ** 2 >= 0.25`` on average, where a centred space scores about 0.
OFF_CENTRE_NORM = 0.5
#: Failing maps listed by name up to this many; more are counted per target.
LISTED = 3
#: Points under which the in-view and plain penalties are the same number (float noise): a plain-cosine method.
SAME = 1e-6


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Claim:
    """One claim judged for one method on the rows (maps) ``maps``; ``failing``: those where it does not hold;
    ``worst``: the figure ``shown`` names, as a number (inf where a map never reaches the criterion)."""

    kind: str
    claim: str
    method: str
    baseline: str
    maps: tuple[Record, ...]
    failing: tuple[Record, ...]
    shown: str
    worst: float

    @property
    def n_maps(self) -> int:
        return len(self.maps)

    @property
    def verdict(self) -> str:
        if not self.failing:
            return f"held on all {self.n_maps} maps"
        if len(self.failing) == self.n_maps:
            return f"not held on any of {self.n_maps} maps"
        return f"held on {self.n_maps - len(self.failing)} of {self.n_maps} maps"


def maps_text(rows: Sequence[Record]) -> str:
    """The maps of ``rows`` by name when few, else counted per target (most first)."""
    if not rows:
        return "none"
    if len(rows) <= LISTED:
        return ", ".join(pair_name(r) for r in rows)
    by_target = Counter(r["target"] for r in rows).most_common()
    return f"{len(rows)} maps; into " + ", ".join(f"{t} ({n})" for t, n in by_target)


def _penalty_claims(part: Record, bound: float) -> list[Claim]:
    rows = part["penalty"]
    out = []
    claim = f"penalty ≤ {bound:.1f} point"
    for method in unique(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        for key, baseline in (("penalty_vs_plain", PLAIN_BASELINE), ("penalty", VIEW_BASELINE)):
            if key == "penalty" and all(abs(r["penalty"] - r["penalty_vs_plain"]) < SAME for r in mine):
                continue  # scored with plain cosine: the in-view baseline is the plain one
            worst = max(mine, key=lambda r: r[key])
            shown = f"worst {worst[key]:.2f} ({pair_name(worst)})"
            failing = tuple(r for r in mine if r[key] > bound)
            out.append(Claim("penalty", claim, method, baseline, tuple(mine), failing, shown, worst[key]))
    return out


def _reach_claims(
    summary: Sequence[Record], key: str, kind: str, claim: str, baseline: str, ok: Callable[[Any], bool]
) -> list[Claim]:
    out = []
    for method in unique(r["method"] for r in summary):
        mine = [r for r in summary if r["method"] == method]
        reached = [r[key] for r in mine if r[key] is not None]
        never = len(mine) - len(reached)
        shown = f"worst map {max(reached)}" if reached else "never within 0.5 points"
        if reached and never:
            shown = f"worst reached {max(reached)}; never on {plural(never, 'map')}"
        failing = tuple(r for r in mine if r[key] is None or not ok(r[key]))
        worst = max(reached) if reached and not never else math.inf
        out.append(Claim(kind, claim, method, baseline, tuple(mine), failing, shown, worst))
    return out


def study_claims(results: Record) -> list[Claim]:
    """Every claim of the study judged per method on the main protocol's results."""
    ref = results["study_reference"]
    pairs, rank = ref["pairs_needed"], ref["rank"]
    return [
        *_penalty_claims(results, ref["max_penalty_points"]),
        *_reach_claims(
            results["sample_size_summary"],
            "smallest_n_within_0_5",
            "pairs",
            f"fewer than {pairs} training pairs",
            "the method's map fitted on the full training pool, within 0.5 points",
            lambda n: n < pairs,
        ),
        *_reach_claims(
            results["rank_summary"],
            "smallest_rank_within_0_5",
            "rank",
            f"rank {rank} suffices",
            "the full-rank map, within 0.5 points",
            lambda r: r <= rank,
        ),
    ]


def off_centre(native: Sequence[Record]) -> dict[str, float]:
    """Model -> norm of its mean unit embedding, for the models at or over ``OFF_CENTRE_NORM``."""
    return {r["model"]: r["mean_norm"] for r in native if r.get("mean_norm", 0.0) >= OFF_CENTRE_NORM}


def why_not(claims: Sequence[Claim], native: Sequence[Record]) -> str:
    """Where the failing (map, method) cases of ``claims`` (one kind) gather, and whether off-centre spaces
    explain them; ``""`` when nothing fails."""
    failing = [r for c in claims for r in c.failing]
    if not failing:
        return ""
    by_target = Counter(r["target"] for r in failing).most_common()
    counts = ", ".join(f"{t} ({n})" for t, n in by_target)
    text = f"{plural(len(failing), 'failing (map, method) case')}; by target: {counts}"
    norms = {r["model"]: r["mean_norm"] for r in native if "mean_norm" in r}
    if not norms:
        return text + ". The results record no mean-vector norms, so off-centre spaces cannot be judged."
    off = off_centre(native)
    centred = sorted(v for m, v in norms.items() if m not in off)
    if not off:
        return text + f". No space is off-centre (every ‖mean‖ < {OFF_CENTRE_NORM})."
    involved = [r for c in claims for r in c.maps if r["source"] in off or r["target"] in off]
    clean = [r for c in claims for r in c.maps if r["source"] not in off and r["target"] not in off]
    involved_failing = sum(r["source"] in off or r["target"] in off for r in failing)
    clean_failing = len(failing) - involved_failing
    spread = "none" if not centred else f"‖mean‖ {fmt(centred[0])}" + (
        f" to {fmt(centred[-1])}" if fmt(centred[-1]) != fmt(centred[0]) else ""
    )
    rate = involved_failing / len(involved) if involved else 0.0
    if rate > (clean_failing / len(clean) if clean else 0.0):
        names = ", ".join(f"{m} (‖mean‖ = {v:.2f}: unrelated faces score a cosine of about {v * v:.2f} on average)"
                          for m, v in off.items())  # fmt: skip
        return (
            f"{text}. The failures gather on the off-centre spaces: {names}. {involved_failing} of the "
            f"{len(involved)} cases that map into or out of them fail, against {clean_failing} of {len(clean)} "
            f"among the other spaces ({spread})."
        )
    names = ", ".join(f"{m} (‖mean‖ = {v:.2f})" for m, v in off.items())
    return (
        f"{text}. The off-centre spaces, {names}, do not explain them: {involved_failing} of the {len(involved)} "
        f"cases that involve them fail, {clean_failing} of {len(clean)} among the others ({spread})."
    )
