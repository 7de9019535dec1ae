"""Extraction: images -> faces -> embeddings of several models, written as a chunked, resumable store.

Store layout (``out`` directory)::

    images.parquet                      one row per image: id, status, note, detector, score (all models)
    detections-<detector>.parquet       the detection cache, shared by all models and runs
    <model>.parquet                     the model's EmbeddingSet (every image that gave a face crop)
    parts/<model>/part-<run>-<chunk>.parquet   finished chunks; a re-run skips every id already in a part

Two phases. First every pending image is decoded and its face detected once (:mod:`facebridge.extraction.detect`,
sequentially; the detection cache and ``images.parquet`` are flushed after each chunk). Then each chunk is an
independent task that decodes each image once, aligns it once per template and embeds it with every model that
still lacks it, writing one part per model atomically; tasks run on an executor (a process pool by default; a
``dask.distributed`` client's executor plugs in the same way). Killing the process at any moment loses at most the
chunks in flight and never leaves a duplicated or half-written row.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facebridge.embeddings.set import EmbeddingSet
from facebridge.embeddings.store import (
    EMBEDDED_STATUSES,
    combine_parts,
    done_ids,
    repair_store,
    store_lock,
    write_part,
)
from facebridge.errors import InvalidInputError, MissingFileError
from facebridge.extraction.detect import Progress, decode, detect_images, make_detector
from facebridge.extraction.stamps import forget_changed
from facebridge.extraction.store_settings import check_store_settings
from facebridge.faces import (
    FALLBACK,
    Detection,
    DetectionCache,
    Detector,
    align,
)
from facebridge.faces.min_size import MinFaceSize
from facebridge.images import IMAGE_SUFFIXES, list_images
from facebridge.images.corruptions import Corruption
from facebridge.models import EmbeddingModel, ModelSpec, get_spec, list_specs, load_model, resolve_models_dir
from facebridge.models.check import check_model
from facebridge.models.registry import register_spec_file

log = logging.getLogger(__name__)

#: What to do with an image where no face is found: embed a fixed centre region (status ``fallback``, as LFW
#: evaluations do), skip it (status ``no_face``), or stop with an error naming the images.
NO_FACE = ("centre", "skip", "error")

@dataclass(frozen=True)
class ExtractionSummary:
    """What a store holds after a run: image counts per status, fallbacks, rows per model, and this run's work."""

    n_images: int
    status_counts: dict[str, int]
    n_fallback: int
    rows_per_model: dict[str, int]
    newly_embedded: dict[str, int]
    seconds: float
    #: id -> status of each image left out of the sets (``no_face`` or a decode failure), as in ``images.parquet``.
    not_embedded: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def model_names(names: str) -> list[str]:
    """Parse ``"all"`` or a comma-separated list of model names or spec files (checked, in the given order).

    A spec file (``path/to/my-model.toml``) is registered for this process and stands for its model's name.
    """
    if names.strip() == "all":
        return [spec.name for spec in list_specs()]
    out = [n.strip() for n in names.split(",") if n.strip()]
    if not out:
        raise InvalidInputError(f"no model names given in {names!r}; name models, or 'all'")
    twice = sorted({n for n in out if out.count(n) > 1})
    if twice:
        raise InvalidInputError(f"model {', '.join(twice)} given more than once")
    return [register_spec_file(n).name if n.endswith(".toml") else get_spec(n).name for n in out]


# ---- phase 2: chunk tasks ---------------------------------------------------------------------------------------

_WORKER: dict[tuple, object] = {}  # per-process: loaded models and detection caches, reused across tasks


def _worker_model(spec: ModelSpec, models_dir: Path, num_threads: int) -> EmbeddingModel:
    key = ("model", spec.name, spec.weights_sha256, str(models_dir), num_threads)
    if key not in _WORKER:
        _WORKER[key] = load_model(spec, models_dir, num_threads=num_threads)
    return _WORKER[key]  # type: ignore[return-value]


