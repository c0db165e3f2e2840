"""The VMC engine runs where its model lives: every tensor on the model's device, and no
value read back to the host inside a sampler call.

A CPU-only machine has one other device, ``meta`` (tensors with shapes and no data): an
operation that mixes a meta tensor with a CPU one raises, and so does reading a meta value
back (``int(t)``, ``if t``). Running the samplers, local energies, log-derivatives and SR
on meta therefore fails on any tensor made on a hard-coded or implicit CPU device and on
any host synchronisation inside them. The second guard runs whole optimisation steps on
the CPU with torch's default device set to meta, so that a tensor created without an
explicit device lands on meta and fails. The numbers of the same code on the CPU are held
against exact physics in ``test_vmc.py`` and ``test_samplers.py``.
"""

from __future__ import annotations

import pytest
import torch

from physml.infer.vmc import (
    VMC,
    ContinuousLocalEnergy,
    ContinuousMetropolis,
    LatticeLocalEnergy,
    SpinMetropolis,
    log_derivatives,
    stochastic_reconfiguration,
)
from physml.models.wavefunctions.deepset_wavefunction import DeepSetWavefunction
from physml.models.wavefunctions.gaussian_rbm import GaussianBinaryRBM
from physml.models.wavefunctions.jastrow import PadeJastrow
from physml.models.wavefunctions.product_wavefunction import ProductWavefunction
from physml.models.wavefunctions.slater import SlaterDeterminant
from physml.models.wavefunctions.spin_nqs import SpinRBM
from physml.sim.quantum import spins
from physml.sim.quantum.trap import HarmonicTrap

META = torch.device("meta")
CPU = torch.device("cpu")
DOT = HarmonicTrap(3, 2, interaction="coulomb", statistics="fermions")

SPIN_SYSTEMS = {  # move -> Hamiltonian sampled with it
    "flip": spins.transverse_field_ising(6, h=0.7),
    "exchange": spins.heisenberg(6, marshall=True),
}


def _dot_models() -> dict[str, torch.nn.Module]:
    """Analytic derivatives (RBM x Jastrow x Slater) and autograd ones (deep set)."""
    return {
        "analytic": ProductWavefunction(
            GaussianBinaryRBM(3, 2, 2), PadeJastrow(3, 2), SlaterDeterminant(3, 2, gaussian=False)
        ).double(),
        "autograd": DeepSetWavefunction(3, 2, (4,), latent=3).double(),
    }


def _assert_on(device: torch.device, *tensors: torch.Tensor) -> None:
    assert [t.device for t in tensors] == [device] * len(tensors)


@pytest.mark.parametrize("move", SPIN_SYSTEMS)
def test_spin_vmc_step_stays_on_the_meta_device(move: str) -> None:
    model = SpinRBM(6).double().to(META)
    sampler = SpinMetropolis(
        6, n_chains=4, move=move, edges=spins.chain_edges(6), n_burn_in=2, device=META
    )
    samples = sampler.sample(model, 8)
    configs = samples.flat()
    e_loc = LatticeLocalEnergy(SPIN_SYSTEMS[move], device=META)(model, configs)
    o = log_derivatives(model, configs)
    # both SR branches: parameter space (few parameters) and sample space (many)
    few, many = (stochastic_reconfiguration(x, e_loc) for x in (o[:, :3], o))
    _assert_on(META, samples.configs, samples.n_accepted, e_loc, o, few, many)
    sampler.load_state_dict(sampler.state_dict())
    _assert_on(META, sampler.chains)


@pytest.mark.parametrize("derivatives", ["analytic", "autograd"])
@pytest.mark.parametrize("langevin", [True, False])
def test_continuous_vmc_step_stays_on_the_meta_device(derivatives: str, langevin: bool) -> None:
    model = _dot_models()[derivatives].to(META)
    local_energy = ContinuousLocalEnergy(DOT.potential)
    # fewer than 10 burn-in moves: the step tuning (which reads acceptances) never runs
    sampler = ContinuousMetropolis(3, 2, n_chains=4, langevin=langevin, n_burn_in=5, device=META)
    samples = sampler.sample(model, 8, drift=local_energy.drift(model) if langevin else None)
    configs = samples.flat()
    e_loc = local_energy(model, configs)
    o = log_derivatives(model, configs)
    _assert_on(META, samples.configs, samples.n_accepted, e_loc, o)


def test_vmc_refuses_parts_on_different_devices() -> None:
    hamiltonian = SPIN_SYSTEMS["flip"]
    sampler = SpinMetropolis(6, n_chains=4, device=META)
    with pytest.raises(ValueError, match=r"model on cpu, sampler on meta.*one device"):
        VMC(SpinRBM(6).double(), sampler, LatticeLocalEnergy(hamiltonian))


def _spin_vmc(device: torch.device | None) -> VMC:
    torch.manual_seed(0)
    model = SpinRBM(6).double()
    sampler = SpinMetropolis(6, n_chains=16, n_burn_in=5, seed=1, device=device)
    energy = LatticeLocalEnergy(SPIN_SYSTEMS["flip"], device=device)
    return VMC(model, sampler, energy, n_samples=64, clip=3.0)


def _dot_vmc(device: torch.device | None) -> VMC:
    torch.manual_seed(0)
    model = _dot_models()["analytic"]
    sampler = ContinuousMetropolis(3, 2, n_chains=16, n_burn_in=20, seed=1, device=device)
    energy = ContinuousLocalEnergy(DOT.potential)
    return VMC(model, sampler, energy, n_samples=64, clip=5.0, optimizer="adam")


@pytest.mark.parametrize("make", [_spin_vmc, _dot_vmc], ids=["spins", "dot"])
def test_explicit_cpu_steps_make_no_tensor_on_the_default_device(make) -> None:
    reference = make(None)
    vmc = make(CPU)
    with torch.device(META):  # a tensor made without an explicit device would land here
        steps = [vmc.step() for _ in range(2)]
        vmc.load_state_dict(vmc.state_dict())
        estimate = vmc.estimate(64)
    # device="cpu" is the default made explicit: the same numbers, bit for bit
    assert steps == [reference.step() for _ in range(2)]
    assert estimate == reference.estimate(64)
