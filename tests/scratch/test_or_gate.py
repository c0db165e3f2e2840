"""Seed 002's OR gate: the slide's weights and the one hand-computed update."""

from __future__ import annotations

import numpy as np

from physml.scratch.or_gate import ThresholdNetwork, threshold


def test_threshold_fires_at_zero() -> None:
    np.testing.assert_array_equal(threshold(np.array([-1e-12, 0.0, 3.0])), [0.0, 1.0, 1.0])


def test_a_correct_output_leaves_the_weights_alone() -> None:
    net = ThresholdNetwork.slide()
    x = np.array([0.0, 1.0])
    same = net.update(x, target=net.output(x))
    np.testing.assert_array_equal(same.w, net.w)
    np.testing.assert_array_equal(same.v, net.v)


def test_the_update_is_backpropagation_of_the_output_error() -> None:
    net, x = ThresholdNetwork.slide(), np.array([1.0, 1.0])
    assert net.output(x) == 0.0  # y = (1, 1), output input -0.2: wrong for OR(1, 1) = 1
    trained = net.update(x, target=1.0)
    e_z = 1.0
    np.testing.assert_allclose(trained.v - net.v, e_z * net.hidden(x))
    np.testing.assert_allclose(trained.w - net.w, np.outer(x, e_z * net.v))
