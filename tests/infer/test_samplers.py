"""The VMC samplers draw from |psi|^2: chi-squared against enumeration, exact moments."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from physml.infer.vmc import ContinuousMetropolis, SpinMetropolis
from physml.sim.quantum.spins import chain_edges
from physml.testing import assert_samples_match


def _random_log_psi(n_sites: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(n_sites, n_sites, generator=g, dtype=torch.float64) * 0.4
    h = torch.randn(n_sites, generator=g, dtype=torch.float64) * 0.3

    def log_psi(s: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.einsum("bi,ij,bj->b", s, w, s) + s @ h

    return log_psi


def _state_index(configs: torch.Tensor) -> torch.Tensor:
    """Index of each configuration in the enumeration below: bit i set for s_i = -1."""
    n_sites = configs.shape[-1]
    bits = (configs.reshape(-1, n_sites) < 0).to(torch.long)
    return (bits * (2 ** torch.arange(n_sites))).sum(1)


def _exact_probabilities(log_psi, n_sites: int, magnetization: int | None = None) -> np.ndarray:
    states = torch.tensor(list(itertools.product([1.0, -1.0], repeat=n_sites)), dtype=torch.float64)
    states = states.flip(1)  # bit i of the index <-> site i
    weights = torch.exp(2 * log_psi(states))
    if magnetization is not None:
        weights = weights * (states.sum(1) == magnetization)
    return (weights / weights.sum()).numpy()


@pytest.mark.parametrize("move", ["flip", "exchange"])
def test_spin_metropolis_samples_psi_squared(move: str) -> None:
    n_sites = 6
    log_psi = _random_log_psi(n_sites, seed=3)
    sampler = SpinMetropolis(
        n_sites, n_chains=64, move=move, edges=chain_edges(n_sites), seed=7, sweeps_per_sample=8
    )
    samples = sampler.sample(log_psi, 64 * 200)
    expected = _exact_probabilities(log_psi, n_sites, 0 if move == "exchange" else None)
    # four batches of 16 independent chains; samples 8 sweeps apart are nearly independent
    # for 6 spins: a loose alpha. Exchange moves never leave the magnetisation sector (a
    # sample of probability 0 fails at once).
    batches = samples.configs.chunk(4, dim=1)
    assert_samples_match(batches, expected, to_index=_state_index, alpha=1e-4)
    assert 0.05 < samples.acceptance <= 1.0


def test_spin_metropolis_is_deterministic_and_resumable() -> None:
    log_psi = _random_log_psi(5, seed=1)
    a = SpinMetropolis(5, n_chains=8, seed=11)
    b = SpinMetropolis(5, n_chains=8, seed=11)
    first = a.sample(log_psi, 16)
    assert torch.equal(first.configs, b.sample(log_psi, 16).configs)
    state = a.state_dict()
    after = a.sample(log_psi, 16).configs
    b.load_state_dict(state)
    assert torch.equal(after, b.sample(log_psi, 16).configs)


def test_continuous_metropolis_resumes_bit_for_bit_with_its_tuned_step() -> None:
    # the tuned step is kept in float64: a float32 copy moved the resumed walkers differently
    def log_psi(x: torch.Tensor) -> torch.Tensor:
        return -0.35 * (x**2).sum((1, 2))

    a = ContinuousMetropolis(2, 2, n_chains=8, langevin=False, n_burn_in=30, seed=4)
    b = ContinuousMetropolis(2, 2, n_chains=8, langevin=False, n_burn_in=30, seed=0)
    a.sample(log_psi, 8)
    b.load_state_dict(a.state_dict())
    assert b.step == a.step
    assert torch.equal(a.sample(log_psi, 32).configs, b.sample(log_psi, 32).configs)


@pytest.mark.parametrize("langevin", [False, True])
def test_continuous_metropolis_gaussian_moments(langevin: bool) -> None:
    # psi = exp(-alpha |x|^2 / 2)  ->  |psi|^2 is normal with variance 1 / (2 alpha)
    alpha = 0.7

    def log_psi(x: torch.Tensor) -> torch.Tensor:
        return -0.5 * alpha * (x**2).sum((1, 2))

    def drift(x: torch.Tensor):
        return log_psi(x), -alpha * x

    sampler = ContinuousMetropolis(
        2, 2, n_chains=256, langevin=langevin, seed=5, steps_per_sample=4
    )
    samples = sampler.sample(log_psi, 256 * 100, drift=drift if langevin else None)
    x = samples.flat().reshape(-1).numpy()
    assert abs(x.mean()) < 0.02
    assert x.var() == pytest.approx(1 / (2 * alpha), rel=0.03)
    target = 0.8 if langevin else 0.5
    assert abs(samples.acceptance - target) < 0.15


def test_gaussian_random_walk_with_a_fixed_step_samples_psi_squared() -> None:
    # NetKet's MetropolisGaussian: x' = x + sigma N(0, 1), sigma fixed (no tuning)
    alpha = 0.7

    def log_psi(x: torch.Tensor) -> torch.Tensor:
        return -0.5 * alpha * (x**2).sum((1, 2))

    sampler = ContinuousMetropolis(
        2,
        2,
        n_chains=256,
        langevin=False,
        proposal="gaussian",
        step=0.3,
        tune_step=False,
        seed=5,
        steps_per_sample=4,
    )
    x = sampler.sample(log_psi, 256 * 100).flat().reshape(-1).numpy()
    assert sampler.step == 0.3
    assert abs(x.mean()) < 0.02
    assert x.var() == pytest.approx(1 / (2 * alpha), rel=0.03)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"proposal": "cauchy", "langevin": False}, "proposal"),
        ({"proposal": "gaussian", "langevin": True}, "proposal"),
        ({"tune_step": "no"}, "tune_step"),
    ],
)
def test_continuous_metropolis_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ContinuousMetropolis(1, 1, **kwargs)


def test_langevin_requires_drift() -> None:
    sampler = ContinuousMetropolis(1, 1, n_chains=4)
    with pytest.raises(ValueError, match="drift"):
        sampler.sample(lambda x: -(x**2).sum((1, 2)), 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_chains": 0}, "n_chains"),
        ({"move": "swap"}, "move"),
        ({"move": "exchange"}, "edges"),
        ({"move": "exchange", "edges": [[0, 1]], "magnetization": 1}, "magnetization"),
    ],
)
def test_spin_metropolis_rejects_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SpinMetropolis(4, **kwargs)


def test_langevin_samples_across_a_node() -> None:
    # psi = x exp(-x^2/2) (first excited oscillator state) has a node at x = 0 where the
    # drift diverges; |psi|^2 ~ x^2 exp(-x^2) gives <x^2> = 3/2 and <|x|> = 1/sqrt(pi) * 2
    def log_psi(x: torch.Tensor) -> torch.Tensor:
        return torch.log(x.abs()).sum((1, 2)) - 0.5 * (x**2).sum((1, 2))

    def drift(x: torch.Tensor):
        return log_psi(x), 1.0 / x - x

    sampler = ContinuousMetropolis(1, 1, n_chains=512, seed=2, steps_per_sample=5)
    x = sampler.sample(log_psi, 512 * 80, drift=drift).flat().reshape(-1).numpy()
    assert (x**2).mean() == pytest.approx(1.5, rel=0.03)
    assert np.abs(x).mean() == pytest.approx(2 / np.sqrt(np.pi), rel=0.03)
    # the drift limit keeps walkers near the node moving instead of flinging them away
    assert np.isfinite(x).all() and np.abs(x).max() < 6
