"""Learned vector fields of mechanical systems: a plain MLP, Hamiltonian and Lagrangian
neural networks, and an O(d)-invariant-scalar Hamiltonian network."""

from physml.models.dynamics.vector_fields import (
    HamiltonianNN,
    InvariantScalarHNN,
    LagrangianNN,
    StateMLP,
)

__all__ = ["HamiltonianNN", "InvariantScalarHNN", "LagrangianNN", "StateMLP"]
