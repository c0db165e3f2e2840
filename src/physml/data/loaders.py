r"""Loaders for the public physics data sets in the formats physicists already have.

Each loader reads one public format from a local file (physml never downloads) and
returns plain numpy arrays in physml's conventions: energies and momenta in GeV as
stored, angles in radians, jets as zero-padded ``(n_jets, width, ...)`` arrays with a
``(n_jets, width)`` bool mask, labels as int8 with 1 = signal (quark, top, Higgs).

=====================================  ==========================================
:func:`load_energyflow_qg`             energyflow quark/gluon NPZ (``QG_jets*.npz``)
:func:`load_top_tagging`               top-tagging reference HDF5 (``train.h5``, ...)
:func:`load_uci_higgs`                 UCI HIGGS CSV (``HIGGS.csv[.gz]``)
:func:`load_atlas_higgs`               ATLAS Higgs ML challenge CSV (Kaggle / Open Data)
:func:`load_root`                      any flat or singly jagged ROOT TTree / RNTuple
=====================================  ==========================================

Where the files come from (fetch them yourself):

- quark/gluon jets: Komiske, Metodiev, Thaler, JHEP 01 (2019) 121, arXiv:1810.05165;
  Zenodo doi:10.5281/zenodo.3164691.
- top tagging: Kasieczka et al., SciPost Phys. 7 (2019) 014, arXiv:1902.09914;
  Zenodo doi:10.5281/zenodo.2603256.
- UCI HIGGS: Baldi, Sadowski, Whiteson, Nat. Commun. 5 (2014) 4308, arXiv:1402.4735;
  https://archive.ics.uci.edu/dataset/280/higgs.
- ATLAS Higgs ML challenge: Adam-Bourdarios et al., JMLR W&CP 42 (2015) 19; CERN Open
  Data doi:10.7483/OPENDATA.ATLAS.ZBP2.M5T8 (``atlas-higgs-challenge-2014-v2.csv``).

A file that does not match its format raises :class:`DataFormatError` (a ValueError)
whose message names the file, what was expected and what was found; a missing file
raises FileNotFoundError naming it. No loader unpickles anything: NPZ files are read with
``allow_pickle=False``, and the pickled attributes pandas leaves in HDF5 files are never
read. ROOT files need the optional ``hep`` extra (``pip install 'physml[hep]'``).
"""

from __future__ import annotations

import gzip
import math
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import h5py
import numpy as np

from physml.checks import check_int

__all__ = [
    "ATLAS_HIGGS_FEATURES",
    "UCI_HIGGS_FEATURES",
    "DataFormatError",
    "JetConstituents",
    "JetFourMomenta",
    "TabularEvents",
    "load_atlas_higgs",
    "load_energyflow_qg",
    "load_root",
    "load_top_tagging",
    "load_uci_higgs",
]

UCI_HIGGS_FEATURES: tuple[str, ...] = (
    "lepton_pT",
    "lepton_eta",
    "lepton_phi",
    "missing_energy_magnitude",
    "missing_energy_phi",
    *(f"jet{j}{q}" for j in range(1, 5) for q in ("pt", "eta", "phi", "b-tag")),
    "m_jj",
    "m_jjj",
    "m_lv",
    "m_jlv",
    "m_bb",
    "m_wbb",
    "m_wwbb",
)
"""The 28 UCI HIGGS features, in file order (21 low-level, then 7 high-level masses)."""

