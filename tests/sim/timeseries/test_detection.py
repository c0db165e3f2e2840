"""Exact detection probabilities against simulation."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.timeseries import detection as det


def test_known_phase_limits() -> None:
    assert det.detection_probability_known_phase(0.01, 0.0) == pytest.approx(0.01)
    assert det.detection_probability_known_phase(0.01, 20.0) == pytest.approx(1.0)


def test_marcum_q_limits_and_simulation(rng) -> None:
    b = np.array([0.5, 2.0, 3.5])
    np.testing.assert_allclose(det.marcum_q1(0.0, b), np.exp(-(b**2) / 2), rtol=1e-12)
    np.testing.assert_allclose(det.threshold_unknown_phase(np.exp(-(b**2) / 2)), b, rtol=1e-12)
    rho, n = 4.0, 200_000
    z = (
        rho * np.exp(1j * rng.uniform(0, 2 * np.pi, n))
        + rng.normal(size=n)
        + 1j * rng.normal(size=n)
    )
    for alpha in (1e-2, 1e-3):
        p = det.detection_probability_unknown_phase(alpha, rho)
        hit = np.mean(np.abs(z) > det.threshold_unknown_phase(alpha))
        assert abs(hit - p) < 5 * np.sqrt(p * (1 - p) / n)
    # knowing the phase is worth something: Q beats Marcum Q at the same P_FA
    assert det.detection_probability_known_phase(
        1e-3, rho
    ) > det.detection_probability_unknown_phase(1e-3, rho)
