"""Array data for physml: the on-disk cache of simulated data (HDF5, atomic writes).

Cache entries are keyed by simulator name, simulator version, parameters and seed;
see :mod:`physml.data.cache` for the file layout and the checks made on every read.
"""

from physml.data.cache import (
    CacheError,
    CacheWarning,
    cache_dir,
    cache_key,
    cached,
    read_entry,
    write_entry,
)

__all__ = [
    "CacheError",
    "CacheWarning",
    "cache_dir",
    "cache_key",
    "cached",
    "read_entry",
    "write_entry",
]
