"""``upgrade --images photos/`` (or ``--store-photos``): the operator's answer on their own photos, kept apart from
the store study's code path in ``upgrade_commands``."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from facebridge.errors import InvalidInputError


def answer_on_photos(
    names: list[str],
    out: Path,
    *,
    images: Path | None,
    store: Path | None,
    far: float,
    tolerance: float,
    candidates: str,
    adapt: str,
    reference: Path | None,
    folds: int,
    seed: int,
    models_dir: Path | None,
    console: Console,
) -> None:
    """Embed ``images`` into ``out/store`` (people = subfolders; photos without a face are skipped) or read
    ``store``, run :func:`~facebridge.experiments.upgrade.deployment.deployment_study` for ``names`` = OLD, NEW, and
    write ``recommendation.json``, ``.md`` and ``.html`` in ``out``."""
    from facebridge.embeddings import read_embeddings
    from facebridge.experiments.upgrade.adaptation import ADAPTATIONS
    from facebridge.experiments.upgrade.deployment import deployment_study
    from facebridge.extraction.extract import embed_folder
    from facebridge.reports.deployment import recommendation_line, write_deployment_report
    from facebridge.reports.strict_json import results_json
    from facebridge.storage import atomic_write

    if len(names) != 2:
        raise InvalidInputError(f"with your photos, --models is OLD,NEW (two models), got {', '.join(names)}")
    if (images is None) == (store is None):
        raise InvalidInputError("give exactly one of --images DIR or --store-photos STORE")
    if not 0 < far < 1 or tolerance < 0:
        raise InvalidInputError(f"--far must be in (0, 1) and --tolerance >= 0, got {far} and {tolerance}")
    adaptations = [x.strip() for x in adapt.split(",") if x.strip()]
    bad = [x for x in adaptations if x not in ADAPTATIONS]
    if bad or not adaptations:
        raise InvalidInputError(f"unknown adaptation {bad[:1] or adapt!r}; known: {', '.join(ADAPTATIONS)}")
    methods = [x.strip() for x in candidates.split(",") if x.strip()]
    photos = out / "store" if store is None else store
    if images is not None:
        summary = embed_folder(photos, names, images, models_dir=models_dir, no_face="skip", workers=1)
        console.print(f"embedded {summary.n_images} photos into {photos} ({summary.status_counts})", highlight=False)
    a, b = (read_embeddings(photos / f"{m}.parquet") for m in names)
    ref = None
    if reference is not None:
        ref = (read_embeddings(reference / f"{names[0]}.parquet"), read_embeddings(reference / f"{names[1]}.parquet"))
    results = deployment_study(
        a, b, methods=methods, adaptations=adaptations, reference=ref, far=far, tolerance=tolerance, n_folds=folds,
        seed=seed,
    )  # fmt: skip
    text = results_json(results)
    atomic_write(out / "recommendation.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    md, html = write_deployment_report(results, out)
    for c in results["candidates"]:
        console.print(
            f"{c['method']:>10} {c['adaptation']:<12} rank-1 loss {c['loss']:6.2f} points "
            f"(95% interval {c['ci'][0]:.2f} to {c['ci'][1]:.2f}); threshold at FAR {far:g}: {c['threshold']:.4f}",
            highlight=False,
        )
    for w in results["warnings"]:
        console.print(f"warning: {w}", highlight=False)
    console.print(recommendation_line(results), highlight=False)
    console.print(f"wrote {out / 'recommendation.json'}, {md} and {html}", highlight=False)