def _worker_cache(path: Path) -> DetectionCache:
    key = ("cache", str(path), path.stat().st_mtime_ns)
    if key not in _WORKER:
        _WORKER[key] = DetectionCache.load(path)
    return _WORKER[key]  # type: ignore[return-value]


def _meta(dets: Sequence[Detection]) -> dict[str, np.ndarray]:
    return {
        "status": np.array([FALLBACK if d.detector == FALLBACK else "ok" for d in dets], dtype=object),
        "det_score": np.array([d.score for d in dets], dtype=np.float32),
        "landmarks": np.stack([np.zeros((5, 2)) if d.landmarks is None else d.landmarks for d in dets]).reshape(-1, 10),
    }


def embed_chunk(
    wanted: dict[str, list[str]],
    root: Path,
    cache_path: Path,
    parts: dict[str, Path],
    models_dir: Path,
    num_threads: int,
    specs: dict[str, ModelSpec],
    corrupt: Corruption | None = None,
) -> dict[str, int]:
    """Embed one chunk with several models, writing one atomic part per model; returns rows written per model.

    ``wanted`` maps each model to the chunk's ids it still lacks; ``specs`` gives each model's spec (sent along, so
    that workers need no registry entry for a user's spec file). Each image is decoded once and aligned once per
    distinct (template, parameters), however many models share that crop; ``corrupt`` as in :func:`decode`.
    """
    cache = _worker_cache(cache_path)
    models = {name: _worker_model(specs[name], models_dir, num_threads) for name in wanted}
    images = {}
    for image_id in dict.fromkeys(i for ids in wanted.values() for i in ids):
        decoded, det = decode(root, image_id, corrupt), cache.get(image_id)
        if decoded.rgb is None or det is None:  # changed on disk since detection: skipped, it stays pending
            log.warning("%s: no longer decodes or has no face; skipped", image_id)
            continue
        images[image_id] = (decoded.rgb, det)
    crops: dict[tuple, np.ndarray] = {}
    written = {}
    for name, ids in wanted.items():
        spec = models[name].spec
        key = (spec.alignment, tuple(sorted(spec.alignment_params.items())))
        ids = [i for i in ids if i in images]
        for i in ids:
            if (key, i) not in crops:
                crops[key, i] = align(*images[i], spec.alignment, **spec.alignment_params).crop
        if not ids:
            written[name] = 0
            continue
        vectors = models[name].embed(np.stack([crops[key, i] for i in ids]))
        es = EmbeddingSet(
            np.array(ids, dtype=object), vectors, models[name].fingerprint, _meta([images[i][1] for i in ids])
        )
        write_part(es, parts[name])
        written[name] = es.n
    return written


#: The smallest task the tail of a run is cut into (smaller ones would cost more in model calls than they balance).
MIN_TASK = 8


