"""The numpy Metropolis baseline of ``physml bench ising`` samples the Boltzmann weights.

Exact enumeration of the 4 x 4 periodic lattice (65 536 states) gives the energy
distribution; many independent chains, one sample each after burn-in, are a multinomial
sample of it, so a chi^2 test on the energy histogram is exact up to the burn-in bias.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from physml.bench.ising import numpy_metropolis
from physml.sim.statmech import ising

L = 4


def _bond_energies(spins: np.ndarray) -> np.ndarray:
    """H = -sum_<ij> s_i s_j per lattice, periodic, as integers."""
    s = spins.astype(np.int64)
    bonds = (s * np.roll(s, 1, axis=1)).sum(axis=(1, 2)) + (s * np.roll(s, 1, axis=2)).sum(
        axis=(1, 2)
    )
    return -bonds


def _exact_energy_distribution(temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Energy levels and their Boltzmann probabilities on the L x L torus, by enumeration."""
    states = np.array(list(itertools.product((-1, 1), repeat=L * L)), dtype=np.int8)
    energies = _bond_energies(states.reshape(-1, L, L))
    levels, degeneracy = np.unique(energies, return_counts=True)
    weights = degeneracy * np.exp(-(levels - levels.min()) / temperature)
    return levels, weights / weights.sum()


def _chains(temperature: float, n_chains: int) -> np.ndarray:
    """Energies of ``n_chains`` independent chains after 150 sweeps from random spins."""
    rng = np.random.default_rng(3)
    spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, L, L))
    numpy_metropolis(spins, temperature, 150, rng)
    return _bond_energies(spins)


def _histogram_p(energies: np.ndarray, temperature: float) -> float:
    """chi^2 p-value of the energies against the exact distribution at ``temperature``."""
    levels, p = _exact_energy_distribution(temperature)
    counts = np.array([(energies == e).sum() for e in levels])
    expected = p * len(energies)
    keep = expected >= 5  # the rare levels' counts pooled into one bin
    observed = np.append(counts[keep], counts[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    return float(stats.chisquare(observed, expected).pvalue)


@pytest.mark.parametrize("temperature", [1.8, 2.5, 4.0])
def test_numpy_metropolis_energy_histogram_matches_enumeration(temperature: float) -> None:
    n_chains = 10_000
    energies = _chains(temperature, n_chains)
    levels, _ = _exact_energy_distribution(temperature)
    assert np.isin(energies, levels).all()
    assert _histogram_p(energies, temperature) > 1e-3
    # and the mean energy per site agrees with physml's exact finite-lattice reference
    mean, error = energies.mean() / L**2, energies.std() / L**2 / np.sqrt(n_chains)
    assert abs(mean - ising.exact_energy(L, temperature)) < 4 * error


def test_the_histogram_test_rejects_a_temperature_four_percent_off() -> None:
    assert _histogram_p(_chains(2.6, 10_000), 2.5) < 1e-6
