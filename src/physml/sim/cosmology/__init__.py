"""Cosmology: :mod:`~physml.sim.cosmology.fields`, Gaussian random fields with a power-law
P(k) and their exact statistics."""
