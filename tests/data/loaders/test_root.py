"""Tests for physml.data.loaders.root: ROOT trees through uproot."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from physml.data.loaders import (
    DataFormatError,
    load_root,
)

# --------------------------------------------------------------------------- ROOT


def test_root_round_trip(tmp_path):
    uproot = pytest.importorskip("uproot")
    ak = pytest.importorskip("awkward")
    rng = np.random.default_rng(16)
    n = 6
    x = rng.normal(size=n)
    nhit = np.array([2, 0, 3, 1, 4, 0], dtype=np.int32)
    pts = [rng.exponential(10.0, k).astype(np.float32) for k in nhit]
    v3 = rng.normal(size=(n, 3))
    path = tmp_path / "events.root"
    with uproot.recreate(path) as f:
        tree = f.mktree(
            "events",
            {"x": np.float64, "nhit": np.int32, "pts": "var * float32", "v3": ("f8", (3,))},
        )
        tree.extend({"x": x, "nhit": nhit, "pts": ak.Array([p.tolist() for p in pts]), "v3": v3})

    out = load_root(path, "events", ["x", "pts", "v3", "nhit"])
    assert list(out) == ["x", "pts", "pts_mask", "v3", "nhit"]
    assert all(isinstance(a, np.ndarray) for a in out.values())
    np.testing.assert_array_equal(out["x"], x)
    np.testing.assert_array_equal(out["v3"], v3)
    assert out["nhit"].dtype == np.int32
    np.testing.assert_array_equal(out["nhit"], nhit)
    assert out["pts"].shape == (n, 4) and out["pts"].dtype == np.float32
    np.testing.assert_array_equal(out["pts_mask"].sum(axis=1), nhit)
    for j, p in enumerate(pts):
        np.testing.assert_array_equal(out["pts"][j, : len(p)], p)
        np.testing.assert_array_equal(out["pts"][j, len(p) :], 0.0)

    cut = load_root(path, "events", "pts", max_entries=5, max_length=2)
    assert cut["pts"].shape == (5, 2)
    np.testing.assert_array_equal(cut["pts_mask"].sum(axis=1), np.minimum(nhit[:5], 2))
    np.testing.assert_array_equal(cut["pts"][2], pts[2][:2])
    wide = load_root(path, "events", "pts", max_length=6)
    assert wide["pts"].shape == (n, 6) and not wide["pts_mask"][:, 4:].any()


def test_root_rntuple(tmp_path):
    uproot = pytest.importorskip("uproot")
    path = tmp_path / "nt.root"
    with uproot.recreate(path) as f:
        f["nt"] = {"e": np.arange(4.0)}  # uproot >= 5.6 writes a dict as an RNTuple
    np.testing.assert_array_equal(load_root(path, "nt", "e")["e"], np.arange(4.0))


def test_root_malformed(tmp_path):
    uproot = pytest.importorskip("uproot")
    path = tmp_path / "events.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"x": np.float64}).extend({"x": np.arange(3.0)})
        f["h"] = np.histogram([1.0, 2.0])
    with pytest.raises(DataFormatError) as err:
        load_root(path, "events", ["x", "y"])
    assert str(path) in str(err.value) and "no branches ['y']" in str(err.value)
    assert "found ['x']" in str(err.value)
    with pytest.raises(DataFormatError, match=r"events\.root.*named 'Events'; found \['events'\]"):
        load_root(path, "Events", "x")
    with pytest.raises(DataFormatError, match="named 'h'"):
        load_root(path, "h", "x")
    text = tmp_path / "text.root"
    text.write_text("not a ROOT file at all, just text")
    with pytest.raises(DataFormatError, match=r"text\.root: expected a ROOT file"):
        load_root(text, "events", "x")
    with pytest.raises(ValueError, match="branches"):
        load_root(path, "events", [])
    with pytest.raises(ValueError, match="x_mask"):
        load_root(path, "events", ["x", "x_mask"])


def test_root_without_uproot_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "events.root"
    path.write_bytes(b"root")
    monkeypatch.setitem(sys.modules, "uproot", None)  # import uproot -> ImportError
    with pytest.raises(ImportError, match=r"physml\[hep\]"):
        load_root(path, "events", "x")
