"""facebridge: maps between face-recognition embedding spaces, and what they cost in accuracy.

Data flows one way, lowest layer first (tests/test_layers.py checks every import): the core modules (errors,
paths, storage, vectors, checks, fingerprint) -> images -> faces -> models -> embeddings -> protocols -> extraction
and maps -> experiments and cluster -> reports -> cli, a thin layer over this API. Importing the package loads no
model runtime.
"""

__version__ = "0.1.0"
