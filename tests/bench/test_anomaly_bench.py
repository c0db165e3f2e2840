"""bench anomaly's baseline: scikit-dimension's estimators find the dimension physml's do
on the same points (the baseline is a correct estimator, so the time ratio is fair)."""

from __future__ import annotations

import pytest

from physml.metrics.dimension import levina_bickel, two_nn
from physml.sim.geometry import manifolds

skdim = pytest.importorskip("skdim")


def test_scikit_dimension_agrees_with_physml_on_a_sphere() -> None:
    x = manifolds.sample("sphere", 3, 5000, 0)
    ours, error = two_nn(x)
    theirs = skdim.id.TwoNN().fit(x).dimension_
    assert abs(ours - 3) < 5 * error and abs(theirs - 3) < 0.15
    assert abs(levina_bickel(x, 10)[0] - skdim.id.MLE(K=10).fit(x).dimension_) < 0.1
