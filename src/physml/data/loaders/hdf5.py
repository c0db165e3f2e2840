"""The top-tagging reference data set (pandas HDF5 files ``train.h5``, ...; Kasieczka et al.,
arXiv:1902.09914), read with h5py without unpickling anything."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from physml.checks import check_int
from physml.data.loaders.records import (
    DataFormatError,
    JetFourMomenta,
    _existing_file,
    _finite,
    _labels,
    _optional_max,
)

__all__ = ["load_top_tagging", "read_top_tagging_labels"]

_TOP_LAYOUT = (
    "a pandas HDFStore in fixed format with group '/table' holding 'axis0', 'axis1', "
    "'blockK_items' and 'blockK_values' and columns E_i, PX_i, PY_i, PZ_i (i = 0, 1, ...) "
    "and is_signal_new"
)
_READ_BYTES = 1 << 25  # rows of an HDF5 block are read ~32 MiB at a time


def _names(ds: h5py.Dataset) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in ds[()].reshape(-1)]


def _top_blocks(p: Path, g: h5py.Group) -> tuple[dict[str, tuple[str, int]], dict[str, bool], int]:
    """Map column -> (block, position) for a pandas fixed-format frame; also each block's
    orientation (True: rows first) and the number of rows."""
    blocks = sorted(
        (int(m.group(1)) for k in g if (m := re.fullmatch(r"block(\d+)_items", k))),
    )
    if not blocks:
        if "table" in g and isinstance(g["table"], h5py.Dataset):
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; found a pandas 'table'-format store, whose "
                "column names are pickled (never read here): re-save it with format='fixed'"
            )
        raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; found '/table' members {sorted(g)}")
    where: dict[str, tuple[str, int]] = {}
    rows_first: dict[str, bool] = {}
    n_rows: int | None = None
    for k in blocks:
        items_name, values_name = f"block{k}_items", f"block{k}_values"
        if values_name not in g:
            raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; '/table/{values_name}' is missing")
        items, ds = _names(g[items_name]), g[values_name]
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "fiub":
            found = f"dtype {ds.dtype}" if isinstance(ds, h5py.Dataset) else "a group"
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; '/table/{values_name}' is {found}, not numbers"
            )
        if ds.ndim != 2 or len(items) not in ds.shape:
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; '/table/{values_name}' has shape {ds.shape} "
                f"for {len(items)} columns"
            )
        # pandas stores each block transposed to (n_rows, n_items) and says so in an attr
        first = ds.shape[1] == len(items)
        if first and ds.shape[0] == len(items):
            first = bool(np.asarray(ds.attrs.get("transposed", True)).reshape(-1)[0])
        rows = ds.shape[0] if first else ds.shape[1]
        if n_rows is not None and rows != n_rows:
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; '/table/{values_name}' has {rows} rows, "
                f"block 0 has {n_rows}"
            )
        n_rows = rows
        rows_first[values_name] = first
        for j, name in enumerate(items):
            where[name] = (values_name, j)
    assert n_rows is not None
    return where, rows_first, n_rows


def _read_top_columns(
    g: h5py.Group,
    targets: dict[str, list[tuple[np.ndarray, int, int]]],
    rows_first: dict[str, bool],
    n: int,
) -> None:
    """Fill each target array's column from its block, reading blocks in row chunks."""
    for block, cols in targets.items():
        ds = g[block]
        n_items = ds.shape[1] if rows_first[block] else ds.shape[0]
        step = max(1, _READ_BYTES // max(1, n_items * ds.dtype.itemsize))
        src = np.array([j for _, _, j in cols])
        for start in range(0, n, step):
            stop = min(n, start + step)
            chunk = ds[start:stop] if rows_first[block] else ds[:, start:stop].T
            picked = chunk[:, src]
            for c, (dest, col, _) in enumerate(cols):
                dest[start:stop, col] = picked[:, c]


@contextlib.contextmanager
def _table(p: Path) -> Iterator[h5py.Group]:
    """The ``/table`` group of a top-tagging file; what h5py raises while it is read
    becomes a DataFormatError naming the file."""
    try:
        f = h5py.File(p, "r")
    except OSError as e:
        raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; h5py cannot open it: {e}") from e
    with f:
        if isinstance(f.get("table"), h5py.Dataset):
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; '/table' is a dataset, not a group"
            )
        if not isinstance(f.get("table"), h5py.Group):
            raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; found top-level keys {sorted(f)}")
        try:
            yield f["table"]
        except (OSError, KeyError, TypeError) as e:
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; cannot read it: {type(e).__name__}: {e}"
            ) from e


def _top_columns(
    p: Path, g: h5py.Group, max_constituents: int
) -> tuple[dict[str, tuple[str, int]], dict[str, bool], int, list[str]]:
    """The blocks of ``/table`` (as :func:`_top_blocks`) and the constituent columns
    ``E_i, PX_i, PY_i, PZ_i`` to read, after checking that they and the label exist."""
    where, rows_first, n_rows = _top_blocks(p, g)
    if n_rows == 0:
        raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; found no jets")
    n_avail = 0
    while f"E_{n_avail}" in where:
        n_avail += 1
    width = min(max_constituents, n_avail)
    needed = [f"{q}_{i}" for i in range(width) for q in ("E", "PX", "PY", "PZ")]
    missing = [c for c in [*needed, "is_signal_new"] if c not in where]
    if n_avail == 0 or missing:
        missing = missing if n_avail else ["E_0", *missing]
        shown = ", ".join(repr(c) for c in missing[:8])
        more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
        raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; missing columns {shown}{more}")
    return where, rows_first, n_rows, needed


