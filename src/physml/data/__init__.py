"""Array data for physml: the on-disk cache of simulated data (HDF5, atomic writes) and
loaders for the public formats of real data (:mod:`physml.data.loaders`).

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
from physml.data.loaders import (
    DataFormatError,
    load_atlas_higgs,
    load_energyflow_qg,
    load_root,
    load_top_tagging,
    load_uci_higgs,
)

__all__ = [
    "CacheError",
    "CacheWarning",
    "DataFormatError",
    "cache_dir",
    "cache_key",
    "cached",
    "load_atlas_higgs",
    "load_energyflow_qg",
    "load_root",
    "load_top_tagging",
    "load_uci_higgs",
    "read_entry",
    "write_entry",
]
