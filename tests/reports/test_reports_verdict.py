"""Reports that lead with the answer: the study's verdict box, sections that did not run left out, the audit's
verdict, and figures whose colours and labels read right (zero-centred upgrade losses, per-method penalty scales,
no text outside a figure, no defence hidden under another)."""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.reports import document as doc
from facebridge.reports.document import figures_of, render_markdown
from facebridge.reports.privacy import privacy_section, write_audit_report
from facebridge.reports.privacy_figures import defences_figure
from facebridge.reports.sections import study_document
from facebridge.reports.upgrade import upgrade_section
from facebridge.reports.verdict import study_verdict
from tests.reports.report_data import synthetic_audit, synthetic_full_results, synthetic_results, synthetic_upgrade


def test_the_report_opens_with_the_verdict_box_and_ends_with_how_the_run_was_made() -> None:
    blocks = study_document(synthetic_full_results())
    assert isinstance(blocks[0], doc.Heading) and isinstance(blocks[1], doc.Verdict)
    headings = [b.text for b in blocks if isinstance(b, doc.Heading)]
    assert headings.index("Model upgrade") < headings.index("Setup") < headings.index("Methods")
    assert headings[-4:] == ["Setup", "Methods", "How each constant was chosen", "Files"]


def test_the_verdict_says_which_claims_held_with_the_numbers_behind_them() -> None:
    statuses, texts = zip(*study_verdict(synthetic_full_results()).items, strict=True)
    assert statuses == ("held", "not held", "held", "", "", "")
    penalty, pairs, rank, headline, upgrade, privacy = texts
    # penalty: ridge_study (worst 0.90) and affine_cv (0.60) hold it; the verdict shows the closest, affine_cv
    assert penalty == (
        "Penalty ≤ 1.0 point (against the target's native plain-cosine accuracy): affine ridge, CV λ, worst 0.60 "
        "(dlib → facenet), held on all 6 maps; 2 of 4 methods hold it on every map."
    )
    assert pairs.startswith("Fewer than 500 training pairs") and "never on 1 map" in pairs
    assert "(fails on dlib → arcface); 0 of 1 methods hold it on every map." in pairs
    assert rank.startswith("Rank 64 suffices") and "reduced-rank ridge, worst map 32, held on all 6 maps" in rank
    assert headline == (
        "Headline method affine ridge, CV λ (chosen on LFW View 1): penalty vs plain native median 0.15 points, "
        "worst 0.60 (dlib → facenet), over 6 maps; cross accuracy median 99.29%."
    )
    assert upgrade == (
        "Model upgrade (affine_cv, 6 ordered pairs; 1:N rank-1, median over pairs): re-enrolled 95.0%, gallery "
        "migrated 88.5%, fused with the old gallery 92.5%, keeping the old system 92.5%. Migrating loses 3.50 points "
        "against re-enrolling (median; worst 34.00, dlib → arcface); 1 of 4 real upgrades identify worse after "
        "migrating than keeping the old system."
    )
    assert privacy.startswith("Privacy audit: rank-1 linking passes 50% at k = 100 paired images (median over 6 "
                              "ordered pairs; soonest at k = 10 paired images (facenet → arcface); never within "
                              "k = 1000 for 1 pair).")  # fmt: skip


def test_a_claim_no_method_holds_is_not_held_and_shows_the_closest_method() -> None:
    results = synthetic_results(ytf=False)
    for row in results["penalty"]:
        if (row["source"], row["target"]) == ("dlib", "facenet"):
            row["penalty_vs_plain"] = 2.5 if row["method"] == "affine_cv" else 3.0
    for row in results["rank_summary"]:
        row["smallest_rank_within_0_5"] = 128
    (status, penalty), _, (rank_status, rank) = study_verdict(results).items[:3]
    assert status == "not held" and rank_status == "not held"
    assert "affine ridge, CV λ, worst 2.50 (dlib → facenet), held on 5 of 6 maps (fails on dlib → facenet)" in penalty
    assert penalty.endswith("0 of 4 methods hold it on every map.")
    assert "worst map 128, not held on any of 6 maps" in rank


def test_parts_that_did_not_run_have_no_section_and_no_verdict_line() -> None:
    results = synthetic_results(ytf=False)
    md = render_markdown(study_document(results))
    assert "## Model upgrade" not in md and "## Privacy" not in md and "YouTube" not in md
    assert not [t for _, t in study_verdict(results).items if t.startswith(("Model upgrade", "Privacy"))]
    assert "not evaluated" not in md.lower() and "did not run" not in md.lower()
    full = render_markdown(study_document(synthetic_full_results()))
    assert "## Model upgrade" in full and "## Privacy: linking leaked templates across systems" in full


def test_the_verdict_box_renders_as_a_box_in_html_and_a_quote_in_markdown(tmp_path) -> None:
    from facebridge.reports.html import render_html

    box = doc.Verdict((("held", "a < b"), ("not held", "c"), ("", "d")))
    html = render_html([box], tmp_path, "t")
    assert ('<div class="verdict"><ul><li><span class="held">held</span> a &lt; b</li><li><span class="not-held">'
            "not held</span> c</li><li>d</li></ul></div>") in html  # fmt: skip
    assert render_markdown([box]) == "> - **held**: a < b\n> - **not held**: c\n> - d\n"


