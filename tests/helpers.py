"""Shared test helpers: where ``../shared`` is, and small image files built by hand (no data is committed)."""

from __future__ import annotations

import io
import os
import resource
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facebridge.embeddings import EmbeddingSet, Fingerprint
from facebridge.protocols import PairList

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LFW_IMAGES = SHARED / "data" / "lfw" / "images"


def require_shared(*paths: Path) -> None:
    """Skip the test when a ``../shared`` input is absent; under ``CI=true`` that is a failure instead."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        message = f"needs {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the shared LFW data and model weights are required)")
        pytest.skip(message)


def jpeg_bytes(im: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def png_bytes(width: int, height: int, bit_depth: int, color_type: int, raw: bytes) -> bytes:
    """A PNG written by hand, so that 48-bit colour and huge headers need no large buffer."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def uniform_gray_jpeg(side: int) -> bytes:
    """A ``side`` x ``side`` mid-gray baseline JPEG built without decoding it: every 8x8 block codes DC diff 0
    and EOB, 6 bits, so four blocks are the three bytes 28 a2 8a with Pillow's standard Huffman tables."""
    small = jpeg_bytes(Image.new("L", (32, 32), 128), quality=75)
    sof, sos = small.index(b"\xff\xc0"), small.index(b"\xff\xda")
    head = bytearray(small[: sos + 2 + struct.unpack(">H", small[sos + 2 : sos + 4])[0]])
    head[sof + 5 : sof + 9] = struct.pack(">HH", side, side)
    assert small[len(head) : len(head) + 3] == b"\x28\xa2\x8a"
    return bytes(head) + b"\x28\xa2\x8a" * ((side // 8) ** 2 // 4) + b"\xff\xd9"


def synthetic_study(
    seed: int = 0, noise: float = 0.6, n_people: int = 40, per_person: int = 5, n_folds: int = 4, dim: int = 16
) -> tuple[PairList, EmbeddingSet, EmbeddingSet]:
    """A toy study: target vectors = identity centre + noise, source = an exact affine image of the target;
    people-disjoint folds (person p in fold p % n_folds), one genuine and one impostor pair per image step."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, dim))
    ids, vecs = [], []
    for p in range(n_people):
        for i in range(per_person):
            ids.append(f"P{p:02d}/P{p:02d}_{i + 1:04d}.jpg")
            vecs.append(centres[p] + noise * rng.normal(size=dim))
    y = np.asarray(vecs)
    transform = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    x = (y - 0.3) @ np.linalg.inv(transform)  # y = x @ transform + 0.3
    id_a, id_b, same, fold = [], [], [], []
    for p in range(n_people):
        k = p % n_folds
        q = (p + n_folds) % n_people  # same fold, other person
        for i in range(per_person - 1):
            id_a += [ids[p * per_person + i], ids[p * per_person + i]]
            id_b += [ids[p * per_person + i + 1], ids[q * per_person + i]]
            same += [True, False]
            fold += [k, k]
    pairs = PairList(np.array(id_a, object), np.array(id_b, object), np.array(same), np.array(fold), "synthetic")
    target = EmbeddingSet(np.array(ids, object), y, Fingerprint("model-b"))
    source = EmbeddingSet(np.array(ids, object), x, Fingerprint("model-a"))
    return pairs, source, target


@contextmanager
def address_space_cap(limit: int = 8 << 30) -> Iterator[None]:
    """Cap this process's address space at ``limit`` bytes: code that would allocate gigabytes fails as a
    MemoryError instead of swapping the shared machine."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def one_line_error(capsys, *args: object) -> str:
    """Run the CLI on ``args``; assert exit code 2 with a single ``facebridge: error:`` line on stderr and no
    traceback; return that line (output of earlier commands in the test is dropped first)."""
    from facebridge.cli.main import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err and err.startswith("facebridge: error: "), err
    return err
