"""Checks every loader of physml.data.loaders shares: missing files and limit arguments."""

from __future__ import annotations

import pytest

from physml.data.loaders import (
    load_atlas_higgs,
    load_energyflow_qg,
    load_root,
    load_top_tagging,
    load_uci_higgs,
)

# --------------------------------------------------------------------------- all loaders

LOADERS = {
    "qg": lambda p: load_energyflow_qg(p),
    "top": lambda p: load_top_tagging(p),
    "uci": lambda p: load_uci_higgs(p),
    "atlas": lambda p: load_atlas_higgs(p),
    "root": lambda p: load_root(p, "events", ["x"]),
}


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_missing_file_is_named(tmp_path, name):
    path = tmp_path / "nope.dat"
    with pytest.raises(FileNotFoundError, match=r"nope\.dat"):
        LOADERS[name](path)


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda p, v: load_energyflow_qg(p, max_jets=v), "max_jets"),
        (lambda p, v: load_top_tagging(p, max_jets=v), "max_jets"),
        (lambda p, v: load_top_tagging(p, max_constituents=v), "max_constituents"),
        (lambda p, v: load_uci_higgs(p, max_rows=v), "max_rows"),
        (lambda p, v: load_atlas_higgs(p, max_rows=v), "max_rows"),
        (lambda p, v: load_root(p, "t", "x", max_entries=v), "max_entries"),
        (lambda p, v: load_root(p, "t", "x", max_length=v), "max_length"),
    ],
)
@pytest.mark.parametrize("value", [0, -1, 2.0, True])
def test_max_arguments_are_checked(tmp_path, call, arg, value):
    with pytest.raises(ValueError, match=rf"{arg}={value!r} is not allowed"):
        call(tmp_path / "any", value)