def test_the_upgrade_heatmap_is_centred_on_zero_loss() -> None:
    (figure,) = [b for b in upgrade_section(synthetic_upgrade()) if isinstance(b, doc.Figure)]
    fig = figure.draw()
    image = fig.axes[0].images[0]
    norm = image.norm
    assert norm.vcenter == 0.0 and norm.vmin == -norm.vmax == pytest.approx(-34.0)  # symmetric: gains and losses
    white = np.array(image.cmap(norm(0.0))[:3])
    loss = np.array(image.cmap(norm(34.0))[:3])
    assert np.all(white > 0.9)  # no loss: neutral (white)
    assert loss[0] > 0.35 and loss[0] > loss[1] + 0.3  # the 34-point loss: strong red, not neutral
    assert image.cmap(norm(-1.0))[2] > image.cmap(norm(-1.0))[0]  # a gain leans blue


def test_each_penalty_heatmap_has_its_own_colour_scale() -> None:
    results = synthetic_results(ytf=False)
    for row in results["penalty"]:
        if row["method"] == "procrustes":
            row["penalty_vs_plain"] *= 8  # up to 11.4 points
    heatmaps = {f.name: f.draw().axes[0].images[0].norm for f in figures_of(study_document(results))
                if f.name.startswith("penalty_")}  # fmt: skip
    assert heatmaps["penalty_procrustes"].vmax == pytest.approx(11.36)
    assert heatmaps["penalty_affine_cv"].vmax == 2.0  # still spread over [0, 2 x bound], not squashed into green
    assert all(norm.vcenter == 1.0 for norm in heatmaps.values())


def _outside(fig) -> list[float]:
    """How far (inches) the drawn artists of ``fig`` reach beyond its left, bottom, right and top edges: text past an
    edge is clipped in the PNG. Ticks outside the axes' limits are not drawn, so they do not count."""
    fig.canvas.draw()
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())
    edge = fig.bbox_inches
    return [round(float(x), 3) for x in (edge.x0 - drawn.x0, edge.y0 - drawn.y0, drawn.x1 - edge.x1,
                                         drawn.y1 - edge.y1)]  # fmt: skip


def test_no_figure_text_is_clipped_at_the_figure_edge() -> None:
    from facebridge.reports.figures import STYLE, _mpl

    blocks = study_document(synthetic_full_results()) + privacy_section(synthetic_audit())
    with _mpl("").rc_context(STYLE):
        clipped = {f.name: _outside(f.draw()) for f in figures_of(blocks)}
    assert {name: beyond for name, beyond in clipped.items() if max(beyond) > 0.01} == {}
    assert "upgrade_rank1_loss" in clipped and "audit_defences" in clipped and "penalty_mlp" in clipped


def _legends_over_titles(fig) -> list[str]:
    """The titles of ``fig``'s axes that one of its legends (figure or axes) overlaps."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    titles = [ax.title for ax in fig.axes if ax.get_visible() and ax.title.get_text()]
    return [t.get_text() for t in titles for legend in legends
            if legend.get_window_extent(renderer).overlaps(t.get_window_extent(renderer))]  # fmt: skip


def test_no_legend_covers_a_title() -> None:
    from facebridge.reports.figures import STYLE, _mpl

    blocks = study_document(synthetic_full_results()) + privacy_section(synthetic_audit())
    with _mpl("").rc_context(STYLE):
        covered = {f.name: _legends_over_titles(f.draw()) for f in figures_of(blocks)}
    assert {name: titles for name, titles in covered.items() if titles} == {}


def test_a_defence_on_the_same_point_as_another_shares_its_legend_entry() -> None:
    audit = synthetic_audit()
    fig = defences_figure(audit["defences"], [100, 1000])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["none = rotation", "noise 1", "pca 8", "k = 100", "k = 1000"]  # "none" not hidden
    audit["defences"][1]["rank1_k1000_mean"] = 0.85  # rotation somewhere else: its own entry
    fig = defences_figure(audit["defences"], [100, 1000])
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["none", "rotation"]
    assert not fig.axes[0].get_legend()  # beside the axes, over neither points nor title


def test_the_audit_report_opens_with_its_verdict_and_names_the_models(tmp_path) -> None:
    write_audit_report(synthetic_audit(defences=False), tmp_path)
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    verdict = md.split("\n\n")[1]
    assert verdict.startswith("> - Rank-1 linking passes 50% at k = 100 paired images (median over 6 ordered pairs")
    assert "Defences" not in md and "defence" not in md.lower()  # none ran: none listed, none described
    assert md.index("## Linking by budget") < md.index("## Threat model and settings")
    assert "'leaked'" not in md and "'reference'" not in md and "leaked (A)" not in md
    assert "each ordered pair of arcface, facenet, dlib" in md and "alpha=0.1" in md


def test_one_pair_audit_verdict_names_both_models(tmp_path) -> None:
    audit = synthetic_audit()
    audit["pairs"] = audit["pairs"][:1]
    md = render_markdown([doc.Heading(1, "t"), *privacy_section(audit)])
    assert "> - Linking arcface → facenet: rank-1 passes 50% at k = 100 paired images." in md
    assert "> - With no paired image (k = 0, unpaired alignment): rank-1 5.5% (chance 0.12%)." in md
    assert ("> - Defences (arcface → facenet, k = 1000): no defence rank-1 90.0% at accuracy 99.5%; least linking "
            "within 1 accuracy point of that: rotation, rank-1 90.0% at accuracy 99.5%; least linking of all: pca 8, "
            "rank-1 25.0% at accuracy 90.0%.") in md  # fmt: skip
    assert "Templates of system A (model arcface) have leaked" in md and "their own face model B (facenet)" in md
    assert "Defences measured (none, rotation, noise 1, pca 8)" in md
