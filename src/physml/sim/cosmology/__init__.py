"""Cosmology: :mod:`~physml.sim.cosmology.fields`, Gaussian random fields with a power-law
P(k) and their exact statistics; :mod:`~physml.sim.cosmology.field_likelihood`, the exact
likelihood and grid posterior of (A, n) given one field."""
