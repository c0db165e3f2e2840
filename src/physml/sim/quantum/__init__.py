"""Quantum many-body systems and their exact references.

:mod:`~physml.sim.quantum.trap` — particles in a harmonic trap (continuous space);
:mod:`~physml.sim.quantum.pauli` — spin-1/2 lattices and Pauli-string Hamiltonians;
:mod:`~physml.sim.quantum.spins` — the TFIM and Heisenberg models, exact diagonalisation
and free fermions (re-exports :mod:`~physml.sim.quantum.pauli`).
"""
