"""Classical statistical mechanics: the 2D Ising model and its exact references.

:mod:`~physml.sim.statmech.ising` — Metropolis (per-site and multispin), Wolff, enumeration,
Onsager, Yang and Kaufman; ``_ising_kernels`` and ``_ising_multispin`` hold its numba kernels.
"""