def read_top_tagging_labels(
    path: str | os.PathLike[str], *, max_jets: int | None = None
) -> np.ndarray:
    """The labels :func:`load_top_tagging` would return, reading no constituent.

    Checks the layout (the ``/table`` blocks, their dtypes, the columns) and every label,
    so a wrong file is refused at once.

    Returns:
        int8 labels (1 = top, 0 = QCD), shape (n_jets,).

    Raises:
        FileNotFoundError, DataFormatError: as :func:`load_top_tagging`.
    """
    max_jets = _optional_max("max_jets", max_jets)
    p = _existing_file(path)
    with _table(p) as g:
        where, rows_first, n_rows, _ = _top_columns(p, g, 1)
        n = n_rows if max_jets is None else min(n_rows, max_jets)
        label = np.zeros((n, 1))
        block, j = where["is_signal_new"]
        _read_top_columns(g, {block: [(label, 0, j)]}, rows_first, n)
    return _labels(label[:, 0], p, "is_signal_new", _TOP_LAYOUT)


def load_top_tagging(
    path: str | os.PathLike[str],
    *,
    max_jets: int | None = None,
    max_constituents: int = 200,
) -> JetFourMomenta:
    """Read a top-tagging reference file (``train.h5``, ``val.h5``, ``test.h5``).

    The files are pandas HDFStores in fixed format under key ``"table"``: group
    ``/table`` with ``axis0`` (column names), ``axis1`` (row index) and, per dtype block
    K, ``blockK_items`` (its column names) and ``blockK_values`` (n_jets, n_items).
    Columns ``E_i, PX_i, PY_i, PZ_i`` hold constituent i (pT-ordered, zero-padded, GeV),
    ``is_signal_new`` the label, ``ttv`` the split and ``truthE, truthPX, truthPY,
    truthPZ`` the truth top. Columns are found by name through ``blockK_items``; the
    file is read with h5py in row chunks (no pandas, nothing unpickled).

    Args:
        path: the HDF5 file.
        max_jets: read at most the first this many jets; None reads all.
        max_constituents: keep at most this many constituents per jet (the files hold 200).

    Returns:
        :class:`JetFourMomenta` of width ``min(max_constituents, constituents in the
        file)`` with mask ``E > 0``; ``ttv`` and ``truth4`` when the file has them.

    Raises:
        FileNotFoundError: the file is missing.
        DataFormatError: not HDF5, no pandas fixed-format ``/table``, no jets, a block
            that is not numbers, a needed column is missing (named in the message), a
            label is not 0/1, or a four-momentum component is NaN or infinite.
    """
    max_jets = _optional_max("max_jets", max_jets)
    max_constituents = check_int("max_constituents", max_constituents, minimum=1)
    p = _existing_file(path)
    with _table(p) as g:
        where, rows_first, n_rows, needed = _top_columns(p, g, max_constituents)
        width = len(needed) // 4
        n = n_rows if max_jets is None else min(n_rows, max_jets)
        c4 = np.zeros((n, width * 4))
        extra = np.zeros((n, 6))  # is_signal_new, ttv, truthE, truthPX, truthPY, truthPZ
        truth = ["truthE", "truthPX", "truthPY", "truthPZ"]
        has_ttv, has_truth = "ttv" in where, all(t in where for t in truth)
        columns = [(name, c4, k) for k, name in enumerate(needed)]
        columns.append(("is_signal_new", extra, 0))
        if has_ttv:
            columns.append(("ttv", extra, 1))
        if has_truth:
            columns += [(t, extra, 2 + k) for k, t in enumerate(truth)]
        targets: dict[str, list[tuple[np.ndarray, int, int]]] = {}
        for name, dest, col in columns:
            block, j = where[name]
            targets.setdefault(block, []).append((dest, col, j))
        _read_top_columns(g, targets, rows_first, n)
    _finite(c4, p, "the constituent four-momenta (E_i, PX_i, PY_i, PZ_i)")
    if has_truth:
        _finite(extra[:, 2:], p, "the truth top (truthE, truthPX, truthPY, truthPZ)")
    constituents4 = c4.reshape(n, width, 4)
    ttv = None
    if has_ttv:
        if np.any(~np.isin(extra[:, 1], (0, 1, 2))):
            raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; column 'ttv' is not 0, 1 or 2")
        ttv = extra[:, 1].astype(np.int8)
    return JetFourMomenta(
        constituents4=constituents4,
        mask=constituents4[..., 0] > 0,
        label=_labels(extra[:, 0], p, "is_signal_new", _TOP_LAYOUT),
        ttv=ttv,
        truth4=np.ascontiguousarray(extra[:, 2:]) if has_truth else None,
        source=str(p),
    )
