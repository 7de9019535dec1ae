"""facebridge: maps between face-recognition embedding spaces, and what they cost in accuracy.

Data flows one way: images -> faces -> models -> embeddings -> maps -> protocols -> experiments -> reports,
with the CLI a thin layer over this API. Importing the package loads no model runtime.
"""

__version__ = "0.1.0"
