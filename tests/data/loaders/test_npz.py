"""Tests for physml.data.loaders.npz: energyflow quark/gluon NPZ files read back exactly,
malformed ones rejected naming the file and the layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.data.loaders import (
    DataFormatError,
    JetConstituents,
    load_energyflow_qg,
    read_energyflow_qg_labels,
    require_both_classes,
)

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
    np.savez(path, X=np.zeros((2, 3, 4)), y=np.array([None, {"a": 1}], dtype=object))
    with pytest.raises(DataFormatError, match=r"pickled\.npz.*allow_pickle=False"):
        load_energyflow_qg(path)
    objects = tmp_path / "objects.npz"  # refused from its header, before any unpickling
    np.savez(objects, X=np.array([None, {"a": 1}], dtype=object), y=np.zeros(2))
    with pytest.raises(DataFormatError, match=r"objects\.npz.*found 'X' object"):
        load_energyflow_qg(objects)
    other = tmp_path / "notzip.npz"
    other.write_bytes(b"\x80\x04just some bytes")
    with pytest.raises(DataFormatError, match=r"notzip\.npz"):
        load_energyflow_qg(other)


def test_energyflow_single_npy_rejected(tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, np.zeros((2, 3, 4)))
    with pytest.raises(DataFormatError, match=r"X\.npy.*single \.npy array"):
        load_energyflow_qg(path)


def test_phi_wrap_keeps_in_range_values_exactly():
    from physml.data.loaders.npz import _wrap_phi

    phi = np.array([-math.pi, -1.0, 0.0, 3.0, math.pi, 4.0, 2 * math.pi - 1e-9])
    wrapped = _wrap_phi(phi)
    assert np.all((wrapped >= -math.pi) & (wrapped < math.pi))
    np.testing.assert_array_equal(wrapped[:4], phi[:4])
    np.testing.assert_allclose(np.cos(wrapped), np.cos(phi), atol=1e-12)


def test_labels_read_without_the_jets_and_non_finite_jets_refused(tmp_path):
    x = np.zeros((6, 2, 4))
    x[:, 0, :3] = [100.0, 0.1, 0.2]
    path = tmp_path / "QG_jets.npz"
    np.savez(path, X=x, y=np.array([1, 0, 1, 1, 0, 0.0]))
    np.testing.assert_array_equal(read_energyflow_qg_labels(path, max_jets=4), [1, 0, 1, 1])
    assert read_energyflow_qg_labels(path).dtype == np.int8
    x[4, 0, 1] = np.inf
    np.savez(path, X=x, y=np.ones(6))
    read_energyflow_qg_labels(path)  # the labels alone are fine ...
    with pytest.raises(
        DataFormatError, match=r"QG_jets\.npz: 'X' \(pt, rapidity, phi\) of row 4 is inf"
    ):
        load_energyflow_qg(path)  # ... the jets are not
    with pytest.raises(DataFormatError, match=r"only label 1 in 6 rows; a classifier needs both"):
        require_both_classes(read_energyflow_qg_labels(path), str(path))
    np.savez(path, X=np.zeros((0, 2, 4)), y=np.zeros(0))
    with pytest.raises(DataFormatError, match="found no jets"):
        read_energyflow_qg_labels(path)
