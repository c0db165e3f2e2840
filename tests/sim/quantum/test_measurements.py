"""Measurement records against Born probabilities, basis rotations against dense
matrices, and the exact observables against closed forms (GHZ, W, product states)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.sim.quantum import measurements as m
from physml.sim.quantum import spins
from physml.testing import assert_samples_match


def random_state(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    return psi / np.linalg.norm(psi)


@pytest.mark.parametrize("basis", ["ZZZ", "XZY", "YYX", "XXX"])
def test_rotation_matches_dense_kronecker_product(basis: str) -> None:
    psi = random_state(3, 1)
    # dense U_b built here independently: site 0 is the last Kronecker factor
    single = {"Z": np.eye(2), "X": np.array([[1, 1], [1, -1]]) / math.sqrt(2)}
    single["Y"] = single["X"] @ np.diag([1, -1j])  # H S^dag
    u = np.kron(np.kron(single[basis[2]], single[basis[1]]), single[basis[0]])
    np.testing.assert_allclose(m.rotate(psi, basis), u @ psi, atol=1e-13)
    np.testing.assert_allclose(m.basis_unitary(basis), u, atol=1e-13)
    batch = m.rotate_all(psi, m.site_rotations([basis, "ZZZ"]))
    np.testing.assert_allclose(batch[0], u @ psi, atol=1e-13)
    np.testing.assert_allclose(batch[1], psi, atol=1e-13)


def test_outcome_zero_is_the_plus_one_eigenvector_of_each_pauli() -> None:
    plus_x = np.array([1, 1]) / math.sqrt(2)
    plus_y = np.array([1, 1j]) / math.sqrt(2)
    assert m.born_probabilities(plus_x, "X")[0] == pytest.approx(1.0)
    assert m.born_probabilities(plus_y, "Y")[0] == pytest.approx(1.0)
    assert m.born_probabilities(plus_y, "X")[0] == pytest.approx(0.5)


def test_record_frequencies_follow_born_probabilities() -> None:
    _, psi = spins.exact_ground_state(spins.heisenberg(4, marshall=False))
    bases = ["ZZZZ", "XYZX"]

    def sampler(batch: int) -> np.ndarray:
        rng = np.random.default_rng(batch)
        counts = m.measurement_records(psi, bases, 4000, seed=rng)[1]
        return np.repeat(np.arange(16), counts)

    assert_samples_match(sampler, m.born_probabilities(psi, bases[1]))
    counts = m.measurement_records(psi, bases, 321, seed=np.random.default_rng(0))
    assert counts.shape == (2, 16) and np.all(counts.sum(1) == 321)


def test_entropies_and_correlations_of_ghz_and_w() -> None:
    ghz, w = m.ghz_state(6), m.w_state(4)
    assert m.entanglement_entropy(ghz, 6) == pytest.approx(math.log(2), abs=1e-12)
    assert m.entanglement_entropy(np.outer(ghz, ghz.conj()), 6) == pytest.approx(math.log(2))
    # W of 4 spins, half chain: Schmidt weights 1/2, 1/2
    assert m.entanglement_entropy(w, 4) == pytest.approx(math.log(2), abs=1e-12)
    assert m.correlation(ghz, "Z", 0, 3) == pytest.approx(1.0)
    assert m.correlation(ghz, "X", 0, 3) == pytest.approx(0.0, abs=1e-14)
    assert m.correlation(w, "Z", 0, 1) == pytest.approx(0.0, abs=1e-14)  # (4 - 2*2) / 4
    assert m.correlation(w, "X", 0, 1) == pytest.approx(0.5)  # 2 / L
    product = np.zeros(8, complex)
    product[0] = 1
    assert m.entanglement_entropy(product, 3) == pytest.approx(0.0, abs=1e-12)


def test_bases_and_their_refusals() -> None:
    assert m.local_pauli_bases(3) == ["ZZZ", "XXZ", "XYZ", "ZXX", "ZXY"]
    for bad in ["ZZ", "ZZA", "zzz"]:
        with pytest.raises(ValueError, match="expected 3 letters"):
            m.check_basis(bad, 3)
