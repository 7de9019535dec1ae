"""EmbeddingModel: the common face of every runtime adapter (preprocess, batch, run, check the output)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facebridge.errors import FacebridgeError, MismatchError, ModelRuntimeError
from facebridge.fingerprint import Fingerprint
from facebridge.models.preprocess import preprocess
from facebridge.models.spec import ModelSpec


class EmbeddingModel(ABC):
    """A loaded face-recognition network. Build it with :func:`facebridge.models.load_model`.

    Subclasses implement ``_load`` (open the verified weight files) and ``_run`` (one batch of preprocessed input
    -> (b, dim) outputs); batching, fixed-batch looping, input checks and output checks live here.

    Parameters
    ----------
    spec : the model's declaration.
    paths : verified weight files, in the order of ``spec.files``.
    fingerprint : the embedding space these vectors live in.
    num_threads : intra-op threads the runtime may use.
    batch_size : most crops sent to the runtime at once (bounds memory); ignored for fixed-batch graphs.
    options : runtime-specific options, already validated, spec defaults included.
    """

    def __init__(
        self,
        spec: ModelSpec,
        paths: Sequence[Path],
        fingerprint: Fingerprint,
        *,
        num_threads: int = 2,
        batch_size: int = 32,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.fingerprint = fingerprint
        self.num_threads = num_threads
        self.batch_size = spec.fixed_batch or batch_size
        self.options = dict(options or {})
        self._load(list(paths))

    @abstractmethod
    def _load(self, paths: list[Path]) -> None:
        """Open the network from its weight files."""

    @abstractmethod
    def _run(self, batch: np.ndarray) -> np.ndarray:
        """Run one preprocessed batch of at most ``batch_size`` items; returns an array with b rows."""

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Raw (not normalised) embeddings of aligned crops.

        Parameters
        ----------
        crops : (n, h, w, 3) uint8 RGB crops made with ``spec.alignment`` at ``spec.input_size``.

        Returns
        -------
        (n, dim) float32.
        """
        x = preprocess(crops, self.spec)
        try:
            outs = [self._run_padded(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)]
        except FacebridgeError:
            raise
        except Exception as exc:  # the runtime's own error types; one line naming the model and the likely cause
            raise ModelRuntimeError(runtime_failure(self.spec, x, exc)) from None
        if not outs:
            return np.zeros((0, self.spec.dim), dtype=np.float32)
        out = np.concatenate([np.asarray(o, dtype=np.float32).reshape(len(o), -1) for o in outs])
        if out.shape != (len(x), self.spec.dim):
            raise MismatchError(
                f"{self.spec.name}: the network returned shape {out.shape}, the spec declares dim {self.spec.dim}"
            )
        return out

    def _run_padded(self, batch: np.ndarray) -> np.ndarray:
        """``_run``, padding a short last batch of a fixed-batch graph with copies of its last item."""
        short = (self.spec.fixed_batch or len(batch)) - len(batch)
        if short == 0:
            return self._run(batch)
        return self._run(np.concatenate([batch, np.repeat(batch[-1:], short, axis=0)]))[: len(batch)]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec.name!r}, dim={self.spec.dim}, threads={self.num_threads})"


def runtime_failure(spec: ModelSpec, x: np.ndarray, exc: BaseException) -> str:
    """One line saying which model failed on which tensor, the runtime's first line, and the likely cause."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = first if len(first) <= 240 else first[:237] + "..."
    text = str(exc).lower()
    if any(word in text for word in ("dimension", "rank", "shape", "size")):
        cause = "the spec's layout or input_size does not match the network's input"
    elif "type" in text:
        cause = "the spec's dtype does not match the network's input type"
    else:
        cause = "the spec (layout, input_size, dtype, input_name) may not match the network"
    return (
        f"model '{spec.name}' failed on a {spec.layout} {x.dtype} input of shape {tuple(x.shape)}: {first} "
        f"(likely cause: {cause}; 'facebridge models add' reads them from the graph)"
    )


def pick_name(available: Sequence[str], declared: str, what: str, model: str) -> str:
    """The tensor name to use: ``declared`` if the network has it, or the network's only one when none is declared."""
    if declared:
        if declared not in available:
            raise MismatchError(f"{model}: {what} '{declared}' is not in the network (it has: {', '.join(available)})")
        return declared
    if len(available) != 1:
        raise MismatchError(f"{model}: the network has several {what}s ({', '.join(available)}); name one in the spec")
    return available[0]
