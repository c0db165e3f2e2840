"""Astrophysics: :mod:`~physml.sim.astro.plummer`, the Plummer sphere's phase space and its
exact distribution function."""