ATLAS_HIGGS_FEATURES: tuple[str, ...] = (
    "DER_mass_MMC",
    "DER_mass_transverse_met_lep",
    "DER_mass_vis",
    "DER_pt_h",
    "DER_deltaeta_jet_jet",
    "DER_mass_jet_jet",
    "DER_prodeta_jet_jet",
    "DER_deltar_tau_lep",
    "DER_pt_tot",
    "DER_sum_pt",
    "DER_pt_ratio_lep_tau",
    "DER_met_phi_centrality",
    "DER_lep_eta_centrality",
    "PRI_tau_pt",
    "PRI_tau_eta",
    "PRI_tau_phi",
    "PRI_lep_pt",
    "PRI_lep_eta",
    "PRI_lep_phi",
    "PRI_met",
    "PRI_met_phi",
    "PRI_met_sumet",
    "PRI_jet_num",
    "PRI_jet_leading_pt",
    "PRI_jet_leading_eta",
    "PRI_jet_leading_phi",
    "PRI_jet_subleading_pt",
    "PRI_jet_subleading_eta",
    "PRI_jet_subleading_phi",
    "PRI_jet_all_pt",
)
"""The 30 ATLAS Higgs challenge features (13 derived, 17 primary), in file order."""

_TWO_PI = 2.0 * math.pi
_QG_LAYOUT = (
    "an NPZ with arrays 'X' (n_jets, n_particles, 4) holding (pt, rapidity, phi, pdgid) "
    "and 'y' (n_jets,) holding 1 = quark, 0 = gluon"
)
_TOP_LAYOUT = (
    "a pandas HDFStore in fixed format with group '/table' holding 'axis0', 'axis1', "
    "'blockK_items' and 'blockK_values' and columns E_i, PX_i, PY_i, PZ_i (i = 0, 1, ...) "
    "and is_signal_new"
)
_UCI_LAYOUT = (
    "a headerless CSV with 29 comma-separated numbers per line: the label "
    "(1 signal, 0 background), then the 28 features of UCI_HIGGS_FEATURES"
)
_ATLAS_LAYOUT = (
    "the ATLAS Higgs challenge CSV with header EventId, DER_mass_MMC, ..., "
    "PRI_jet_all_pt, Weight, Label [, KaggleSet, KaggleWeight]"
)
_ATLAS_LABELS = {"s": 1.0, "b": 0.0}
_KAGGLE_SETS = "tbvu"  # training, public leaderboard, private leaderboard, unused
_READ_BYTES = 1 << 25  # rows of an HDF5 block are read ~32 MiB at a time


class DataFormatError(ValueError):
    """A file does not match its format; the message names the file, what was expected
    and what was found."""


# --------------------------------------------------------------------------- results


def _check_rows(cls: str, n: int, **arrays: np.ndarray | None) -> None:
    for name, a in arrays.items():
        if a is not None and (a.ndim < 1 or a.shape[0] != n):
            raise ValueError(f"{cls}.{name} has shape {a.shape}: expected {n} rows")


@dataclass(frozen=True, eq=False)
class JetConstituents:
    """Jets as zero-padded massless constituents (pT, eta, phi), with labels.

    Attributes:
        constituents: (pT [GeV], eta, phi) of each constituent; phi in [-pi, pi).
        mask: True for real constituents (pT > 0), False for padding (all zeros).
        label: 1 = quark, 0 = gluon.
        pid: PDG id of each constituent (0 where padded).
        source: the files read, in order.

    Shapes:
        constituents: (n_jets, width, 3) float64; mask: (n_jets, width) bool;
        label: (n_jets,) int8; pid: (n_jets, width) int32.
    """

    constituents: np.ndarray
    mask: np.ndarray
    label: np.ndarray
    pid: np.ndarray
    source: tuple[str, ...]

    def __post_init__(self) -> None:
        c = self.constituents
        if c.ndim != 3 or c.shape[2] != 3:
            raise ValueError(f"constituents has shape {c.shape}: expected (n_jets, width, 3)")
        for name in ("mask", "pid"):
            if getattr(self, name).shape != c.shape[:2]:
                raise ValueError(
                    f"{name} has shape {getattr(self, name).shape}: expected {c.shape[:2]}"
                )
        _check_rows("JetConstituents", len(c), label=self.label)

    def __len__(self) -> int:
        return self.constituents.shape[0]


