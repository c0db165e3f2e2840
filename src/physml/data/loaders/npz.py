"""The energyflow quark/gluon jets (NPZ files ``QG_jets*.npz``; Komiske, Metodiev, Thaler,
arXiv:1810.05165)."""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from physml.data.loaders.records import (
    DataFormatError,
    JetConstituents,
    _existing_file,
    _finite,
    _labels,
    _optional_max,
)

__all__ = ["load_energyflow_qg", "read_energyflow_qg_labels"]

_TWO_PI = 2.0 * math.pi
_QG_LAYOUT = (
    "an NPZ with arrays 'X' (n_jets, n_particles, 4) holding (pt, rapidity, phi, pdgid) "
    "and 'y' (n_jets,) holding 1 = quark, 0 = gluon"
)


def _wrap_phi(phi: np.ndarray) -> np.ndarray:
    """phi in [-pi, pi); values already there are returned bit for bit."""
    outside = (phi < -math.pi) | (phi >= math.pi)
    if not np.any(outside):
        return phi
    return np.where(outside, (phi + math.pi) % _TWO_PI - math.pi, phi)


_UNREADABLE = (ValueError, OSError, EOFError, zipfile.BadZipFile)


def _npy_header(archive: np.lib.npyio.NpzFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of member ``name`` of an NPZ, read from its header alone."""
    with archive.zip.open(f"{name}.npy") as fh:
        version = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0
        if version != (1, 0):
            read = np.lib.format.read_array_header_2_0
        shape, _, dtype = read(fh)
    return shape, dtype


def _read_qg_file(
    p: Path, limit: int | None, *, constituents: bool = True
) -> tuple[np.ndarray | None, np.ndarray]:
    """``X`` (None unless ``constituents``) and ``y`` of one file, after checking their
    layout from the headers (so a wrong file is refused before its jets are read)."""
    try:
        archive = np.load(p, allow_pickle=False)
    except _UNREADABLE as e:
        raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; cannot read it: {e}") from e
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataFormatError(
            f"{p}: expected {_QG_LAYOUT}; found a single .npy array of shape {archive.shape}"
        )
    with archive:
        if "X" not in archive.files or "y" not in archive.files:
            raise DataFormatError(
                f"{p}: expected {_QG_LAYOUT}; found arrays {sorted(archive.files)}"
            )
        try:
            shape, dtype = _npy_header(archive, "X")
            if len(shape) != 3 or shape[2] != 4 or dtype.kind not in "fiu":
                raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; found 'X' {dtype}{shape}")
            if shape[0] == 0:
                raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; found no jets")
            y = archive["y"]
            if y.shape != (shape[0],) or y.dtype.kind not in "fiub":
                raise DataFormatError(
                    f"{p}: expected {_QG_LAYOUT}; found 'y' {y.dtype}{y.shape} beside 'X' {shape}"
                )
            x = archive["X"][:limit] if constituents else None
        except DataFormatError:
            raise
        except _UNREADABLE as e:
            raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; cannot read it: {e}") from e
    return x, y[:limit]


def _qg_paths(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    many = not isinstance(path, (str, os.PathLike))
    if many and (not isinstance(path, Iterable) or isinstance(path, bytes)):
        raise TypeError(f"path must be a file or a sequence of files, got {type(path).__name__}")
    paths = [_existing_file(p) for p in (path if many else [path])]
    if not paths:
        raise ValueError("path=[] is not allowed: expected a file or a non-empty list of files")
    return paths


def read_energyflow_qg_labels(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    max_jets: int | None = None,
) -> np.ndarray:
    """The labels :func:`load_energyflow_qg` would return, without reading the jets.

    Checks what can be checked cheaply (the arrays present, the shape and dtype of ``X``
    from its header, every label 0 or 1), so a wrong file is refused at once.

    Returns:
        int8 labels (1 = quark, 0 = gluon), shape (n_jets,).

    Raises:
        FileNotFoundError, DataFormatError: as :func:`load_energyflow_qg`.
    """
    remaining = _optional_max("max_jets", max_jets)
    labels = []
    for p in _qg_paths(path):
        if remaining == 0:
            break
        _, y = _read_qg_file(p, remaining, constituents=False)
        labels.append(_labels(y, p, "'y'", _QG_LAYOUT))
        if remaining is not None:
            remaining -= len(y)
    return np.concatenate(labels)


def load_energyflow_qg(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    max_jets: int | None = None,
) -> JetConstituents:
    """Read the energyflow quark/gluon jet files (``QG_jets.npz``, ``QG_jets_1.npz``, ...).

    Each NPZ holds ``X`` (n_jets, max_particles, 4) with columns (pT [GeV], rapidity y,
    phi, PDG id), zero-padded, and ``y`` (n_jets,) with 1 = quark, 0 = gluon. The
    rapidity is returned in physml's eta slot: it equals the pseudorapidity for massless
    particles and differs by O(m^2 / pT^2) for massive hadrons (a pion at 1 GeV: ~1%).
    phi (stored in [0, 2 pi)) is wrapped into [-pi, pi), as in :mod:`physml.sim.collider.jets`.

    Args:
        path: one file, or a sequence of files read in order; files of different widths
            are zero-padded to the widest.
        max_jets: read at most this many jets (in file order); None reads all.

    Returns:
        :class:`JetConstituents` with mask ``pT > 0``.

    Raises:
        FileNotFoundError: a file is missing.
        DataFormatError: a file is not such an NPZ (the message lists the arrays found),
            holds no jets, a label is not 0/1, a PDG id not an integer, or a pT, rapidity
            or phi is NaN or infinite.
    """
    max_jets = _optional_max("max_jets", max_jets)
    paths = _qg_paths(path)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    read: list[Path] = []
    remaining = max_jets
    for p in paths:
        if remaining == 0:
            break
        x, y = _read_qg_file(p, remaining)
        _finite(x[..., :3], p, "'X' (pt, rapidity, phi)")
        pid = x[..., 3]
        if not np.array_equal(pid, np.rint(pid)):
            raise DataFormatError(
                f"{p}: expected {_QG_LAYOUT}; column 3 of 'X' (pdgid) is not integer-valued"
            )
        parts.append((x, _labels(y, p, "'y'", _QG_LAYOUT)))
        read.append(p)
        if remaining is not None:
            remaining -= len(x)
    n = sum(len(x) for x, _ in parts)
    width = max(x.shape[1] for x, _ in parts)
    constituents = np.zeros((n, width, 3))
    pid = np.zeros((n, width), dtype=np.int32)
    start = 0
    for x, _ in parts:
        rows, w = slice(start, start + len(x)), x.shape[1]
        constituents[rows, :w, 0] = x[..., 0]
        constituents[rows, :w, 1] = x[..., 1]
        constituents[rows, :w, 2] = _wrap_phi(np.asarray(x[..., 2], dtype=np.float64))
        pid[rows, :w] = x[..., 3]
        start += len(x)
    return JetConstituents(
        constituents=constituents,
        mask=constituents[..., 0] > 0,
        label=np.concatenate([y for _, y in parts]),
        pid=pid,
        source=tuple(str(p) for p in read),
    )
