"""Manifold samplers: points on the manifold, uniform measure, exact dimensions."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.geometry import manifolds
from physml.testing import assert_mean_matches


def test_points_lie_on_their_manifolds() -> None:
    s = manifolds.sample("sphere", 3, 500, 0)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0, rtol=1e-12)
    t = manifolds.sample("torus", 2, 500, 1)
    np.testing.assert_allclose(t[:, 0] ** 2 + t[:, 1] ** 2, 0.5, rtol=1e-12)
    p = manifolds.sample("phase_space", 3, 500, 2).reshape(500, 3, 3)
    np.testing.assert_allclose(p.sum(axis=1), 0.0, atol=1e-12)  # momentum conservation
    np.testing.assert_allclose(np.linalg.norm(p, axis=2).sum(axis=1), 1.0, rtol=1e-12)


def test_uniform_measure() -> None:
    # uniform on S^2: z is uniform on [-1, 1] (Archimedes), E[z^2] = 1/3
    s = manifolds.sample("sphere", 2, 20_000, 3)
    assert_mean_matches(s[:, 2] ** 2, 1 / 3)
    # flat torus: each angle uniform, E[cos^2] = 1/2 -> coordinate^2 mean 1/(2k)
    t = manifolds.sample("torus", 3, 20_000, 4)
    assert_mean_matches(t[:, 4] ** 2, 1 / 6)


def test_dimensions_and_refusals() -> None:
    assert manifolds.manifold_dimension("phase_space", 3) == 5
    assert manifolds.manifold_dimension("phase_space", 4) == 8
    assert manifolds.ambient_dimension("torus", 2) == 4
    with pytest.raises(ValueError, match="kind='cube'"):
        manifolds.sample("cube", 2, 10, 0)
