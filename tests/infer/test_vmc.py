"""VMC engine: local energies, gradient, SR, the loop, safeguards, resume — against exact
physics (dense Hamiltonians, zero-variance eigenstates, finite differences)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from physml.infer.vmc import (
    VMC,
    ContinuousLocalEnergy,
    ContinuousMetropolis,
    LatticeLocalEnergy,
    SpinMetropolis,
    VMCDiverged,
    energy_gradient,
    log_derivatives,
    stochastic_reconfiguration,
)
from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
from physml.models.wavefunctions.jastrow import PadeJastrow
from physml.models.wavefunctions.product_wavefunction import ProductWavefunction
from physml.models.wavefunctions.spin_nqs import SpinRBM
from physml.sim.quantum import spins
from physml.sim.quantum.trap import HarmonicTrap


def _all_states(n_sites: int) -> torch.Tensor:
    """Every configuration, row k <-> basis index k (bit i set <-> s_i = -1)."""
    states = torch.tensor(list(itertools.product([1.0, -1.0], repeat=n_sites)), dtype=torch.float64)
    return states.flip(1)


def _random_rbm(n_sites: int, seed: int, scale: float = 0.3) -> SpinRBM:
    torch.manual_seed(seed)
    model = SpinRBM(n_sites, alpha=1).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, scale)
    return model


def _exact_energy(model: SpinRBM, dense: np.ndarray) -> float:
    with torch.no_grad():
        psi = torch.exp(model(_all_states(model.n_sites))).numpy()
    return float(psi @ dense @ psi / (psi @ psi))


@pytest.mark.parametrize(
    "hamiltonian",
    [
        spins.transverse_field_ising(6, h=0.7),
        spins.heisenberg(6, marshall=True),
        spins.heisenberg(6, marshall=False),
        spins.transverse_field_ising(6, h=1.3, J=-0.5, pbc=False),
    ],
    ids=["tfim", "heisenberg-marshall", "heisenberg", "tfim-open"],
)
def test_lattice_local_energy_equals_dense_h_psi_over_psi(hamiltonian) -> None:
    model = _random_rbm(6, seed=1)
    states = _all_states(6)
    dense = hamiltonian.to_sparse().toarray()
    with torch.no_grad():
        psi = torch.exp(model(states)).numpy()
    expected = dense @ psi / psi
    e_loc = LatticeLocalEnergy(hamiltonian)(model, states)
    np.testing.assert_allclose(e_loc.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_ground_state_has_zero_variance_local_energy() -> None:
    hamiltonian = spins.transverse_field_ising(6, h=1.0)
    energy, vector = spins.exact_ground_state(hamiltonian)
    log_psi_table = torch.tensor(np.log(np.abs(vector)))
    index = 2 ** torch.arange(6)

    def log_psi(s: torch.Tensor) -> torch.Tensor:
        return log_psi_table[((s < 0).long() * index).sum(1)]

    e_loc = LatticeLocalEnergy(hamiltonian)(log_psi, _all_states(6))
    np.testing.assert_allclose(e_loc.numpy(), energy, rtol=1e-10)


def test_exact_trap_wavefunction_gives_constant_local_energy() -> None:
    # psi = F_rbm with W = 0, a = 0, sigma^2 = 1/omega is the non-interacting ground state
    omega, n, d = 0.7, 3, 2
    trap = HarmonicTrap(n, d, omega)
    model = GaussianBinaryRBM(n, d, 2, sigma=1 / math.sqrt(omega)).double()
    model.reset_parameters()  # sigma exactly in float64, not a rounded float32
    with torch.no_grad():
        model.weight.zero_()
    x = torch.randn(64, n, d, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for method in ("analytic", "autograd"):
        e_loc = ContinuousLocalEnergy(trap.potential, method=method)(model, x)
        np.testing.assert_allclose(e_loc.numpy(), n * d * omega / 2, rtol=1e-12)


def test_analytic_and_autograd_local_energies_agree() -> None:
    trap = HarmonicTrap(2, 2, 1.0, interaction="coulomb", statistics="fermions")
    torch.manual_seed(0)
    model = ProductWavefunction(GaussianBinaryRBM(2, 2, 3), PadeJastrow(2, 2)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    x = torch.randn(32, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    analytic = ContinuousLocalEnergy(trap.potential, method="analytic")(model, x)
    autograd = ContinuousLocalEnergy(trap.potential, method="autograd")(model, x)
    np.testing.assert_allclose(analytic.numpy(), autograd.numpy(), rtol=1e-10)


def test_energy_gradient_matches_finite_differences() -> None:
    hamiltonian = spins.transverse_field_ising(4, h=0.8)
    dense = hamiltonian.to_sparse().toarray()
    model = _random_rbm(4, seed=2, scale=0.4)
    local_energy = LatticeLocalEnergy(hamiltonian)
    sampler = SpinMetropolis(4, n_chains=512, seed=3, n_burn_in=20, sweeps_per_sample=2)
    configs = sampler.sample(model, 512 * 100).flat()
    gradient = 2 * energy_gradient(log_derivatives(model, configs), local_energy(model, configs))

    finite = []
    for p in model.parameters():
        flat = p.data.view(-1)
        for k in range(flat.numel()):
            flat[k] += 1e-5
            up = _exact_energy(model, dense)
            flat[k] -= 2e-5
            down = _exact_energy(model, dense)
            flat[k] += 1e-5
            finite.append((up - down) / 2e-5)
    finite = np.array(finite)
    # Monte Carlo estimate of a gradient of size ~0.1-1 from 1e5 samples
    np.testing.assert_allclose(gradient.numpy(), finite, atol=0.02 + 0.03 * np.abs(finite).max())
    assert np.corrcoef(gradient.numpy(), finite)[0, 1] > 0.999


@pytest.mark.parametrize("n_samples", [40, 400])
def test_sr_solves_the_regularised_system_in_either_space(n_samples: int) -> None:
    g = torch.Generator().manual_seed(0)
    o = torch.randn(n_samples, 60, generator=g, dtype=torch.float64)
    e = torch.randn(n_samples, generator=g, dtype=torch.float64)
    shift = 0.05
    d_o = o - o.mean(0)
    s = d_o.T @ d_o / n_samples + shift * torch.eye(60, dtype=torch.float64)
    expected = torch.linalg.solve(s, 2 * energy_gradient(o, e))  # natural gradient of E
    got = stochastic_reconfiguration(o, e, diag_shift=shift)
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-12)


def _tfim_vmc(seed: int = 0, **kwargs) -> VMC:
    hamiltonian = spins.transverse_field_ising(6, h=1.0)
    torch.manual_seed(seed)
    model = SpinRBM(6, alpha=1).double()
    sampler = SpinMetropolis(6, n_chains=64, seed=seed, n_burn_in=20)
    options = {"n_samples": 256, "lr": 0.025} | kwargs
    return VMC(model, sampler, LatticeLocalEnergy(hamiltonian), **options)


def test_vmc_reaches_exact_tfim_energy() -> None:
    vmc = _tfim_vmc()
    vmc.run(150)
    estimate = vmc.estimate(1 << 14)
    exact = spins.tfim_exact_energy(6, h=1.0)
    assert estimate.energy >= exact - 4 * estimate.error  # variational
    assert abs(estimate.energy - exact) / abs(exact) < 2e-3
    assert estimate.variance < vmc.history[0].variance / 10


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_plain_gradient_optimizers_lower_the_energy(optimizer: str) -> None:
    vmc = _tfim_vmc(optimizer=optimizer, lr=0.02)
    vmc.run(60)
    first = np.mean([it.energy for it in vmc.history[:5]])
    last = np.mean([it.energy for it in vmc.history[-5:]])
    assert last < first - 0.1


def test_zero_variance_for_noninteracting_bosons() -> None:
    trap = HarmonicTrap(2, 1, 1.0)
    torch.manual_seed(0)
    model = GaussianBinaryRBM(2, 1, 2, sigma=1.3).double()
    sampler = ContinuousMetropolis(2, 1, n_chains=128, seed=0, n_burn_in=50)
    vmc = VMC(
        model, sampler, ContinuousLocalEnergy(trap.potential), n_samples=512, lr=0.1,
        diag_shift=1e-3,
    )  # fmt: skip
    vmc.run(150)
    estimate = vmc.estimate(1 << 15)
    assert estimate.energy == pytest.approx(1.0, rel=1e-6)  # E = N d omega / 2
    assert estimate.variance < 1e-8  # zero-variance principle: E_L -> constant


def test_resume_from_checkpoint_is_bitwise(tmp_path) -> None:
    straight = _tfim_vmc()
    straight.run(6)
    first = _tfim_vmc()
    first.run(3, checkpoint=tmp_path / "vmc.pt", checkpoint_every=3)
    resumed = _tfim_vmc()
    resumed.load(tmp_path / "vmc.pt")
    assert resumed.iteration == 3
    resumed.run(6)
    assert resumed.history == straight.history
    for a, b in zip(resumed.model.parameters(), straight.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_divergence_restores_the_last_good_state(tmp_path) -> None:
    vmc = _tfim_vmc()
    good = {}

    def poison(it) -> None:  # corrupt the weights after iteration 2 was accepted
        if it.step == 2:
            good.update({k: v.clone() for k, v in vmc.model.state_dict().items()})
            with torch.no_grad():
                vmc.model.weight.fill_(float("nan"))

    with pytest.raises(VMCDiverged, match="iteration 3: the local energy is not finite"):
        vmc.run(10, on_iteration=poison, checkpoint=tmp_path / "vmc.pt")
    for name, value in vmc.model.state_dict().items():
        assert torch.equal(value, good[name])
    saved = torch.load(tmp_path / "vmc.pt", weights_only=True)
    assert saved["iteration"] == 3
    assert torch.isfinite(saved["model"]["weight"]).all()


def test_exploding_steps_are_caught() -> None:
    vmc = _tfim_vmc(optimizer="sgd", lr=1e4)
    with pytest.raises(VMCDiverged, match=r"VMC diverged at iteration \d+"):
        vmc.run(50)
    assert all(math.isfinite(p.sum().item()) for p in vmc.model.parameters())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"optimizer": "lbfgs"}, "optimizer"), ({"lr": -1.0}, "lr"), ({"n_samples": 1}, "n_samples")],
)
def test_vmc_rejects_bad_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _tfim_vmc(**kwargs)
