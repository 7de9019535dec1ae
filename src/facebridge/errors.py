"""One exception family for facebridge.

The library raises these; the CLI turns any of them into one line on stderr and exit code 2. Each is also the
matching builtin, so callers that catch ``ValueError`` or ``LookupError`` keep working.
"""

from __future__ import annotations


class FacebridgeError(Exception):
    """Base of every error facebridge raises on bad input or a bad environment."""


class InvalidInputError(FacebridgeError, ValueError):
    """Data or parameters that are malformed: wrong shape, NaN, duplicates, bad values."""


class DataFormatError(FacebridgeError, ValueError):
    """A file that cannot be parsed: truncated, corrupted, wrong format or version."""


class MismatchError(FacebridgeError, ValueError):
    """Two things that must agree do not: a map's source model, dims, or too few shared ids."""


class NotFoundError(FacebridgeError, LookupError):
    """An unknown name (model, protocol, method) or id."""


class MissingFileError(FacebridgeError, FileNotFoundError):
    """A file the user named, or a weights file, does not exist."""


class IntegrityError(FacebridgeError, ValueError):
    """A file whose sha256 differs from the expected one."""


class MissingDependencyError(FacebridgeError, ImportError):
    """An optional runtime is not installed; the message says what to install."""


class NotFittedError(FacebridgeError, AttributeError):
    """A map used before ``fit``."""


class ModelRuntimeError(FacebridgeError, RuntimeError):
    """A network failed to run on the input its spec declares (e.g. a user's spec with the wrong layout)."""


class BusyError(FacebridgeError, RuntimeError):
    """A store that another run is writing to right now."""


class SchedulerError(FacebridgeError, ConnectionError):
    """A Dask scheduler that cannot be reached."""