@dataclass(frozen=True, eq=False)
class JetFourMomenta:
    """Jets as zero-padded constituent four-momenta (E, px, py, pz), with labels.

    Attributes:
        constituents4: (E, px, py, pz) of each constituent, GeV.
        mask: True for real constituents (E > 0), False for padding (all zeros).
        label: 1 = top (signal), 0 = QCD (background).
        ttv: the file's split flag (0 train, 1 test, 2 validation), or None if absent.
        truth4: (E, px, py, pz) of the truth top (zeros for QCD jets), or None if absent.
        source: the file read.

    Shapes:
        constituents4: (n_jets, width, 4) float64; mask: (n_jets, width) bool;
        label, ttv: (n_jets,) int8; truth4: (n_jets, 4) float64.
    """

    constituents4: np.ndarray
    mask: np.ndarray
    label: np.ndarray
    ttv: np.ndarray | None
    truth4: np.ndarray | None
    source: str

    def __post_init__(self) -> None:
        c = self.constituents4
        if c.ndim != 3 or c.shape[2] != 4:
            raise ValueError(f"constituents4 has shape {c.shape}: expected (n_jets, width, 4)")
        if self.mask.shape != c.shape[:2]:
            raise ValueError(f"mask has shape {self.mask.shape}: expected {c.shape[:2]}")
        _check_rows("JetFourMomenta", len(c), label=self.label, ttv=self.ttv, truth4=self.truth4)

    def __len__(self) -> int:
        return self.constituents4.shape[0]


@dataclass(frozen=True, eq=False)
class TabularEvents:
    """Events as a table of named features with labels and event weights.

    Attributes:
        features: one row per event, one column per name; missing values are NaN.
        names: the column names of ``features``.
        label: 1 = signal, 0 = background.
        weight: event weight (ones for unweighted data).
        event_id: the file's event number, or None if the format has none.
        kaggle_set: ATLAS Open Data only: ``'t'`` Kaggle training, ``'b'`` public and
            ``'v'`` private leaderboard, ``'u'`` unused; else None.
        kaggle_weight: ATLAS Open Data only: the weight normalised within its Kaggle set.
        source: the file read.

    Shapes:
        features: (n_events, n_features) float64; label: (n_events,) int8; weight,
        kaggle_weight: (n_events,) float64; event_id: (n_events,) int64;
        kaggle_set: (n_events,) '<U1'.
    """

    features: np.ndarray
    names: tuple[str, ...]
    label: np.ndarray
    weight: np.ndarray
    source: str
    event_id: np.ndarray | None = None
    kaggle_set: np.ndarray | None = None
    kaggle_weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        f = self.features
        if f.ndim != 2 or f.shape[1] != len(self.names):
            raise ValueError(
                f"features has shape {f.shape}: expected (n_events, {len(self.names)}) "
                "to match names"
            )
        _check_rows(
            "TabularEvents",
            len(f),
            label=self.label,
            weight=self.weight,
            event_id=self.event_id,
            kaggle_set=self.kaggle_set,
            kaggle_weight=self.kaggle_weight,
        )

    def __len__(self) -> int:
        return self.features.shape[0]


# --------------------------------------------------------------------------- helpers


def _existing_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path after checking it is an existing file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file (physml never downloads data sets)")
    if p.is_dir():
        raise IsADirectoryError(f"{p}: is a directory, expected a file")
    return p


def _optional_max(name: str, value) -> int | None:
    return None if value is None else check_int(name, value, minimum=1)


def _labels(values: np.ndarray, p: Path, what: str, layout: str) -> np.ndarray:
    """0/1 ``values`` (any numeric dtype) as int8, else a DataFormatError."""
    bad = (values != 0) & (values != 1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{p}: expected {layout}; {what} of row {i} is {values[i].item()!r}, not 0 or 1"
        )
    return values.astype(np.int8)


def _wrap_phi(phi: np.ndarray) -> np.ndarray:
    """phi in [-pi, pi); values already there are returned bit for bit."""
    outside = (phi < -math.pi) | (phi >= math.pi)
    if not np.any(outside):
        return phi
    return np.where(outside, (phi + math.pi) % _TWO_PI - math.pi, phi)


