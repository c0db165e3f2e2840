"""Tasks on symmetry as prior knowledge: equivariant and invariant networks (seed 003)."""
