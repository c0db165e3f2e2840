"""Classical statistical mechanics: the 2D Ising model and its exact references.

:mod:`~physml.sim.statmech.ising` — Metropolis (per-site and multispin), Wolff, enumeration,
Onsager, Yang and Kaufman; ``_ising_kernels`` and ``_ising_multispin`` hold its numba kernels.
:mod:`~physml.sim.statmech.ising_couplings` — random states, energies and the exact coupling
matrix of a chain or square lattice, the design matrix of all products S_j S_k (ising-couplings).
"""