def task_bounds(n: int, chunk_size: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each task over ``n`` pending images: guided scheduling, each task a quarter of what is
    left per worker, capped at ``chunk_size`` and at least ``MIN_TASK``. Early tasks are full chunks; the tasks shrink
    towards the end, so the last one to finish is short and no worker waits long for the others. A small run is
    cut into at least 4 tasks a worker, so that every worker gets a share."""
    bounds, start = [], 0
    floor = max(1, min(MIN_TASK, chunk_size, -(-n // (4 * workers))))
    while start < n:
        size = max(floor, min(chunk_size, -(-(n - start) // (4 * workers))))
        bounds.append((start, min(n, start + size)))
        start += size
    return bounds


def extract(
    image_ids: Sequence[str],
    root: Path,
    names: Sequence[str],
    detector: Detector,
    out: Path,
    *,
    models_dir: Path,
    chunk_size: int = 256,
    no_face: str = "centre",
    workers: int = 2,
    executor: Executor | None = None,
    corrupt: Corruption | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> ExtractionSummary:
    """Embed ``image_ids`` (relative to ``root``) with every model in ``names`` into the store ``out``.

    Parameters
    ----------
    names : registered model names; their weights are verified in ``models_dir`` before any work.
    detector : the face detector; detections are cached in ``out`` and shared by all models.
    chunk_size : images per atomic part; a kill loses at most the chunks in flight.
    no_face : when no face is found, ``centre`` embeds the fixed centre region (status ``fallback``, as LFW
        evaluations do), ``skip`` leaves the image out (status ``no_face``), ``error`` raises InvalidInputError.
    workers : processes for the embedding tasks (each runtime then uses one thread); 1 runs inline, two threads.
    executor : run the tasks here instead (e.g. ``dask.distributed.Client(...).get_executor()``).
    corrupt : a camera corruption applied to every decoded image before detection (:func:`decode`).
    on_start : called with the number of images once the models are loaded and checked, before any other work.
    progress : called with a stage (``detect``, ``embed``) and the images finished in it (for ``embed``, fractions:
        one model's share of a chunk).
    """
    started = time.perf_counter()
    # Tasks may run in other processes or on other machines (``executor``) whose working folder is another: they get
    # absolute paths.
    root, out, models_dir = root.resolve(), out.resolve(), models_dir.resolve()
    if no_face not in NO_FACE:
        raise InvalidInputError(f"no_face must be one of {', '.join(NO_FACE)}, got {no_face!r}")
    out.mkdir(parents=True, exist_ok=True)
    # fail on a missing runtime, bad weights or a spec that does not fit its network before spending time on detection
    specs = {name: get_spec(name) for name in names}
    fingerprints = {n: check_model(load_model(specs[n], models_dir, num_threads=1)).fingerprint for n in names}
    if on_start:
        on_start(len(image_ids))
    fallback = no_face == "centre"
    rows = detect_images(
        image_ids, root, detector, out, chunk_size=chunk_size, fallback=fallback, corrupt=corrupt, progress=progress
    )
    faceless = [i for i in image_ids if rows[i][0] == "no_face"]
    if no_face == "error" and faceless:
        raise InvalidInputError(
            f"no face found in {len(faceless)} of {len(image_ids)} images (e.g. {', '.join(faceless[:3])}); "
            "use --no-face skip to leave them out or --no-face centre to embed their centre region"
        )
    cache_path = out / f"detections-{detector.name}.parquet"
    embeddable = [i for i in image_ids if rows[i][0] in ("ok", FALLBACK)]
    # Unique per run, not just per second and process: a second run in the same second and process (a library
    # caller, or the CLI called twice in one process) would otherwise reuse part names and replace finished parts.
    run = f"{time.strftime('%Y%m%d%H%M%S')}{os.getpid() % 100000:05d}{uuid.uuid4().hex[:8]}"
    todo = {}
    for name in names:
        (out / "parts" / name).mkdir(parents=True, exist_ok=True)
        done = done_ids(out / "parts" / name, fingerprints[name])
        todo[name] = {i for i in embeddable if i not in done}
    tasks = []
    pending = [i for i in embeddable if any(i in t for t in todo.values())]
    for c, (start, stop) in enumerate(task_bounds(len(pending), chunk_size, workers)):
        chunk = pending[start:stop]
        wanted = {n: [i for i in chunk if i in todo[n]] for n in names}
        wanted = {n: ids for n, ids in wanted.items() if ids}
        parts = {n: out / "parts" / n / f"part-{run}-{c:05d}.parquet" for n in wanted}
        tasks.append((wanted, parts, sum(map(len, wanted.values())) / len(names)))
    if progress:
        progress("embed", len(image_ids) - sum(t[2] for t in tasks))
    newly = dict.fromkeys(names, 0)
    threads = 2 if workers == 1 and executor is None else 1

    def record(written: dict[str, int], share: float) -> None:
        for name, k in written.items():
            newly[name] += k
        if progress:
            progress("embed", share)

    if executor is None and workers == 1:
        for wanted, parts, share in tasks:
            record(embed_chunk(wanted, root, cache_path, parts, models_dir, threads, specs, corrupt), share)
    else:
        # forkserver, not fork: the parent runs threads (progress bars, the checked models' runtime pools), and a
        # forked child can inherit one of their locks held.
        context = multiprocessing.get_context("forkserver")
        pool = executor or ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            futures = {
                pool.submit(embed_chunk, wanted, root, cache_path, parts, models_dir, threads, specs, corrupt): share
                for wanted, parts, share in tasks
            }
            for fut in as_completed(futures):
                record(fut.result(), futures[fut])
        finally:
            if executor is None:
                pool.shutdown(cancel_futures=True)
    counts: dict[str, int] = {}
    for i in image_ids:
        counts[rows[i][0]] = counts.get(rows[i][0], 0) + 1
    per_model = {name: combine_parts(out / "parts" / name, out / f"{name}.parquet") for name in names}
    left_out = {i: rows[i][0] for i in image_ids if rows[i][0] not in EMBEDDED_STATUSES}
    return ExtractionSummary(
        len(image_ids), counts, counts.get(FALLBACK, 0), per_model, newly, round(time.perf_counter() - started, 2),
        left_out,
    )


def embed_folder(
    out: Path,
    names: Sequence[str],
    root: Path,
    *,
    detector: str = "yunet",
    models_dir: Path | None = None,
    chunk_size: int = 256,
    workers: int = 2,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    no_face: str = "centre",
    min_face: int | None = None,
    corrupt: Corruption | None = None,
    wait: bool = False,
    repair: bool = False,
    executor: Executor | None = None,
    on_start: Callable[[int], None] | None = None,
    progress: Progress | None = None,
) -> ExtractionSummary:
    """Embed every image under ``root`` (sorted ids, optionally only those in ``ids``, then the first ``limit``) with
    the models ``names``; ``corrupt`` passes every image through a camera corruption first (:func:`decode`).

    ``on_start`` receives the number of images before work starts (for progress bars' totals). ``no_face`` as in
    :func:`extract`; ``min_face`` ignores faces whose box is smaller (pixels). Several faces: the largest, most
    central one (:func:`facebridge.faces.choose_face`). A store keeps the detector, ``no_face`` and ``min_face`` it
    was made with, and refuses to be resumed with others. One run at a time writes a store: another raises
    BusyError, or waits with ``wait``. ``repair`` first removes the store's unreadable files (their work is redone).
    ``executor`` runs the embedding tasks (e.g. a Dask client's), as in :func:`extract`.
    """
    if not root.is_dir():
        raise MissingFileError(f"image folder not found: {root}")
    image_ids = list_images(root)
    if ids is not None:
        missing = sorted(set(ids) - set(image_ids))
        if missing:
            raise InvalidInputError(f"{len(missing)} listed ids are not images under {root} (e.g. {missing[0]!r})")
        wanted = set(ids)
        image_ids = [i for i in image_ids if i in wanted]
    image_ids = image_ids[:limit]
    if not image_ids:
        known = ", ".join(sorted(s.lstrip(".") for s in IMAGE_SUFFIXES))
        raise InvalidInputError(f"no images ({known}) under {root}")
    weights_dir = resolve_models_dir(models_dir)
    det = make_detector(detector, weights_dir)
    if min_face is not None:
        det = MinFaceSize(det, min_face)
    with store_lock(out, wait=wait):
        if repair:
            repair_store(out)
        settings = {"detector": detector, "no_face": no_face, "min_face": min_face}
        check_store_settings(out, settings | {"corruption": corrupt.key if corrupt else None})
        forget_changed(out, root, image_ids)  # a photo replaced under its name is embedded again
        return extract(
            image_ids,
            root,
            names,
            det,
            out,
            models_dir=weights_dir,
            chunk_size=chunk_size,
            no_face=no_face,
            workers=workers,
            executor=executor,
            corrupt=corrupt,
            on_start=on_start,
            progress=progress,
        )
