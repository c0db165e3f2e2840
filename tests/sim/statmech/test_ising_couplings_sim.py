"""physml.sim.statmech.ising_couplings (named apart from the task's test): random Ising
states and energies against explicit sums; the gauge freedom of J."""

from __future__ import annotations

import numpy as np
import pytest

from physml.scratch.linear import ols_svd
from physml.sim.statmech import ising_couplings as sim


def test_chain_energy_is_the_nearest_neighbour_sum() -> None:
    states = sim.random_states(50, 7, seed=1)
    expected = -np.sum(states * np.roll(states, -1, axis=1), axis=1)
    np.testing.assert_array_equal(sim.energies(states, sim.chain_couplings(7)), expected)
    np.testing.assert_allclose(sim.pair_features(states) @ sim.chain_couplings(7).ravel(), expected)


def test_square_energy_is_the_nearest_neighbour_sum() -> None:
    side = 4
    states = sim.random_states(30, side * side, seed=2)
    grid = states.reshape(-1, side, side)
    right = grid * np.roll(grid, -1, axis=2)
    down = grid * np.roll(grid, -1, axis=1)
    expected = 0.5 * (right.sum(axis=(1, 2)) + down.sum(axis=(1, 2)))
    J = sim.square_couplings(side, 0.5)
    np.testing.assert_allclose(sim.energies(states, J), expected, atol=1e-12)
    assert sim.bond_mask(J).sum() == 2 * side * side  # two bonds per site
    np.testing.assert_allclose((J + J.T).sum(axis=0), 4 * 0.5)  # four neighbours each


def test_ground_states_and_states() -> None:
    J = sim.chain_couplings(10)
    assert sim.energies(np.ones((1, 10)), J)[0] == -10
    staggered = np.array([[(-1.0) ** i for i in range(10)]])
    assert sim.energies(staggered, J)[0] == 10
    states = sim.random_states(4000, 10, seed=3)
    assert set(np.unique(states)) == {-1.0, 1.0}
    assert abs(states.mean()) < 4 / np.sqrt(states.size)


def test_antisymmetric_changes_of_J_are_invisible() -> None:
    rng = np.random.default_rng(4)
    J = sim.chain_couplings(6)
    A = rng.normal(size=(6, 6))
    states = sim.random_states(20, 6, seed=5)
    np.testing.assert_allclose(sim.energies(states, J + A - A.T), sim.energies(states, J))
    np.testing.assert_allclose(
        sim.pair_couplings((J + A - A.T).ravel()), sim.pair_couplings(J.ravel()), atol=1e-12
    )
    assert sim.pair_couplings(J.ravel()).shape == (15,)


def test_least_squares_on_enough_states_recovers_the_pair_couplings() -> None:
    L = 6  # 15 pairs + 1 constant: 16 distinct features
    states = sim.random_states(400, L, seed=6)
    J = sim.chain_couplings(L, J=-0.7)
    beta = ols_svd(sim.pair_features(states), sim.energies(states, J))
    np.testing.assert_allclose(sim.pair_couplings(beta), sim.pair_couplings(J.ravel()), atol=1e-10)
    # minimum norm: the symmetric split J_jk = J_kj = K / 2 (and the constant spread evenly)
    matrix = beta.reshape(L, L)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-10)


def test_refusals() -> None:
    with pytest.raises(ValueError, match="n_sites=2"):
        sim.chain_couplings(2)
    with pytest.raises(ValueError, match="side=2"):
        sim.square_couplings(2)
    with pytest.raises(ValueError, match="not N\\^2"):
        sim.pair_couplings(np.zeros(5))


def test_doctests() -> None:
    import doctest

    result = doctest.testmod(sim)
    assert result.attempted > 0 and result.failed == 0
