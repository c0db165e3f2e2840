"""Variational Monte Carlo for neural-network quantum states, in PyTorch.

Samplers of |psi|^2 (:mod:`.samplers`), local energies (:mod:`.local_energy`), the energy
gradient and stochastic reconfiguration (:mod:`.gradient`) and the optimisation loop with
its safeguards (:mod:`.driver`). Error bars come from blocking
(:func:`physml.metrics.blocking.blocking`).
"""

from physml.infer.vmc.driver import VMC, Estimate, Iteration, VMCDiverged
from physml.infer.vmc.gradient import energy_gradient, log_derivatives, stochastic_reconfiguration
from physml.infer.vmc.local_energy import ContinuousLocalEnergy, LatticeLocalEnergy
from physml.infer.vmc.samplers import ContinuousMetropolis, Samples, SpinMetropolis

__all__ = [
    "VMC",
    "ContinuousLocalEnergy",
    "ContinuousMetropolis",
    "Estimate",
    "Iteration",
    "LatticeLocalEnergy",
    "Samples",
    "SpinMetropolis",
    "VMCDiverged",
    "energy_gradient",
    "log_derivatives",
    "stochastic_reconfiguration",
]
