"""Quantum many-body systems and their exact references.

:mod:`~physml.sim.quantum.trap` — particles in a harmonic trap (continuous space);
:mod:`~physml.sim.quantum.spins` — spin-1/2 lattice Hamiltonians and exact diagonalisation.
"""
