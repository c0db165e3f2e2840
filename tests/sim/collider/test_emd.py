"""Energy mover's distance: zero on itself, the exact cost to a one-particle jet, symmetry
and the triangle inequality."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ot")

from physml.sim.collider import jets
from physml.sim.collider.emd import emd_matrix, energy_flows


def test_emd_is_a_metric_with_the_exact_cost_to_the_axis() -> None:
    sample = jets.sample(30, flavour="gluon", seed=0)
    flows = energy_flows(sample.constituents, sample.mask)
    # the one-particle jet: all energy on the axis; moving each constituent there costs
    # its energy fraction times its angle
    flows.append((np.ones(1), np.zeros((1, 2))))
    d = emd_matrix(flows)
    np.testing.assert_allclose(d, d.T)
    assert np.all(np.diag(d) == 0)
    expected = [(w * np.linalg.norm(x, axis=1)).sum() for w, x in flows[:-1]]
    np.testing.assert_allclose(d[-1, :-1], expected, rtol=1e-9, atol=1e-12)
    i, j, k = np.meshgrid(*[np.arange(len(d))] * 3, indexing="ij")
    assert np.all(d[i, k] <= d[i, j] + d[j, k] + 1e-12)
