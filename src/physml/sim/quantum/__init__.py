"""Quantum many-body systems and their exact references.

:mod:`~physml.sim.quantum.trap` — particles in a harmonic trap (continuous space);
:mod:`~physml.sim.quantum.pauli` — spin-1/2 lattices and Pauli-string Hamiltonians;
:mod:`~physml.sim.quantum.spins` — the TFIM and Heisenberg models, exact diagonalisation
and free fermions (re-exports :mod:`~physml.sim.quantum.pauli`);
:mod:`~physml.sim.quantum.measurements` — shot counts in local Pauli bases, GHZ and W
states, entanglement entropy and correlations;
:mod:`~physml.sim.quantum.bang_bang` — bang-bang state preparation of a qubit and an Ising
chain, and the exact optimum of all 2^N protocols.
"""
