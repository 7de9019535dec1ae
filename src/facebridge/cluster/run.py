"""What the cluster's fit and transform share: Parquet inputs, and running a graph with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facebridge.embeddings.io import parquet_space
from facebridge.errors import InvalidInputError
from facebridge.fingerprint import Fingerprint


def parquet_input(path: Path) -> tuple[Fingerprint, int]:
    """The fingerprint and dim of ``path``, which must be a Parquet embedding file: the partitions a cluster reads
    are its row groups (npz and CSV sets have none)."""
    if path.suffix.lower() != ".parquet":
        raise InvalidInputError(
            f"{path}: a cluster reads Parquet embedding sets (row groups are its partitions); write it as "
            ".parquet first (facebridge.embeddings.write_parquet)"
        )
    return parquet_space(path)


def compute(client: Any, graph: Any, progress: bool) -> Any:
    """The value of the delayed ``graph`` (or a list of values for a tuple of them) computed on ``client``'s
    cluster, with a progress bar if ``progress``."""
    futures = client.compute(graph)
    wait(futures, progress)
    return client.gather(futures)


def wait(futures: Any, progress: bool) -> None:
    """Block until ``futures`` finish (or one fails), drawing ``distributed.progress``'s bar if ``progress``."""
    from distributed import progress as progress_bar
    from distributed import wait as wait_all

    if progress:
        progress_bar(futures)
    else:
        wait_all(futures)
