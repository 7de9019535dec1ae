"""The "Canonical space" report: every candidate's route and both-mode penalties against the direct maps, the
leave-one-model-out join, the mixed gallery and the file sizes, each set against the issue's goals, rendered from
:func:`facebridge.experiments.canonical.run.run_canonical_study`'s results."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from facebridge.reports.document import Block, Bullets, Heading, Paragraph, Table, render_markdown
from facebridge.reports.numbers import fmt, fmt_signed
from facebridge.storage import atomic_write

#: The goals (points): route median within ROUTE of the direct map's, a joined model within JOIN, the mixed
#: gallery's rank-1 within MIXED of the best single-model gallery's.
ROUTE, JOIN, MIXED = 0.2, 0.3, 1.0


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def workflow(results: dict[str, Any]) -> tuple[str, ...]:
    """The three commands that build and use the chosen space: fit it on all but the last model, let the last one
    join through a member, search a gallery mixing two members' templates with a third model's probes."""
    models, settings = results["meta"]["models"], results["meta"]["settings"]
    method, _, rest = results["chosen"].partition("-")
    shape = f"--hub {rest}" if method == "hub" else f"--dim {rest}"
    pca = f" --pca {settings['pca']}" if method == "maxvar" and settings.get("pca") else ""
    *members, newcomer = models
    return (
        f"facebridge canon fit --store STORE --models {','.join(members)} --method {method} {shape}{pca} "
        f"--alpha {settings['alpha']:g} --out space.fbcanon",
        f"facebridge canon join --space space.fbcanon --source STORE/{newcomer}.parquet "
        f"--via STORE/{members[0]}.parquet --out space_all.fbcanon",
        f"facebridge canon search --space space_all.fbcanon --gallery {members[0]}_gallery.parquet --gallery "
        f"{newcomer}_gallery.parquet --probes {members[-1]}_probes.parquet --k 10 --out hits.parquet",
    )


def canonical_blocks(results: dict[str, Any]) -> list[Block]:
    """The section's blocks."""
    v2, chosen, meta = results["view2"], results["chosen"], results["meta"]
    best = v2["candidates"][chosen]
    gap = best["median_route"] - best["median_direct"]
    loo, mixed, sizes = results["leave_one_out"], results["mixed_gallery"], results["sizes"]
    single = mixed["rank1_single"][mixed["best_single"]]
    join_gap = loo["median_gap_via_all"] if loo["median_gap_via_all"] is not None else float("inf")
    rows = tuple(
        (key, r["family"], fmt(r["median_route"]), fmt(r["median_direct"]), fmt_signed(r["median_route"] -
         r["median_direct"]), fmt_signed(r["median_gap"]), fmt(r["worst_gap"]), fmt(r["median_both"]),
         fmt(results["view1"][key]["median_route"]))
        for key, r in v2["candidates"].items()
    )  # fmt: skip
    blocks: list[Block] = [
        Heading(2, "Canonical space"),
        Paragraph(
            f"One space shared by the {len(results['meta']['models'])} models, each with one encoder into it and "
            "one decoder out of it, against a direct map per ordered pair of the same family, fitted on the same "
            "training images (every fold's maps and spaces on the people outside the fold). Penalty: the target's "
            "native plain-cosine accuracy minus the cross accuracy (A's first image mapped A -> canonical -> B "
            "against B's own second image), in points, LFW View 2. The candidate was chosen on "
            f"{results['meta']['chosen_on']}: **{chosen}**."
        ),
        Bullets((
            f"Route penalty median over {len(best['route'])} pairs: {fmt(best['median_route'])} against "
            f"{fmt(best['median_direct'])} for the direct {best['family']} maps ({fmt_signed(gap)} points; goal "
            f"within {ROUTE}: {_met(gap <= ROUTE)}).",
            "A model joining later (leave-one-model-out: the others build the space, it joins with one ridge map "
            f"through every member's coordinates): median gap {fmt_signed(loo['median_gap_via_all'])} points against "
            f"having been in the space from the start (goal within {JOIN}: {_met(join_gap <= JOIN)}); "
            f"{fmt_signed(loo['median_gap_via_one'])} joined through one member only.",
            f"Mixed gallery ({mixed['people']} people, each enrolled by a random model and probed by another): "
            f"rank-1 {fmt(mixed['rank1_mixed'])}% against {fmt(single)}% for the best single-model gallery "
            f"({mixed['best_single']}), {fmt_signed(-mixed['gap'])} points (goal within {MIXED}: "
            f"{_met(mixed['gap'] <= MIXED)}); {fmt(mixed['rank1_mixed_pairwise'])}% searched through direct pairwise "
            "maps instead of the space.",
            f"Files: one .fbcanon of {sizes['canonical_file_bytes'] / 1e6:.1f} MB against "
            f"{sizes['pair_map_files']} ridge .fbmap files of {sizes['pair_maps_bytes'] / 1e6:.1f} MB in all.",
        )),
        Table(
            ("candidate", "direct family", "route median", "direct median", "medians' gap", "median per-pair gap",
             "worst pair gap", "both-in-canon median", "View 1 route median"),
            rows,
            caption="Penalties (points) on LFW View 2 of each method's best candidate on View 1 (last column).",
        ),
        Table(
            ("candidate", "View 1 route median", "View 1 both-in-canon median"),
            tuple((k, fmt(r["median_route"]), fmt(r["median_both"])) for k, r in results["view1"].items()),
            caption="Every candidate on LFW View 1 (the selection; View 2 never chose anything).",
        ),
        Table(
            ("left out", "median gap, joined through every member", "median gap, joined through one", "that one"),
            tuple((m, fmt_signed(r["median_gap_via_all"]), fmt_signed(r["median_gap_via_one"]), r["via_one"])
                  for m, r in loo["models"].items()),
            caption=f"Leave-one-model-out with {loo['candidate']}: each model's 2(N-1) routes, joined minus founder "
                    "(points).",
        ),
        Table(
            ("gallery", "rank-1 (%)"),
            (("mixed, in the canonical space", fmt(mixed["rank1_mixed"])),
             ("mixed, each probe mapped into each template's model by direct ridge maps",
              fmt(mixed["rank1_mixed_pairwise"])),
             *((f"{m} alone, native", fmt(v)) for m, v in mixed["rank1_single"].items())),
            caption="Identification: first image of each person enrolled, second image probed.",
        ),
        Paragraph(
            "Use it: fit the chosen space, let a model join it later through a member, search a gallery whose "
            "templates come from different models (STORE: an embedding store; the galleries and probes: embedding "
            "sets of those models):"
        ),
        Bullets(tuple(f"`{command}`" for command in workflow(results))),
        Paragraph(f"Run time {meta['duration_s']:.0f} s (facebridge {meta['facebridge_version']})."),
    ]
    snapshot = meta.get("snapshot")
    if snapshot:
        blocks.insert(1, Paragraph(
            f"**Preliminary**: run on the {snapshot['images_shared']} images every model had embedded when it started, "
            f"with only the pairs whose two images were among them ({snapshot['view2_pairs']} of View 2's 6,000, "
            f"{snapshot['view1_pairs']} of View 1's 3,200)."
        ))  # fmt: skip
    return blocks


def write_canonical_report(results: dict[str, Any], out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """``canonical.json`` (the results) and ``canonical.md`` (the section) in folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    js, md = out / "canonical.json", out / "canonical.md"
    atomic_write(js, lambda tmp: tmp.write_text(json.dumps(results, indent=1, sort_keys=True)))
    atomic_write(md, lambda tmp: tmp.write_text(render_markdown(canonical_blocks(results))))
    return js, md
