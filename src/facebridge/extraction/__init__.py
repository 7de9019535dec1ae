"""Extraction: images -> faces -> embeddings of several models, into a chunked, resumable store (detector, chunks,
worker pool or Dask executor, store lock and file stamps), and the face check of a new model."""
