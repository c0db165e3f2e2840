"""ROOT TTrees and RNTuples through uproot (the optional ``hep`` extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from physml.data.loaders.records import DataFormatError, _existing_file, _optional_max

__all__ = ["load_root"]


def _pad_jagged(
    p: Path, name: str, arr, ak, max_length: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """A singly jagged awkward array as (zero-padded array, mask) of width ``max_length``
    (None: the longest entry); entries longer than ``max_length`` are cut."""
    counts = np.asarray(ak.to_numpy(ak.num(arr, axis=1)), dtype=np.int64)
    try:
        flat = ak.to_numpy(ak.flatten(arr, axis=1))
    except (ValueError, TypeError) as e:
        raise DataFormatError(
            f"{p}: branch {name!r} has type {arr.type.content}; expected numbers or a "
            "singly jagged list of numbers"
        ) from e
    width = int(counts.max(initial=0)) if max_length is None else max_length
    position = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
    mask = np.arange(width) < np.minimum(counts, width)[:, None]
    padded = np.zeros((len(counts), width, *flat.shape[1:]), dtype=flat.dtype)
    padded[mask] = flat[position < width]
    return padded, mask


def load_root(
    path: str | os.PathLike[str],
    tree: str,
    branches: str | Sequence[str],
    *,
    max_entries: int | None = None,
    max_length: int | None = None,
) -> dict[str, np.ndarray]:
    """Read branches of a ROOT TTree (or RNTuple) as numpy arrays, through uproot.

    Flat branches come back as 1-d arrays, fixed-size array branches (``float[3]``) as
    (n_entries, 3). A jagged branch (``std::vector<float>``, ``float[n]``) comes back
    zero-padded to (n_entries, width) with the branch's dtype, plus a bool mask under
    ``"{name}_mask"`` that is True for real elements; the width is ``max_length``, or
    the longest entry read if None. Doubly jagged branches and strings are refused.

    Needs the optional extra ``hep`` (``pip install 'physml[hep]'``).

    Args:
        path: the ROOT file.
        tree: name of the TTree or RNTuple, e.g. ``"Events"`` or ``"dir/tree"``.
        branches: one branch name or a sequence of them.
        max_entries: read at most the first this many entries; None reads all.
        max_length: pad or cut jagged branches to this width; None: the longest entry.

    Returns:
        name -> array, in the order asked, each jagged branch followed by its mask.

    Raises:
        ImportError: uproot is not installed.
        FileNotFoundError: the file is missing.
        DataFormatError: not a ROOT file, no such tree or branch (the message lists the
            available ones), or a branch whose type cannot become a numpy array.
    """
    max_entries = _optional_max("max_entries", max_entries)
    max_length = _optional_max("max_length", max_length)
    if isinstance(branches, str):
        branches = [branches]
    if not isinstance(branches, Sequence) or not branches:
        raise ValueError(
            f"branches={branches!r} is not allowed: "
            "expected a branch name or a non-empty sequence of names"
        )
    branches = list(branches)
    if not all(isinstance(b, str) for b in branches) or len(set(branches)) != len(branches):
        raise ValueError(f"branches={branches!r} is not allowed: expected distinct branch names")
    clash = [b for b in branches if f"{b}_mask" in branches]
    if clash:
        raise ValueError(
            f"branches={branches!r} is not allowed: '{clash[0]}_mask' would name two arrays"
        )
    p = _existing_file(path)
    try:
        import awkward as ak
        import uproot
    except ImportError as e:
        raise ImportError(
            "load_root needs uproot: install physml[hep] (pip install 'physml[hep]')"
        ) from e
    try:
        f = uproot.open(p)
    except (OSError, ValueError) as e:
        raise DataFormatError(f"{p}: expected a ROOT file; uproot cannot open it: {e}") from e
    with f:
        kinds = {
            k: v for k, v in f.classnames(cycle=False).items() if v in ("TTree", "ROOT::RNTuple")
        }
        try:
            t = f[tree]
        except KeyError:
            t = None
        if t is None or not hasattr(t, "num_entries"):
            raise DataFormatError(
                f"{p}: expected a TTree or RNTuple named {tree!r}; found {sorted(kinds) or 'none'}"
            )
        available = list(t.keys())
        missing = [b for b in branches if b not in available]
        if missing:
            shown = available if len(available) <= 30 else [*available[:30], "..."]
            raise DataFormatError(f"{p}: tree {tree!r} has no branches {missing}; found {shown}")
        out: dict[str, np.ndarray] = {}
        for b in branches:
            try:
                arr = t[b].array(library="ak", entry_stop=max_entries)
            except (
                OSError,
                ValueError,
                TypeError,
                NotImplementedError,
                uproot.DeserializationError,
            ) as e:
                raise DataFormatError(
                    f"{p}: branch {b!r} of tree {tree!r} cannot be read: {type(e).__name__}: {e}"
                ) from e
            if isinstance(arr.type.content, ak.types.ListType):
                out[b], out[f"{b}_mask"] = _pad_jagged(p, b, arr, ak, max_length)
                continue
            try:
                out[b] = ak.to_numpy(arr)
            except (ValueError, TypeError) as e:
                raise DataFormatError(
                    f"{p}: branch {b!r} has type {arr.type.content}; expected numbers or a "
                    "singly jagged list of numbers"
                ) from e
    return out