# --------------------------------------------------------------------------- energyflow


def _read_qg_file(p: Path, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
    try:
        archive = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
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
            x, y = archive["X"], archive["y"]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; cannot read it: {e}") from e
    if x.ndim != 3 or x.shape[2] != 4 or x.dtype.kind not in "fiu":
        raise DataFormatError(f"{p}: expected {_QG_LAYOUT}; found 'X' {x.dtype}{x.shape}")
    if y.shape != (x.shape[0],) or y.dtype.kind not in "fiub":
        raise DataFormatError(
            f"{p}: expected {_QG_LAYOUT}; found 'y' {y.dtype}{y.shape} beside 'X' {x.shape}"
        )
    return x[:limit], y[:limit]


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
            a label is not 0/1 or a PDG id not an integer.
    """
    max_jets = _optional_max("max_jets", max_jets)
    many = not isinstance(path, (str, os.PathLike))
    if many and (not isinstance(path, Iterable) or isinstance(path, bytes)):
        raise TypeError(f"path must be a file or a sequence of files, got {type(path).__name__}")
    paths = [_existing_file(p) for p in (path if many else [path])]
    if not paths:
        raise ValueError("path=[] is not allowed: expected a file or a non-empty list of files")
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    read: list[Path] = []
    remaining = max_jets
    for p in paths:
        if remaining == 0:
            break
        x, y = _read_qg_file(p, remaining)
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


# --------------------------------------------------------------------------- top tagging


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
    targets: dict[str, list[tuple[str, np.ndarray, int]]],
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
        DataFormatError: not HDF5, no pandas fixed-format ``/table``, a needed column is
            missing (named in the message), or a label is not 0/1.
    """
    max_jets = _optional_max("max_jets", max_jets)
    max_constituents = check_int("max_constituents", max_constituents, minimum=1)
    p = _existing_file(path)
    try:
        f = h5py.File(p, "r")
    except OSError as e:
        raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; h5py cannot open it: {e}") from e
    with f:
        if not isinstance(f.get("table"), h5py.Group):
            raise DataFormatError(f"{p}: expected {_TOP_LAYOUT}; found top-level keys {sorted(f)}")
        g = f["table"]
        try:
            where, rows_first, n_rows = _top_blocks(p, g)
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
            targets: dict[str, list[tuple[str, np.ndarray, int]]] = {}
            for name, dest, col in columns:
                block, j = where[name]
                targets.setdefault(block, []).append((dest, col, j))
            _read_top_columns(g, targets, rows_first, n)
        except (OSError, KeyError, TypeError) as e:
            raise DataFormatError(
                f"{p}: expected {_TOP_LAYOUT}; cannot read it: {type(e).__name__}: {e}"
            ) from e
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


# --------------------------------------------------------------------------- CSV


def _open_text(p: Path, errors: str = "strict") -> IO[str]:
    """``p`` opened as UTF-8 text; gzip files (by their magic bytes) are decompressed."""
    with open(p, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(p, "rt", encoding="utf-8-sig", errors=errors, newline="")
    return open(p, encoding="utf-8-sig", errors=errors, newline="")


def _bad_line(
    p: Path,
    header_lines: int,
    max_rows: int | None,
    check: Callable[[list[str]], str | None],
) -> tuple[int, str] | None:
    """The first data line (1-based number, complaint) that ``check`` rejects."""
    rows = 0
    with _open_text(p, errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            if lineno <= header_lines or not line.strip():
                continue  # np.loadtxt skips blank lines too
            problem = check(line.rstrip("\r\n").split(","))
            if problem:
                return lineno, problem
            rows += 1
            if max_rows is not None and rows >= max_rows:
                break
    return None


def _read_numeric_csv(
    p: Path,
    *,
    names: Sequence[str],
    header_lines: int,
    max_rows: int | None,
    converters: dict[int, Callable[[str], float]],
    layout: str,
) -> np.ndarray:
    """All columns of a CSV as float64 (n_rows, len(names)), string columns mapped by
    ``converters`` (NaN = invalid). A line that does not fit gets a DataFormatError naming
    its number."""

    def check(fields: list[str]) -> str | None:
        if len(fields) != len(names):
            return f"found {len(fields)} columns"
        for j, s in enumerate(fields):
            if j in converters:
                if math.isnan(converters[j](s)):
                    return f"column {j + 1} ({names[j]}) is {s.strip()!r}"
                continue
            try:
                float(s)
            except ValueError:
                return f"column {j + 1} ({names[j]}) is {s.strip()!r}, not a number"
        return None

    def fail(cause: Exception | None = None) -> DataFormatError:
        found = _bad_line(p, header_lines, max_rows, check)
        if found is None:
            return DataFormatError(f"{p}: expected {layout}; cannot parse it: {cause}")
        lineno, problem = found
        return DataFormatError(f"{p}: line {lineno}: {problem}; expected {layout}")

    try:
        with _open_text(p) as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(
                fh,
                dtype=np.float64,
                delimiter=",",
                comments=None,
                skiprows=header_lines,
                max_rows=max_rows,
                converters=converters or None,
                ndmin=2,
            )
    except (ValueError, EOFError, OSError, zlib.error) as e:
        if isinstance(e, (EOFError, gzip.BadGzipFile, zlib.error)):
            raise DataFormatError(f"{p}: expected {layout}; cannot decompress it: {e}") from e
        if isinstance(e, OSError):
            raise
        raise fail(e) from e
    if data.shape[0] == 0:
        raise DataFormatError(f"{p}: expected {layout}; found no data rows")
    if data.shape[1] != len(names):
        raise fail()
    if converters and np.isnan(data[:, list(converters)]).any():
        raise fail()
    return data


def load_uci_higgs(path: str | os.PathLike[str], *, max_rows: int | None = None) -> TabularEvents:
    """Read the UCI HIGGS data set (``HIGGS.csv``, or gzipped ``HIGGS.csv.gz``).

    One event per line, no header, 29 comma-separated numbers: the label (1.0 signal
    gg -> H -> WW -> l nu b b, 0.0 background tt), then the 28 features named in
    :data:`UCI_HIGGS_FEATURES` (21 low-level, 7 high-level; as published, already
    standardised by the authors). The file is unweighted: ``weight`` is all ones.

    Args:
        path: the CSV, plain or gzip-compressed (detected from its first bytes).
        max_rows: read at most the first this many events; None reads all (11 million).

    Returns:
        :class:`TabularEvents` with ``names = UCI_HIGGS_FEATURES``.

    Raises:
        FileNotFoundError: the file is missing.
        DataFormatError: a line without 29 numbers (the message gives its line number),
            a label other than 0/1, or a corrupt gzip stream.
    """
    max_rows = _optional_max("max_rows", max_rows)
    p = _existing_file(path)
    names = ("label", *UCI_HIGGS_FEATURES)
    data = _read_numeric_csv(
        p, names=names, header_lines=0, max_rows=max_rows, converters={}, layout=_UCI_LAYOUT
    )
    bad = (data[:, 0] != 0) & (data[:, 0] != 1)
    if np.any(bad):

        def check(fields: list[str]) -> str | None:
            return None if float(fields[0]) in (0.0, 1.0) else f"label is {fields[0]!r}"

        lineno, problem = _bad_line(p, 0, max_rows, check) or (int(np.argmax(bad)) + 1, "")
        raise DataFormatError(f"{p}: line {lineno}: {problem}, not 0 or 1; expected {_UCI_LAYOUT}")
    return TabularEvents(
        features=np.ascontiguousarray(data[:, 1:]),
        names=UCI_HIGGS_FEATURES,
        label=data[:, 0].astype(np.int8),
        weight=np.ones(len(data)),
        source=str(p),
    )


def load_atlas_higgs(path: str | os.PathLike[str], *, max_rows: int | None = None) -> TabularEvents:
    """Read the ATLAS Higgs ML challenge data (H -> tau tau against Z, tt and W).

    Accepts Kaggle's ``training.csv`` (``EventId``, the 30 features of
    :data:`ATLAS_HIGGS_FEATURES`, ``Weight``, ``Label``) and the CERN Open Data
    ``atlas-higgs-challenge-2014-v2.csv`` (the same plus ``KaggleSet``, ``KaggleWeight``),
    plain or gzipped. Columns are found by the header, in any order. Undefined features,
    written as -999.0 in the file (e.g. jet variables of events without jets), are
    returned as NaN. Kaggle's ``test.csv`` has no labels and is rejected: use the Open
    Data file, which labels all 818238 events.

    Args:
        path: the CSV.
        max_rows: read at most the first this many events; None reads all.

    Returns:
        :class:`TabularEvents` with ``names = ATLAS_HIGGS_FEATURES``, ``label`` 1 for
        ``'s'`` (signal), 0 for ``'b'``, ``weight`` the ``Weight`` column, ``event_id``,
        and ``kaggle_set`` / ``kaggle_weight`` when present.

    Raises:
        FileNotFoundError: the file is missing.
        DataFormatError: a missing or unknown header column (named), or a line that does
            not parse (its line number and column named).
    """
    max_rows = _optional_max("max_rows", max_rows)
    p = _existing_file(path)
    try:
        with _open_text(p) as fh:
            first = fh.readline()
    except (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as e:
        raise DataFormatError(f"{p}: expected {_ATLAS_LAYOUT}; cannot read it: {e}") from e
    header = [h.strip() for h in first.rstrip("\r\n").split(",")]
    required = ["EventId", *ATLAS_HIGGS_FEATURES, "Weight", "Label"]
    optional = ["KaggleSet", "KaggleWeight"]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown or len(set(header)) != len(header):
        found = []
        if missing:
            found.append(f"missing columns {missing}")
            if missing == ["Weight", "Label"]:
                found.append("(Kaggle's test.csv has no labels: use the CERN Open Data file)")
        if unknown:
            found.append(f"unknown columns {unknown}")
        if len(set(header)) != len(header):
            found.append("repeated columns")
        raise DataFormatError(f"{p}: expected {_ATLAS_LAYOUT}; {' '.join(found)}")
    col = {name: j for j, name in enumerate(header)}
    converters: dict[int, Callable[[str], float]] = {
        col["Label"]: lambda s: _ATLAS_LABELS.get(s.strip(), math.nan)
    }
    if "KaggleSet" in col:
        sets = {c: float(k) for k, c in enumerate(_KAGGLE_SETS)}
        converters[col["KaggleSet"]] = lambda s: sets.get(s.strip(), math.nan)
    data = _read_numeric_csv(
        p,
        names=header,
        header_lines=1,
        max_rows=max_rows,
        converters=converters,
        layout=_ATLAS_LAYOUT,
    )
    features = data[:, [col[c] for c in ATLAS_HIGGS_FEATURES]]
    features[features == -999.0] = np.nan
    kaggle_set = kaggle_weight = None
    if "KaggleSet" in col:
        kaggle_set = np.array(list(_KAGGLE_SETS))[data[:, col["KaggleSet"]].astype(np.intp)]
    if "KaggleWeight" in col:
        kaggle_weight = np.ascontiguousarray(data[:, col["KaggleWeight"]])
    return TabularEvents(
        features=features,
        names=ATLAS_HIGGS_FEATURES,
        label=data[:, col["Label"]].astype(np.int8),
        weight=np.ascontiguousarray(data[:, col["Weight"]]),
        source=str(p),
        event_id=data[:, col["EventId"]].astype(np.int64),
        kaggle_set=kaggle_set,
        kaggle_weight=kaggle_weight,
    )


# --------------------------------------------------------------------------- ROOT


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
