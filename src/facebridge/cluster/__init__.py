"""Maps fitted and applied on a Dask cluster: the same results as one process, over Parquet row-group partitions.

Needs the ``dask`` extra (``pip install 'facebridge[dask]'``): importing this package without it is a
MissingDependencyError saying so (the CLI imports it only for ``--scheduler``).
"""

from facebridge.errors import MissingDependencyError

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
except ImportError:
    raise MissingDependencyError(
        "running on a Dask cluster needs the dask extra: pip install 'facebridge[dask]'"
    ) from None

from facebridge.cluster.client import connect
from facebridge.cluster.fit import DistributedFit, fit_distributed, stats_family
from facebridge.cluster.transform import transform_distributed

__all__ = ["DistributedFit", "connect", "fit_distributed", "stats_family", "transform_distributed"]
