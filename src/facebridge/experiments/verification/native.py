"""Native verification accuracy of every model in one or more embedding stores (one store per detector)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from facebridge.embeddings import read_embeddings
from facebridge.embeddings.store import store_models
from facebridge.errors import MissingFileError
from facebridge.experiments.verification.evaluate import evaluate
from facebridge.protocols import PairList, VerificationResult

METRICS = ("cosine", "euclidean")


@dataclass(frozen=True)
class NativeRow:
    """One model through one store (detector): accuracy per metric, and how many images needed the fallback."""

    model: str
    detector: str
    store: str
    n_images: int
    n_fallback: int
    results: dict[str, VerificationResult]

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "detector": self.detector,
            "store": self.store,
            "n_images": self.n_images,
            "n_fallback": self.n_fallback,
            "results": {m: r.to_dict() for m, r in self.results.items()},
        }


def store_detector(store: Path) -> str:
    """The detector a store's faces came from, read from its detection cache file name."""
    caches = sorted(store.glob("detections-*.parquet"))
    return ",".join(p.stem.removeprefix("detections-") for p in caches) or "unknown"


def native_accuracy(pairs: PairList, stores: list[Path], models: list[str] | None = None) -> list[NativeRow]:
    """Evaluate every ``<model>.parquet`` in each store (or only ``models``) natively on ``pairs``, per metric.

    A pair whose image is not in a store raises NotFoundError: pairs are never dropped silently.
    """
    rows = []
    for store in stores:
        if not (store / "images.parquet").is_file():
            raise MissingFileError(f"not an embedding store (no images.parquet): {store}")
        status = pq.read_table(store / "images.parquet", columns=["status"]).column("status").to_pylist()
        names = models or store_models(store)
        for name in names:
            es = read_embeddings(store / f"{name}.parquet")
            used = set(pairs.ids())
            fallback = sum(1 for i, s in zip(es.ids, es.meta.get("status", ()), strict=False) if i in used and
                           s == "fallback")  # fmt: skip
            results = {m: evaluate(pairs, es, metric=m).verification for m in METRICS}
            rows.append(NativeRow(name, store_detector(store), str(store), len(status), fallback, results))
    return rows
