"""Tests for physml.data.loaders: small files in each public format, read back exactly,
and malformed files rejected with a message naming the file and the expected layout."""

from __future__ import annotations

import gzip
import math
import sys

import h5py
import numpy as np
import pytest

from formats import write_pandas_fixed
from physml.data.loaders import (
    ATLAS_HIGGS_FEATURES,
    UCI_HIGGS_FEATURES,
    DataFormatError,
    JetConstituents,
    JetFourMomenta,
    TabularEvents,
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


# --------------------------------------------------------------------------- energyflow


def qg_arrays(n_jets: int, width: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """energyflow-like X (pt, y, phi in [0, 2 pi), pdgid), zero-padded, and labels."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n_jets, width, 4))
    mult = rng.integers(1, width + 1, size=n_jets)
    for j, m in enumerate(mult):
        x[j, :m, 0] = np.sort(rng.exponential(20.0, m))[::-1] + 1e-3
        x[j, :m, 1] = rng.normal(0.0, 1.5, m)
        x[j, :m, 2] = rng.uniform(0.0, 2 * np.pi, m)
        x[j, :m, 3] = rng.choice([22, 211, -211, 130, 2212, -11, 13], m)
    return x, rng.integers(0, 2, n_jets).astype(np.float64)


def test_energyflow_round_trip(tmp_path):
    x, y = qg_arrays(40, 12, seed=1)
    path = tmp_path / "QG_jets.npz"
    np.savez_compressed(path, X=x, y=y)
    jets = load_energyflow_qg(path)
    assert isinstance(jets, JetConstituents) and len(jets) == 40
    assert jets.constituents.shape == (40, 12, 3) and jets.constituents.dtype == np.float64
    np.testing.assert_array_equal(jets.mask, x[..., 0] > 0)
    np.testing.assert_array_equal(jets.constituents[..., :2], x[..., :2])
    np.testing.assert_array_equal(jets.pid, x[..., 3].astype(np.int32))
    assert jets.label.dtype == np.int8
    np.testing.assert_array_equal(jets.label, y)
    # phi wrapped into [-pi, pi): unchanged below pi, shifted by 2 pi above
    phi, stored = jets.constituents[..., 2], x[..., 2]
    assert np.all((phi >= -np.pi) & (phi < np.pi))
    low = stored < np.pi
    np.testing.assert_array_equal(phi[low], stored[low])
    np.testing.assert_allclose(phi[~low], stored[~low] - 2 * np.pi, rtol=0, atol=1e-12)
    assert jets.source == (str(path),)


def test_energyflow_several_files_padded_and_limited(tmp_path):
    (x1, y1), (x2, y2) = qg_arrays(5, 4, seed=2), qg_arrays(6, 7, seed=3)
    paths = [tmp_path / "QG_jets.npz", tmp_path / "QG_jets_1.npz", tmp_path / "QG_jets_2.npz"]
    np.savez(paths[0], X=x1, y=y1)
    np.savez(paths[1], X=x2, y=y2)
    paths[2].write_bytes(b"not an npz")  # never opened: max_jets is reached before it
    jets = load_energyflow_qg(paths, max_jets=8)
    assert jets.constituents.shape == (8, 7, 3)
    np.testing.assert_array_equal(jets.constituents[:5, :4, 0], x1[..., 0])
    np.testing.assert_array_equal(jets.constituents[:5, 4:], 0.0)
    assert not jets.mask[:5, 4:].any()
    np.testing.assert_array_equal(jets.constituents[5:, :, 1], x2[:3, :, 1])
    np.testing.assert_array_equal(jets.label, np.concatenate([y1, y2[:3]]))
    assert jets.source == (str(paths[0]), str(paths[1]))
    assert len(load_energyflow_qg(paths[:2])) == 11


def test_energyflow_wrong_arrays_named(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3), b=np.ones(3))
    with pytest.raises(DataFormatError) as err:
        load_energyflow_qg(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "'X' (n_jets, n_particles, 4)" in msg and "'y' (n_jets,)" in msg
    assert "found arrays ['a', 'b']" in msg


@pytest.mark.parametrize(
    ("arrays", "found"),
    [
        ({"X": np.zeros((3, 5, 3)), "y": np.zeros(3)}, "found 'X' float64(3, 5, 3)"),
        ({"X": np.zeros((3, 5, 4)), "y": np.zeros(4)}, "found 'y' float64(4,)"),
        ({"X": np.zeros((3, 5, 4)), "y": np.array([0.0, 1.0, 2.0])}, "row 2 is"),
        ({"X": np.full((3, 5, 4), 0.5), "y": np.zeros(3)}, "pdgid"),
    ],
)
def test_energyflow_malformed_contents(tmp_path, arrays, found):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataFormatError, match=r"bad\.npz") as err:
        load_energyflow_qg(path)
    assert found in str(err.value)


def test_energyflow_never_unpickles(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, X=np.array([None, {"a": 1}], dtype=object), y=np.zeros(2))
    with pytest.raises(DataFormatError, match=r"pickled\.npz.*allow_pickle=False"):
        load_energyflow_qg(path)
    other = tmp_path / "notzip.npz"
    other.write_bytes(b"\x80\x04just some bytes")
    with pytest.raises(DataFormatError, match=r"notzip\.npz"):
        load_energyflow_qg(other)


def test_energyflow_single_npy_rejected(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, np.zeros((2, 3, 4)))
    with pytest.raises(DataFormatError, match=r"X\.npy.*single \.npy array"):
        load_energyflow_qg(path)


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
    import physml.data.loaders as loaders

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


# --------------------------------------------------------------------------- UCI HIGGS


def uci_rows(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 29))
    rows[:, 0] = rng.integers(0, 2, n)
    return rows


def test_uci_feature_names():
    assert len(UCI_HIGGS_FEATURES) == 28 and len(set(UCI_HIGGS_FEATURES)) == 28
    assert UCI_HIGGS_FEATURES[:6] == (
        "lepton_pT",
        "lepton_eta",
        "lepton_phi",
        "missing_energy_magnitude",
        "missing_energy_phi",
        "jet1pt",
    )
    assert UCI_HIGGS_FEATURES[20] == "jet4b-tag" and UCI_HIGGS_FEATURES[-1] == "m_wwbb"


@pytest.mark.parametrize("compressed", [False, True])
def test_uci_higgs_round_trip(tmp_path, compressed):
    rows = uci_rows(20, seed=9)
    path = tmp_path / ("HIGGS.csv.gz" if compressed else "HIGGS.csv")
    with gzip.open(path, "wt") if compressed else open(path, "w") as fh:
        np.savetxt(fh, rows, fmt="%.18e", delimiter=",")  # the published file's format
    events = load_uci_higgs(path)
    assert isinstance(events, TabularEvents) and len(events) == 20
    assert events.names == UCI_HIGGS_FEATURES
    np.testing.assert_array_equal(events.features, rows[:, 1:])
    assert events.label.dtype == np.int8
    np.testing.assert_array_equal(events.label, rows[:, 0])
    np.testing.assert_array_equal(events.weight, np.ones(20))
    assert events.event_id is None and events.kaggle_set is None
    np.testing.assert_array_equal(load_uci_higgs(path, max_rows=5).features, rows[:5, 1:])


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))


def test_uci_higgs_wrong_column_count_names_line(tmp_path):
    lines = [",".join(repr(float(v)) for v in row) for row in uci_rows(4, seed=10)]
    lines[2] = lines[2].rsplit(",", 1)[0]
    path = tmp_path / "HIGGS.csv"
    write_lines(path, lines)
    with pytest.raises(DataFormatError) as err:
        load_uci_higgs(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: line 3: found 28 columns")
    assert "29 comma-separated numbers" in msg
    # every line short: loadtxt succeeds with 28 columns, still reported at line 1
    write_lines(path, [line.rsplit(",", 1)[0] for line in lines])
    with pytest.raises(DataFormatError, match="line 1: found 28 columns"):
        load_uci_higgs(path)


def test_uci_higgs_bad_values_name_line(tmp_path):
    rows = uci_rows(4, seed=11)
    lines = [",".join(repr(float(v)) for v in row) for row in rows]
    path = tmp_path / "HIGGS.csv"
    write_lines(path, ["label," + ",".join(UCI_HIGGS_FEATURES), *lines])
    with pytest.raises(DataFormatError, match=r"line 1: column 1 \(label\) is 'label'"):
        load_uci_higgs(path)
    write_lines(path, [lines[0], "2.0" + lines[1][3:], *lines[2:]])
    with pytest.raises(DataFormatError, match=r"HIGGS\.csv: line 2: label is '2\.0', not 0 or 1"):
        load_uci_higgs(path)
    write_lines(path, [])
    with pytest.raises(DataFormatError, match="no data rows"):
        load_uci_higgs(path)
    bad_gz = tmp_path / "HIGGS.csv.gz"
    bad_gz.write_bytes(gzip.compress(b"1.0,2.0\n" * 100)[:30])
    with pytest.raises(DataFormatError, match=r"HIGGS\.csv\.gz"):
        load_uci_higgs(bad_gz)


# --------------------------------------------------------------------------- ATLAS Higgs


def atlas_table(n: int, seed: int, open_data: bool):
    rng = np.random.default_rng(seed)
    features = rng.normal(50.0, 20.0, (n, 30))
    features[:, ATLAS_HIGGS_FEATURES.index("PRI_jet_num")] = rng.integers(0, 4, n)
    features[rng.random((n, 30)) < 0.2] = -999.0
    header = ["EventId", *ATLAS_HIGGS_FEATURES, "Weight", "Label"]
    if open_data:
        header += ["KaggleSet", "KaggleWeight"]
    ids = 100000 + np.arange(n)
    weight = rng.exponential(1.0, n)
    label = rng.choice(["s", "b"], n)
    kset = rng.choice(list("tbvu"), n)
    kweight = weight * 2.5
    lines = [",".join(header)]
    for i in range(n):
        row = [
            str(ids[i]),
            *(repr(float(v)) for v in features[i]),
            repr(float(weight[i])),
            label[i],
        ]
        if open_data:
            row += [kset[i], repr(float(kweight[i]))]
        lines.append(",".join(row))
    return lines, ids, features, weight, label, kset, kweight


def test_atlas_higgs_kaggle_round_trip(tmp_path):
    lines, ids, features, weight, label, *_ = atlas_table(15, seed=12, open_data=False)
    path = tmp_path / "training.csv"
    write_lines(path, lines)
    events = load_atlas_higgs(path)
    assert events.names == ATLAS_HIGGS_FEATURES and events.features.shape == (15, 30)
    missing = features == -999.0
    assert missing.any()
    np.testing.assert_array_equal(np.isnan(events.features), missing)
    np.testing.assert_array_equal(events.features[~missing], features[~missing])
    np.testing.assert_array_equal(events.weight, weight)
    np.testing.assert_array_equal(events.label, (label == "s").astype(np.int8))
    assert events.label.dtype == np.int8 and events.event_id.dtype == np.int64
    np.testing.assert_array_equal(events.event_id, ids)
    assert events.kaggle_set is None and events.kaggle_weight is None
    assert len(load_atlas_higgs(path, max_rows=4)) == 4


def test_atlas_higgs_open_data_gzipped(tmp_path):
    lines, ids, features, weight, _, kset, kweight = atlas_table(12, 13, open_data=True)
    path = tmp_path / "atlas-higgs-challenge-2014-v2.csv.gz"
    path.write_bytes(gzip.compress("".join(line + "\n" for line in lines).encode()))
    events = load_atlas_higgs(path)
    np.testing.assert_array_equal(events.kaggle_set, kset)
    np.testing.assert_array_equal(events.kaggle_weight, kweight)
    np.testing.assert_array_equal(events.weight, weight)
    np.testing.assert_array_equal(events.event_id, ids)
    finite = features != -999.0
    np.testing.assert_array_equal(events.features[finite], features[finite])


def test_atlas_higgs_columns_in_other_order(tmp_path):
    lines, _, features, _, label, *_ = atlas_table(5, seed=14, open_data=False)
    cells = [line.split(",") for line in lines]
    order = [len(cells[0]) - 1, *range(len(cells[0]) - 1)[::-1]]  # Label first, then reversed
    write_lines(tmp_path / "t.csv", [",".join(row[j] for j in order) for row in cells])
    events = load_atlas_higgs(tmp_path / "t.csv")
    finite = features != -999.0
    np.testing.assert_array_equal(events.features[finite], features[finite])
    np.testing.assert_array_equal(events.label, (label == "s").astype(np.int8))


def test_atlas_higgs_malformed(tmp_path):
    lines, *_ = atlas_table(4, seed=15, open_data=False)
    path = tmp_path / "test.csv"
    test_csv = [line.rsplit(",", 2)[0] for line in lines]  # Kaggle's test.csv: no labels
    write_lines(path, test_csv)
    with pytest.raises(DataFormatError) as err:
        load_atlas_higgs(path)
    msg = str(err.value)
    assert str(path) in msg and "missing columns ['Weight', 'Label']" in msg
    assert "EventId, DER_mass_MMC, ..., PRI_jet_all_pt, Weight, Label" in msg
    assert "CERN Open Data" in msg

    write_lines(path, [lines[0] + ",Extra", *(line + ",1" for line in lines[1:])])
    with pytest.raises(DataFormatError, match=r"unknown columns \['Extra'\]"):
        load_atlas_higgs(path)

    bad_label = [*lines[:3], lines[3][:-1] + "x", *lines[4:]]
    write_lines(path, bad_label)
    with pytest.raises(DataFormatError, match=r"test\.csv: line 4: column 33 \(Label\) is 'x'"):
        load_atlas_higgs(path)

    short = [*lines[:2], lines[2].split(",", 1)[1], *lines[3:]]
    write_lines(path, short)
    with pytest.raises(DataFormatError, match=r"test\.csv: line 3: found 32 columns"):
        load_atlas_higgs(path)


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


def test_phi_wrap_keeps_in_range_values_exactly():
    from physml.data.loaders import _wrap_phi

    phi = np.array([-math.pi, -1.0, 0.0, 3.0, math.pi, 4.0, 2 * math.pi - 1e-9])
    wrapped = _wrap_phi(phi)
    assert np.all((wrapped >= -math.pi) & (wrapped < math.pi))
    np.testing.assert_array_equal(wrapped[:4], phi[:4])
    np.testing.assert_allclose(np.cos(wrapped), np.cos(phi), atol=1e-12)
