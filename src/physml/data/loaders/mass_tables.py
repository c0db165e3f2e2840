"""Nuclear mass tables shipped by the ``masstable`` package (no download, no pandas).

``masstable`` (PyPI) ships plain-text tables of mass excesses in MeV, one nucleus a line
(``Z N M``): the Atomic Mass Evaluations AME1995, AME2003 and AME2012 (measured masses
only; the ``...all`` files add the evaluators' extrapolations) and theoretical tables
(FRDM95, HFB14, HFB26, DUZU, WS32010, KTUY05, ETFSI12, ...). Its own ``Table`` class
needs pandas < 3, so physml reads the files directly: :func:`load_mass_table` returns a
dict from (Z, N) to the mass excess. Install with ``pip install -e ".[nuclear]"``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from physml.config import ConfigError

__all__ = ["MASS_TABLE_EXTRA", "available_mass_tables", "load_mass_table", "mass_table_dir"]

MASS_TABLE_EXTRA = "nuclear"


def mass_table_dir() -> Path:
    """The data folder of the installed ``masstable`` package (refused when missing)."""
    spec = importlib.util.find_spec("masstable")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the masstable package is not installed: pip install -e "
            f'".[{MASS_TABLE_EXTRA}]" (it ships the AME and model mass tables)'
        )
    return Path(spec.origin).parent / "data"


def available_mass_tables() -> list[str]:
    """Names of the tables the installed package ships (AME2003, FRDM95, ...)."""
    return sorted(p.stem for p in mass_table_dir().glob("*.txt"))


def load_mass_table(name: str) -> dict[tuple[int, int], float]:
    """Mass excesses in MeV by (Z, N) of table ``name`` (e.g. "AME2003", "HFB26")."""
    path = mass_table_dir() / f"{name}.txt"
    if not path.is_file():
        raise ConfigError(
            f"mass table {name!r} is not shipped by masstable; available: "
            + ", ".join(available_mass_tables())
        )
    tokens = path.read_text().split()  # some tables use CR line ends
    if tokens[:3] != ["Z", "N", "M"] or (len(tokens) - 3) % 3:
        raise ConfigError(f"{path}: expected a 'Z N M' table of whitespace-separated columns")
    values = tokens[3:]
    return {
        (int(z), int(n)): float(m)
        for z, n, m in zip(values[0::3], values[1::3], values[2::3], strict=True)
    }
