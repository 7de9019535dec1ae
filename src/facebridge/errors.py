"""One exception family for facebridge.

The library raises these; the CLI turns any of them into one line on stderr and exit code 2. Each is also the
matching builtin, so callers that catch ``ValueError`` or ``LookupError`` keep working.
"""

from __future__ import annotations

import functools
import sys
from typing import Any


class FacebridgeError(Exception):
    """Base of every error facebridge raises on bad input or a bad environment."""


class InvalidInputError(FacebridgeError, ValueError):
    """Data or parameters that are malformed: wrong shape, NaN, duplicates, bad values."""


class InvalidTypeError(InvalidInputError, TypeError):
    """An array entry that is no number (a dict, a string object): also a TypeError, as NumPy's conversion raises."""


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


class NotFittedError(FacebridgeError, ValueError, AttributeError):
    """A map used before ``fit``: a ValueError and an AttributeError, like scikit-learn's ``NotFittedError``.

    Where scikit-learn is loaded, the error raised is also an instance of scikit-learn's class, so its tools and an
    ``except sklearn.exceptions.NotFittedError`` catch it; scikit-learn stays a dev-only dependency (a caller that
    catches its class has imported it already).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> NotFittedError:
        kind: type[NotFittedError] = cls
        sklearn_errors = sys.modules.get("sklearn.exceptions")
        if cls is NotFittedError and sklearn_errors is not None:
            kind = _also_sklearn(sklearn_errors.NotFittedError)
        return super().__new__(kind, *args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (e.g. back from a worker process) as the plain class, which the receiving side re-derives.
        return NotFittedError, self.args


@functools.cache
def _also_sklearn(sklearn_class: type) -> type[NotFittedError]:
    """facebridge's NotFittedError that is also ``sklearn_class``, under the same name."""
    return type("NotFittedError", (NotFittedError, sklearn_class), {"__module__": __name__, "__doc__": None})


class ConvergenceWarning(UserWarning):
    """An iterative fit (the MLP map's L-BFGS) stopped before it converged; the map is usable but not optimal."""


class ModelRuntimeError(FacebridgeError, RuntimeError):
    """A network failed to run on the input its spec declares (e.g. a user's spec with the wrong layout)."""


class BusyError(FacebridgeError, RuntimeError):
    """A store that another run is writing to right now."""


class SchedulerError(FacebridgeError, ConnectionError):
    """A Dask scheduler that cannot be reached."""
