"""Particle detectors: :mod:`~physml.sim.detector.tracking`, charged helices in a solenoid
through a barrel of cylindrical layers (hits, truth, track building and matching)."""
