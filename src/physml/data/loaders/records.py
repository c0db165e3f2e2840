"""What the loaders return, the error they raise and the checks they share.

Arrays follow the conventions of :mod:`physml.data.loaders`: GeV as stored, angles in radians,
zero-padded jets with a bool mask, labels as int8 with 1 = signal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physml.checks import check_int
from physml.config import ConfigError

__all__ = [
    "DataFormatError",
    "JetConstituents",
    "JetFourMomenta",
    "TabularEvents",
    "require_both_classes",
]


class DataFormatError(ConfigError):
    """A file does not match its format; the message names the file, what was expected
    and what was found. A user error (a :class:`~physml.config.ConfigError`, so a
    ValueError): the CLI prints it as one line."""


def require_both_classes(label: np.ndarray, source: str) -> None:
    """Refuse labels that do not hold both classes 0 and 1 (a classifier needs both).

    Args:
        label: 0/1 labels, shape (n,).
        source: the file(s) they come from, for the message.

    Raises:
        DataFormatError: naming ``source``, the one class found and how many rows.
    """
    present = np.unique(label)
    if present.size < 2:
        only = "no rows" if present.size == 0 else f"only label {present[0].item()!r}"
        raise DataFormatError(
            f"{source}: {only} in {len(label)} rows; a classifier needs both classes 0 and 1"
        )


def _finite(values: np.ndarray, p: Path, what: str) -> None:
    """Refuse NaN or +-inf anywhere in ``values`` (rows first), naming the first row."""
    bad = ~np.isfinite(values)
    if np.any(bad):
        where = np.argwhere(bad)[0]
        raise DataFormatError(
            f"{p}: {what} of row {int(where[0])} is {values[tuple(where)].item()!r}: "
            "expected finite numbers"
        )


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
