"""Event tables in CSV: UCI HIGGS (Baldi et al., arXiv:1402.4735) and the ATLAS Higgs ML
challenge (Kaggle and Open Data); plain or gzip-compressed."""

from __future__ import annotations

import gzip
import math
import os
import warnings
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from physml.data.loaders.records import (
    DataFormatError,
    TabularEvents,
    _existing_file,
    _optional_max,
)

__all__ = ["ATLAS_HIGGS_FEATURES", "UCI_HIGGS_FEATURES", "load_atlas_higgs", "load_uci_higgs"]

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
    ``converters`` (NaN = invalid). A line that does not fit, or holds a number that is
    not finite (``nan``, ``inf``), gets a DataFormatError naming its number."""

    def check(fields: list[str]) -> str | None:
        if len(fields) != len(names):
            return f"found {len(fields)} columns"
        for j, s in enumerate(fields):
            if j in converters:
                if math.isnan(converters[j](s)):
                    return f"column {j + 1} ({names[j]}) is {s.strip()!r}"
                continue
            try:
                value = float(s)
            except ValueError:
                return f"column {j + 1} ({names[j]}) is {s.strip()!r}, not a number"
            if not math.isfinite(value):
                return f"column {j + 1} ({names[j]}) is {s.strip()!r}, not a finite number"
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
    if not np.isfinite(data).all():
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
