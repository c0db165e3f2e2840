"""Intrinsic-dimension estimators against exact answers: uniform cubes and spheres, the
Pareto law of two-NN ratios, the correlation integral by brute force; refusals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from physml.metrics.dimension import (
    correlation_dimension,
    correlation_integral,
    covariance_spectrum,
    levina_bickel,
    nearest_distances,
    spectrum_exponent,
    two_nn,
)
from physml.testing import assert_matches_exact


@pytest.mark.parametrize("d", [1, 2, 3])
def test_two_nn_and_mle_recover_a_uniform_cube_embedded_in_more_dimensions(d: int) -> None:
    rng = np.random.default_rng(d)
    # a flat d-cube rotated into 10 dimensions: locally uniform, no curvature
    cube = rng.uniform(size=(6000, d))
    rotation, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    x = np.pad(cube, ((0, 0), (0, 10 - d))) @ rotation
    value, error = two_nn(x)
    assert_matches_exact(value, error, d, atol=0.04 * d)  # boundary points bias it slightly
    value, _ = levina_bickel(x, 10)
    assert value == pytest.approx(d, rel=0.08)


def test_estimators_on_a_flat_torus_without_boundary() -> None:
    from physml.sim.geometry import manifolds

    x = manifolds.sample("torus", 4, 8000, 5)
    value, error = two_nn(x)
    assert_matches_exact(value, error, 4, atol=0.1)
    assert levina_bickel(x, 10)[0] == pytest.approx(4, rel=0.05)


def test_two_nn_error_is_the_pareto_mle_error() -> None:
    # for points on a line with Poisson spacing, ln(r2/r1) is exactly Exp(1): d = 1
    errors = [two_nn(np.random.default_rng(s).uniform(size=(400, 1)))[1] for s in range(3)]
    np.testing.assert_allclose(errors, 1 / np.sqrt(400), rtol=0.15)


def test_correlation_integral_matches_brute_force() -> None:
    x = np.random.default_rng(0).normal(size=(300, 3))
    radii = np.array([0.2, 0.5, 1.0, 2.0])
    pairs = pdist(x)
    np.testing.assert_allclose(correlation_integral(x, radii), [(pairs < r).mean() for r in radii])
    # C ~ Q^3 at small Q for a 3-d density: local slopes near 3
    dense = np.random.default_rng(1).uniform(size=(4000, 3))
    radii = np.geomspace(0.01, 0.05, 5)
    slopes = correlation_dimension(radii, correlation_integral(dense, radii))
    assert np.all(np.abs(slopes - 3) < 0.3)


def test_covariance_spectrum_power_law() -> None:
    # independent coordinates with variances i^-2: the spectrum exponent is 2
    scales = np.arange(1, 41, dtype=float) ** -1.0
    x = np.random.default_rng(2).normal(size=(20_000, 40)) * scales
    spectrum = covariance_spectrum(x)
    assert spectrum_exponent(spectrum, 2, 20) == pytest.approx(2.0, abs=0.05)


def test_refusals() -> None:
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match="n_neighbors=5 is not allowed with 5 points"):
        nearest_distances(x, 5)
    with pytest.raises(ValueError, match="at least 3"):
        two_nn(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="positive eigenvalues"):
        spectrum_exponent(np.array([1.0, 0.5]), 1, 5)
