"""Variational Monte Carlo with neural-network quantum states, against exact energies.

Run: ``python examples/quantum_vmc.py`` (about 20 s on two cores).
"""

import torch

from physml.infer.vmc import (
    VMC,
    ContinuousLocalEnergy,
    ContinuousMetropolis,
    LatticeLocalEnergy,
    SpinMetropolis,
)
from physml.models import GaussianBinaryRBM, PadeJastrow, ProductWavefunction, SpinRBM
from physml.sim.quantum import spins
from physml.sim.quantum.trap import HarmonicTrap

torch.manual_seed(0)

# 1. Transverse-field Ising chain at the critical field, Carleo & Troyer's RBM + SR.
L = 16
hamiltonian = spins.transverse_field_ising(L, h=1.0)  # -sum Z_i Z_i+1 - h sum X_i
psi = SpinRBM(L, alpha=1).double()
vmc = VMC(psi, SpinMetropolis(L, n_chains=1024, seed=0), LatticeLocalEnergy(hamiltonian))
vmc.run(300)
e = vmc.estimate(1 << 15)  # fresh samples, blocking error bar
exact = spins.tfim_exact_energy(L, h=1.0)  # Jordan-Wigner free fermions
print(
    f"TFIM L={L}: E = {e.energy:.5f} ± {e.error:.5f}, exact {exact:.5f}, "
    f"gap {(e.energy - exact) / abs(exact):+.1e}"
)

# 2. Two electrons in a 2D harmonic dot: Gaussian-binary RBM x Pade-Jastrow (cusp).
dot = HarmonicTrap(2, 2, omega=1.0, interaction="coulomb", statistics="fermions")
psi = ProductWavefunction(GaussianBinaryRBM(2, 2, n_hidden=2), PadeJastrow(2, 2)).double()
walkers = ContinuousMetropolis(2, 2, n_chains=1024, steps_per_sample=2, seed=0)
vmc = VMC(psi, walkers, ContinuousLocalEnergy(dot.potential), clip=5.0)
vmc.run(200)
e = vmc.estimate(1 << 16)
print(
    f"quantum dot: E = {e.energy:.5f} ± {e.error:.5f} Hartree, exact (Taut) "
    f"{dot.exact_energy():.5f}, variance {e.variance:.2e}"
)
