"""Embedding sets: ids + float32 vectors + the fingerprint of the model that made them."""

from facebridge.embeddings.io import iter_parquet_batches, read_embeddings, write_parquet
from facebridge.embeddings.join import join_sets
from facebridge.embeddings.set import EmbeddingSet
from facebridge.fingerprint import Fingerprint

__all__ = [
    "EmbeddingSet",
    "Fingerprint",
    "iter_parquet_batches",
    "join_sets",
    "read_embeddings",
    "write_parquet",
]
