"""Writers of the public data formats, for tests that need a file in the real layout."""

from __future__ import annotations

import h5py
import numpy as np

_PYTABLES_ARRAY = {"CLASS": b"ARRAY", "FLAVOR": b"numpy", "TITLE": b"", "VERSION": b"2.4"}
_PICKLED_NONE = np.void(b"N.")  # how PyTables stores index.name = None: pickled, opaque


def write_pandas_fixed(path, blocks: list[dict[str, np.ndarray]], key: str = "table"):
    """Write a DataFrame the way ``df.to_hdf(path, key=key, format="fixed")`` does.

    ``blocks`` holds one dict per pandas dtype block (column name -> values); axis0 lists
    all columns, in block order; each ``blockK_values`` is (n_rows, n_items), transposed
    from pandas' internal (n_items, n_rows), with ``transposed = True``.
    """
    columns = [name for block in blocks for name in block]
    n_rows = len(next(iter(blocks[0].values())))
    with h5py.File(path, "w") as f:
        g = f.create_group(key)
        g.attrs.update(
            {
                "CLASS": b"GROUP",
                "TITLE": b"",
                "VERSION": b"1.0",
                "pandas_type": b"frame",
                "pandas_version": b"0.15.2",
                "encoding": b"UTF-8",
                "errors": b"strict",
                "ndim": np.int64(2),
                "nblocks": np.int64(len(blocks)),
                "axis0_variety": b"regular",
                "axis1_variety": b"regular",
            }
        )

        def index(name, values, kind):
            ds = g.create_dataset(name, data=values)
            ds.attrs.update({**_PYTABLES_ARRAY, "kind": kind, "name": _PICKLED_NONE})

        index("axis0", np.array([c.encode() for c in columns]), b"string")
        index("axis1", np.arange(n_rows, dtype=np.int64), b"integer")
        for k, block in enumerate(blocks):
            values = np.stack(list(block.values()))  # pandas' block: (n_items, n_rows)
            ds = g.create_dataset(f"block{k}_values", data=values.T)
            ds.attrs.update({**_PYTABLES_ARRAY, "transposed": np.bool_(True)})
            index(f"block{k}_items", np.array([c.encode() for c in block]), b"string")
            g.attrs[f"block{k}_items_variety"] = b"regular"
