"""Learned vector fields of mechanical systems: a plain MLP, Hamiltonian and Lagrangian
neural networks, an O(d)-invariant-scalar Hamiltonian network and its O(2) version for
planar angles."""

from physml.models.dynamics.vector_fields import (
    AngleInvariantHNN,
    HamiltonianNN,
    InvariantScalarHNN,
    LagrangianNN,
    StateMLP,
)

__all__ = ["AngleInvariantHNN", "HamiltonianNN", "InvariantScalarHNN", "LagrangianNN", "StateMLP"]
