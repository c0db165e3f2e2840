"""Simulation-based inference: :mod:`~physml.sim.inference.benchmark_problems`, the standard
benchmark problems of Lueckmann et al. (AISTATS 2021) with their reference posteriors."""
