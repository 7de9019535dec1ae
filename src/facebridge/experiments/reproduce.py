"""``reproduce``: the study end to end from images: embed what is missing, then run every experiment.

Embeddings are reused from the store (nothing is re-extracted when present; a killed run resumes). Models whose
weights or runtime are missing are left out with a note, so the study runs with the models found.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facebridge.embeddings import EmbeddingSet, read_embeddings
from facebridge.errors import FacebridgeError, InvalidInputError, MissingFileError
from facebridge.experiments.privacy.audit import AuditSettings
from facebridge.experiments.privacy.audit_defences import DEFENCE_BUDGETS
from facebridge.experiments.privacy.audit_run import run_audit
from facebridge.experiments.shared.stage_clock import StageClock
from facebridge.experiments.shared.threads import blas_threads
from facebridge.experiments.upgrade.study import UPGRADE_BASELINE, UPGRADE_METHOD, upgrade_study
from facebridge.experiments.verification.study import StudyResults, run_study, run_ytf_study
from facebridge.extraction.extract import ExtractionSummary, embed_folder
from facebridge.maps import make_map
from facebridge.models import get_spec, list_specs, resolve_models_dir, weights_status
from facebridge.protocols import list_ytf_frames, parse_lfw_pairs, parse_ytf_splits

log = logging.getLogger(__name__)

#: ``(stage, done, total)``; stages: ``detect``, ``embed`` (images) and the study's own stages.
Progress = Callable[[str, float, float], None]


@dataclass(frozen=True)
class ReproduceInputs:
    """Where the study reads from and writes embeddings to; ``executor`` (e.g. a Dask client's) runs the embedding
    tasks instead of ``workers`` local processes; the study runs on ``workers`` threads (on the local CPUs when
    ``executor`` is given); ``stage_record``: the JSON file keeping the run's stage times across invocations
    (:class:`~facebridge.experiments.shared.stage_clock.StageClock`)."""

    data: Path
    store: Path
    models_dir: Path | None = None
    ytf_root: Path | None = None
    ytf_store: Path | None = None
    workers: int = 2
    audit_checkpoint: Path | None = None
    upgrade_checkpoint: Path | None = None
    executor: Executor | None = None
    stage_record: Path | None = None

    @property
    def study_threads(self) -> int | None:
        """The study runs here: ``workers`` threads, or every local CPU when the embedding ran on ``executor``."""
        return self.workers if self.executor is None else None


#: The privacy audit run with the study: every ordered pair; the defences on the first pair.
PRIVACY = AuditSettings()
PRIVACY_QUICK = AuditSettings(budgets=(0, 100, 1000), seeds=(0,))


@dataclass(frozen=True)
class UpgradeSettings:
    """The model-upgrade study run with the study: the map family (``facebridge.maps`` registry name; by default
    the one chosen on LFW View 1 people), the baseline family run beside it (None: none), the identification folds,
    and whether every ordered pair runs or only those from and to the first model."""

    method: str = UPGRADE_METHOD
    baseline: str | None = UPGRADE_BASELINE
    n_folds: int = 5
    all_pairs: bool = True

    def pairs(self, names: Sequence[str]) -> list[tuple[str, str]]:
        ordered = [(a, b) for a in names for b in names if a != b]
        return ordered if self.all_pairs else [p for p in ordered if names[0] in p]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "baseline": self.baseline, "n_folds": self.n_folds, "all_pairs": self.all_pairs}


#: Every ordered pair, the chosen method and affine ridge with alpha chosen by cross-validation over people beside
#: it, 5 folds.
UPGRADE = UpgradeSettings()
UPGRADE_QUICK = UpgradeSettings(n_folds=3, all_pairs=False)


def available_models(names: Sequence[str] | None, models_dir: Path | None) -> tuple[list[str], list[str]]:
    """The requested (default: all registered) models whose weights verify, and notes for those left out."""
    root = resolve_models_dir(models_dir)
    wanted = [get_spec(n).name for n in names] if names else [s.name for s in list_specs()]
    found, notes = [], []
    for name in wanted:
        status = weights_status(get_spec(name), root)
        if status == "ok":
            found.append(name)
        else:
            notes.append(f"{name} left out: weights {status} in {root}")
    if len(found) < 2:
        raise MissingFileError(
            f"the study needs at least 2 models with verified weights, found {found or 'none'}; {'; '.join(notes)}"
        )
    return found, notes


def _embed(
    store: Path,
    names: list[str],
    root: Path,
    inputs: ReproduceInputs,
    progress: Progress | None,
    totals: dict[str, float],
) -> ExtractionSummary:
    def on_start(n: int) -> None:
        totals["images"] = n

    def advance(stage: str, n: float) -> None:
        if progress:
            totals[stage] = totals.get(stage, 0.0) + n
            progress(stage, totals[stage], totals["images"])

    return embed_folder(
        store,
        names,
        root,
        models_dir=inputs.models_dir,
        workers=inputs.workers,
        executor=inputs.executor,
        on_start=on_start,
        progress=advance,
    )


def reproduce(
    inputs: ReproduceInputs,
    *,
    models: Sequence[str] | None = None,
    quick: bool = False,
    seed: int = 0,
    privacy: bool = True,
    upgrade: bool = True,
    progress: Progress | None = None,
) -> StudyResults:
    """Embed LFW (and YTF frames when ``inputs.ytf_root`` is given) with the models found, then run the study and,
    with ``privacy``, the privacy audit of every ordered pair (``PRIVACY``, or ``PRIVACY_QUICK`` when quick), and,
    with ``upgrade``, the model-upgrade study on all LFW images (``UPGRADE``, or ``UPGRADE_QUICK``), seeded by
    ``seed``. Each stage's wall time is recorded once, in ``meta`` (see ``_record_times``)."""
    clock = StageClock(
        inputs.stage_record,
        {"models": models and list(models), "quick": quick, "seed": seed, "privacy": privacy, "upgrade": upgrade,
         "store": str(inputs.store), "ytf": None if inputs.ytf_root is None else str(inputs.ytf_root)},
    )  # fmt: skip

    def timed(stage: str, done: float, total: float) -> None:
        clock.tick()
        if progress is not None:
            progress(stage, done, total)

    with clock.stage("load"):
        names, notes = available_models(models, inputs.models_dir)
        lfw = inputs.data / "lfw"
        pairs = parse_lfw_pairs(lfw / "pairs.txt")
    with clock.stage("embed"):
        summary = _embed(inputs.store, names, lfw / "images", inputs, timed, {})
    with clock.stage("load"):
        sets = {n: read_embeddings(inputs.store / f"{n}.parquet") for n in names}
    with clock.stage("study"):
        results = run_study(sets, pairs, quick=quick, seed=seed, progress=timed, workers=inputs.study_threads)
    clock.split("study", results.meta["timings_s"])
    results.meta["notes"].extend(notes)
    results.meta["extraction"] = summary.to_dict()
    if privacy:
        settings = PRIVACY_QUICK if quick else PRIVACY
        ordered = [(a, b) for a in names for b in names if a != b]
        with clock.stage("privacy"):
            audit = run_audit(
                sets,
                ordered,
                settings,
                protocol=pairs,
                defence_pairs=ordered[:1],
                defence_budgets=[k for k in DEFENCE_BUDGETS if k in settings.budgets],
                progress=timed,
                checkpoint=inputs.audit_checkpoint,
                workers=inputs.study_threads,
            )
        audit["meta"]["duration_s"] = clock.totals()["privacy"]  # the stage's, over every invocation of the run
        results = results.with_privacy(audit)
    if upgrade:
        with clock.stage("upgrade"):
            up = run_upgrade(sets, names, UPGRADE_QUICK if quick else UPGRADE, seed, timed, inputs.upgrade_checkpoint)
        up["meta"]["duration_s"] = clock.totals()["upgrade"]
        results = results.with_upgrade(up)
    if inputs.ytf_root is not None:
        with clock.stage("ytf"):
            results = results.with_ytf(_ytf(inputs.ytf_root, inputs, names, quick, seed, timed))
    _record_times(results.meta, clock)
    clock.finish()
    return results


def _record_times(meta: dict[str, Any], clock: StageClock) -> None:
    """The run's one record of time: ``stages_s`` (each stage's wall time, summed over the invocations of a resumed
    run), ``duration_s`` (their total), ``invocations`` and ``invocation_s`` (this invocation's share of the total)."""
    meta["stages_s"] = clock.totals()
    meta["duration_s"] = round(sum(meta["stages_s"].values()), 2)
    meta["invocations"] = clock.invocations
    meta["invocation_s"] = round(sum(clock.this_invocation().values()), 2)


def run_upgrade(
    sets: Mapping[str, EmbeddingSet],
    names: Sequence[str],
    settings: UpgradeSettings,
    seed: int,
    progress: Progress | None = None,
    checkpoint: Path | None = None,
) -> dict[str, Any]:
    """``upgrade_study`` of ``settings``' pairs of ``names`` on one thread of BLAS, with its settings and duration
    under ``meta``, and the baseline method's study (same split) under ``baseline`` when it differs."""
    started = time.perf_counter()

    def study(method: str) -> dict[str, Any]:
        return upgrade_study(
            {n: sets[n] for n in names},
            settings.pairs(names),
            lambda: make_map(method),
            method=method,
            n_folds=settings.n_folds,
            seed=seed,
            progress=progress,
            checkpoint=checkpoint,
        )

    with blas_threads(1):
        main = study(settings.method)
        if settings.baseline is not None and settings.baseline != settings.method:
            main["baseline"] = {"method": settings.baseline, "pairs": study(settings.baseline)["pairs"]}
    meta = settings.to_dict() | {"duration_s": round(time.perf_counter() - started, 2)}
    return main | {"meta": meta}


def _ytf(
    root: Path, inputs: ReproduceInputs, names: list[str], quick: bool, seed: int, progress: Progress | None
) -> StudyResults:
    """The study on YouTube Faces frames under ``root`` (``aligned_images_DB`` or its parent)."""
    db = root / "aligned_images_DB" if (root / "aligned_images_DB").is_dir() else root
    if not list_ytf_frames(db):
        raise InvalidInputError(f"no frames in the official layout <person>/<video>/*.jpg under {db}")
    pairs = parse_ytf_splits(inputs.data / "ytf" / "splits.txt")
    store = inputs.ytf_store or inputs.store.with_name(inputs.store.name + "-ytf")
    _embed(store, names, db, inputs, progress, {})
    frames = {n: read_embeddings(store / f"{n}.parquet") for n in names}
    try:
        return run_ytf_study(frames, pairs, quick=quick, seed=seed, workers=inputs.study_threads)
    except FacebridgeError as exc:
        raise type(exc)(f"YouTube Faces: {exc}") from None
