"""Tests for physml.data.loaders.hdf5: top-tagging HDF5 files read back exactly, malformed
ones rejected naming the file and the layout."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from formats import write_pandas_fixed
from physml.data.loaders import (
    DataFormatError,
    JetFourMomenta,
    load_top_tagging,
    read_top_tagging_labels,
)

# --------------------------------------------------------------------------- top tagging


def top_columns(n_jets: int, n_const: int, seed: int):
    """Float and int blocks of a top-tagging frame, plus the arrays they encode."""
    rng = np.random.default_rng(seed)
    p4 = np.zeros((n_jets, n_const, 4), dtype=np.float32)
    mult = rng.integers(1, n_const + 1, size=n_jets)
    for j, m in enumerate(mult):
        p = rng.normal(0.0, 50.0, (m, 3))
        p4[j, :m, 1:] = p
        p4[j, :m, 0] = np.linalg.norm(p, axis=1) + 0.1
    label = rng.integers(0, 2, n_jets)
    truth = (rng.normal(0.0, 300.0, (n_jets, 4)) * label[:, None]).astype(np.float32)
    floats = {}
    for i in range(n_const):
        for q, name in enumerate(("E", "PX", "PY", "PZ")):
            floats[f"{name}_{i}"] = p4[:, i, q]
    for q, name in enumerate(("truthE", "truthPX", "truthPY", "truthPZ")):
        floats[name] = truth[:, q]
    ints = {"ttv": np.full(n_jets, 2, dtype=np.int64), "is_signal_new": label.astype(np.int64)}
    return floats, ints, p4, truth, label


def test_top_tagging_round_trip(tmp_path):
    floats, ints, p4, truth, label = top_columns(7, 5, seed=4)
    path = tmp_path / "val.h5"
    write_pandas_fixed(path, [floats, ints])
    jets = load_top_tagging(path)
    assert isinstance(jets, JetFourMomenta) and len(jets) == 7
    assert jets.constituents4.shape == (7, 5, 4) and jets.constituents4.dtype == np.float64
    np.testing.assert_array_equal(jets.constituents4, p4.astype(np.float64))
    np.testing.assert_array_equal(jets.mask, p4[..., 0] > 0)
    assert jets.label.dtype == np.int8 and jets.ttv.dtype == np.int8
    np.testing.assert_array_equal(jets.label, label)
    np.testing.assert_array_equal(jets.ttv, 2)
    np.testing.assert_array_equal(jets.truth4, truth)
    assert jets.source == str(path)


def test_top_tagging_columns_found_by_name(tmp_path):
    floats, ints, p4, _, label = top_columns(6, 4, seed=5)
    names = list(floats)[::-1]  # reversed order, the int columns inside a float64 block
    shuffled = {n: floats[n] for n in names[:7]}
    mixed = {**{n: floats[n] for n in names[7:]}, "is_signal_new": ints["is_signal_new"] * 1.0}
    path = tmp_path / "test.h5"
    write_pandas_fixed(path, [shuffled, {k: v.astype(np.float64) for k, v in mixed.items()}])
    jets = load_top_tagging(path, max_jets=4, max_constituents=3)
    np.testing.assert_array_equal(jets.constituents4, p4[:4, :3])
    np.testing.assert_array_equal(jets.label, label[:4])
    assert jets.ttv is None


def test_top_tagging_rows_are_read_in_chunks(tmp_path, monkeypatch):
    import physml.data.loaders.hdf5 as loaders

    monkeypatch.setattr(loaders, "_READ_BYTES", 64)  # one or two rows per read
    floats, ints, p4, _, label = top_columns(9, 3, seed=6)
    path = tmp_path / "train.h5"
    write_pandas_fixed(path, [floats, ints])
    jets = load_top_tagging(path, max_jets=8)
    np.testing.assert_array_equal(jets.constituents4, p4[:8])
    np.testing.assert_array_equal(jets.label, label[:8])


def test_top_tagging_missing_column_named(tmp_path):
    floats, ints, *_ = top_columns(3, 3, seed=7)
    del floats["PZ_1"]
    path = tmp_path / "broken.h5"
    write_pandas_fixed(path, [floats, ints])
    with pytest.raises(DataFormatError) as err:
        load_top_tagging(path)
    msg = str(err.value)
    assert str(path) in msg and "missing columns 'PZ_1'" in msg
    assert "E_i, PX_i, PY_i, PZ_i" in msg and "is_signal_new" in msg
    # cutting the constituents before the gap avoids it
    assert load_top_tagging(path, max_constituents=1).constituents4.shape == (3, 1, 4)
    del ints["is_signal_new"]
    write_pandas_fixed(path, [floats, ints])
    with pytest.raises(DataFormatError, match="missing columns 'is_signal_new'"):
        load_top_tagging(path, max_constituents=1)


def test_top_tagging_bad_label_and_wrong_files(tmp_path):
    floats, ints, *_ = top_columns(3, 2, seed=8)
    ints["is_signal_new"][1] = 3
    path = tmp_path / "labels.h5"
    write_pandas_fixed(path, [floats, ints])
    with pytest.raises(DataFormatError, match=r"labels\.h5.*is_signal_new of row 1"):
        load_top_tagging(path)

    other = tmp_path / "other.h5"
    write_pandas_fixed(other, [floats, ints], key="jets")
    with pytest.raises(DataFormatError, match=r"other\.h5.*found top-level keys \['jets'\]"):
        load_top_tagging(other)

    table_format = tmp_path / "table.h5"
    with h5py.File(table_format, "w") as f:
        f.create_group("table").create_dataset("table", data=np.zeros(3))
    with pytest.raises(DataFormatError, match=r"table\.h5.*format='fixed'"):
        load_top_tagging(table_format)

    text = tmp_path / "text.h5"
    text.write_text("E_0,PX_0\n")
    with pytest.raises(DataFormatError, match=r"text\.h5.*h5py cannot open it"):
        load_top_tagging(text)


def test_top_tagging_labels_dtypes_groups_and_non_finite(tmp_path):
    floats, ints, _, _, label = top_columns(6, 3, seed=8)
    path = tmp_path / "val.h5"
    write_pandas_fixed(path, [floats, ints])
    np.testing.assert_array_equal(read_top_tagging_labels(path), label)
    np.testing.assert_array_equal(read_top_tagging_labels(path, max_jets=2), label[:2])
    with h5py.File(path, "a") as f:
        f["table/block0_values"][3, 1] = np.nan
    with pytest.raises(
        DataFormatError, match=r"val\.h5: the constituent four-momenta .* row 3 is nan"
    ):
        load_top_tagging(path)
    with h5py.File(path, "a") as f:
        shape = f["table/block0_values"].shape
        del f["table/block0_values"]
        f["table"].create_group("block0_values")
    with pytest.raises(DataFormatError, match=r"'/table/block0_values' is a group, not numbers"):
        read_top_tagging_labels(path)
    with h5py.File(path, "a") as f:
        del f["table/block0_values"]
        f["table"].create_dataset("block0_values", data=np.full(shape, b"x", dtype="S1"))
    with pytest.raises(DataFormatError, match=r"'/table/block0_values' is dtype \|S1, not numbers"):
        load_top_tagging(path)
    with h5py.File(path, "w") as f:
        f.create_dataset("table", data=np.zeros(3))
    with pytest.raises(DataFormatError, match="'/table' is a dataset, not a group"):
        read_top_tagging_labels(path)
