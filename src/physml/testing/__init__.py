"""Checks that physml's own tests use, shipped for a user's own models and samplers.

Each helper asserts one property that a physics model must have, raises
``AssertionError`` with a message saying what failed and by how much, and returns the
measured quantity (a largest error, an integral, a p-value) when it passes:

- :func:`assert_equivariant`, :func:`assert_invariant`: f(g.x) = g.f(x) (or f(x)) for
  sampled group elements, with per-dtype default tolerances (and
  :func:`sample_permutations`, random reorderings of particles as actions);
- :func:`assert_normalized`: a density integrates to one (a Gauss-Legendre grid for
  d <= 3, an enumeration of states, or importance sampling with its error);
- :func:`assert_matches_exact`: an estimate equals its exact reference within
  ``n_sigma`` standard errors (or a rounding, for exact values), and
  :func:`assert_mean_matches` for the mean of independent samples;
- :func:`assert_gradients_match_finite_differences`: a supplied gradient (and
  Laplacian) against five-point central differences in float64;
- :func:`assert_samples_match`: samples follow an enumerated distribution (chi-squared
  per independent batch, p-values combined by Fisher's method, sparse states pooled).

The helpers take torch tensors or numpy arrays; torch is imported only when a helper
needs it (autograd gradients, torch grids and proposals). ``docs/testing.md`` shows
them on a user's model.

Example:
    >>> import numpy as np
    >>> from physml.testing import assert_invariant
    >>> x = np.random.default_rng(0).normal(size=(5, 4, 3))  # 5 events of 4 particles
    >>> energy = lambda p: (p**2).sum((1, 2))
    >>> assert_invariant(energy, lambda p: p[:, ::-1], x) < 1e-12  # reorder particles
    True
"""

from physml.testing.derivatives import assert_gradients_match_finite_differences
from physml.testing.exact import assert_matches_exact, assert_mean_matches
from physml.testing.normalization import assert_normalized
from physml.testing.sampling import assert_samples_match
from physml.testing.symmetry import assert_equivariant, assert_invariant, sample_permutations

__all__ = [
    "assert_equivariant",
    "assert_gradients_match_finite_differences",
    "assert_invariant",
    "assert_matches_exact",
    "assert_mean_matches",
    "assert_normalized",
    "assert_samples_match",
    "sample_permutations",
]
