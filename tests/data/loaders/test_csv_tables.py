"""Tests for physml.data.loaders.csv_tables: UCI and ATLAS Higgs CSV files read back exactly,
malformed ones rejected naming the file and the line."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from physml.data.loaders import (
    ATLAS_HIGGS_FEATURES,
    UCI_HIGGS_FEATURES,
    DataFormatError,
    TabularEvents,
    load_atlas_higgs,
    load_uci_higgs,
)

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


def test_non_finite_numbers_name_their_line(tmp_path):
    """NaN weights and infinite features are refused, at their line (ATLAS -999 stays NaN)."""
    lines, *_ = atlas_table(4, seed=16, open_data=False)
    path = tmp_path / "training.csv"
    nan_weight = lines[2].split(",")
    nan_weight[-2] = "nan"
    write_lines(path, [*lines[:2], ",".join(nan_weight), *lines[3:]])
    with pytest.raises(
        DataFormatError, match=r"line 3: column 32 \(Weight\) is 'nan', not a finite"
    ):
        load_atlas_higgs(path)
    rows = [",".join(repr(float(v)) for v in row) for row in uci_rows(3, seed=17)]
    rows[1] = rows[1].replace(rows[1].split(",")[5], "inf", 1)
    write_lines(path, rows)
    with pytest.raises(DataFormatError, match=r"line 2: column 6 \(missing_energy_phi\) is 'inf'"):
        load_uci_higgs(path)
