"""The study report's verdict box: the study's three claims held or not (with the number behind each), the headline
method's penalty, and the upgrade and privacy headlines, all read from the results dict.

A claim is held when at least one method holds it on every map against the headline baseline (plain native for the
penalty); the number shown is that method's, or, when none holds it, the method closest to holding it (fewest
failing maps, then the smallest worst figure).
"""

from __future__ import annotations

from collections.abc import Sequence

from facebridge.reports.claims import Claim, maps_text, study_claims
from facebridge.reports.document import Verdict
from facebridge.reports.numbers import fmt
from facebridge.reports.privacy import audit_verdict
from facebridge.reports.summary import VIEW_BASELINE, Record, headline_method, method_label, penalty_summaries
from facebridge.reports.upgrade import upgrade_headline

HELD, NOT_HELD = "held", "not held"


def closest(claims: Sequence[Claim]) -> Claim:
    """The claim (one method's) nearest to holding: fewest failing maps, then the smallest worst figure."""
    return min(claims, key=lambda c: (len(c.failing), c.worst))


def claim_verdicts(results: Record) -> list[tuple[str, str]]:
    """(held / not held, sentence) per claim of the study tested in this run, in the study's order."""
    claims = [c for c in study_claims(results) if c.baseline != VIEW_BASELINE]
    methods = results["meta"]["methods"]
    out = []
    for kind in dict.fromkeys(c.kind for c in claims):
        mine = [c for c in claims if c.kind == kind]
        best = closest(mine)
        holding = sum(not c.failing for c in mine)
        fails = f" (fails on {maps_text(best.failing)})" if best.failing else ""
        text = (
            f"{best.claim[0].upper()}{best.claim[1:]} (against {best.baseline}): "
            f"{method_label(methods, best.method)}, {best.shown}, {best.verdict}{fails}; "
            f"{holding} of {len(mine)} methods hold it on every map."
        )
        out.append((NOT_HELD if best.failing else HELD, text))
    return out


def headline_penalty(results: Record, key: str) -> str:
    """The headline method ``key``'s median and worst penalty against plain native; the method with the lowest
    median on this run is named too when it is another one (the headline method is chosen without test folds)."""
    rows, methods = results["penalty"], results["meta"]["methods"]
    bound = results["study_reference"]["max_penalty_points"]
    summaries = {s.method: s for s in penalty_summaries(rows, bound)}
    chosen = results["meta"].get("selection", {}).get("headline_method", {})
    why = f"chosen on {chosen['chosen_on']}" if chosen.get("value") == key else "the method listed first"
    s = summaries[key]
    text = (
        f"Headline method {method_label(methods, key)} ({why}): penalty vs plain native median {fmt(s.median)} "
        f"points, worst {fmt(s.worst)} ({s.worst_pair}), over {s.n_maps} maps; cross accuracy median "
        f"{fmt(s.cross_median)}%."
    )
    lowest = min(summaries.values(), key=lambda m: m.median)
    if lowest.method != key:
        text += (
            f" Lowest median on this run: {method_label(methods, lowest.method)}, {fmt(lowest.median)} "
            f"(worst {fmt(lowest.worst)})."
        )
    return text


def study_verdict(results: Record) -> Verdict:
    """The box: a quick-run warning, each claim's verdict, the headline penalty, the upgrade and privacy headlines;
    a part that did not run has no line."""
    items = claim_verdicts(results)
    key = headline_method(results)
    if key is not None:
        items.append(("", headline_penalty(results, key)))
    upgrade = results.get("upgrade")
    if upgrade and upgrade.get("pairs"):
        items.append(("", upgrade_headline(upgrade)))
    if results.get("privacy") is not None:
        text = " ".join(audit_verdict(results["privacy"]))
        items.append(("", f"Privacy audit: {text[0].lower()}{text[1:]}"))
    if not items:
        items.append(("", "Native accuracy only: no map was fitted, so no claim of the study could be tested."))
    if results["meta"]["quick"]:
        items.insert(0, ("", "Quick run: reduced grids and draws; the numbers are indicative only."))
    return Verdict(tuple(items))
